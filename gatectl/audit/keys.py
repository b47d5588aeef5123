"""The audit key as configured: a key file holds either hex digits (at least 32, i.e. 16 bytes) or raw bytes."""

from __future__ import annotations

import string
from pathlib import Path

from gatectl.audit.chain import MIN_KEY_BYTES
from gatectl.audit.errors import AuditError


def parse_key(data: bytes | str) -> bytes:
    """Hex text (whitespace ignored) becomes its bytes; anything else is taken as the raw key."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    text = raw.decode("ascii", errors="replace").strip()
    if text and len(text) % 2 == 0 and all(c in string.hexdigits for c in text):
        key = bytes.fromhex(text)
    else:
        key = raw
    if len(key) < MIN_KEY_BYTES:
        raise AuditError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
    return key


def read_key_file(path: str | Path) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read the audit key file {path}: {exc.strerror}") from exc
    return parse_key(data)
