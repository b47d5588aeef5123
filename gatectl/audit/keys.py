"""The audit key in a key file: hexadecimal digits (whitespace ignored), at least 16 bytes' worth, the same
format as the configuration's ``[audit] key_file``."""

from __future__ import annotations

import string
from pathlib import Path

from gatectl.audit.chain import MIN_KEY_BYTES
from gatectl.audit.errors import AuditError


def parse_key(text: str) -> bytes:
    digits = "".join(text.split())
    if not digits or len(digits) % 2 or any(c not in string.hexdigits for c in digits):
        raise AuditError("the audit key file must hold hexadecimal digits (an even number of them)")
    key = bytes.fromhex(digits)
    if len(key) < MIN_KEY_BYTES:
        raise AuditError(f"the audit key has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
    return key


def read_key_file(path: str | Path) -> bytes:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not hexadecimal text"
        raise AuditError(f"cannot read the audit key file {path}: {why}") from exc
    return parse_key(text)
