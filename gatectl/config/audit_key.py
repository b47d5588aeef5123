"""The ``[audit]`` section: where the audit store is, and the key of the keyed hashes of document numbers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from gatectl.audit.errors import AuditError
from gatectl.audit.keys import parse_key, read_key_file
from gatectl.config.errors import ConfigError
from gatectl.config.values import ConfigPath, Section


def _parse_key(value: Any) -> Any:
    """Hexadecimal digits (whitespace ignored) to bytes, in the format of gatectl.audit's key files."""
    if value is None or isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("expected the key as hexadecimal digits (a string)")
    try:
        return parse_key(value)
    except AuditError as exc:
        raise ValueError(str(exc)) from None


AuditKey = Annotated[bytes | None, BeforeValidator(_parse_key)]


class AuditSection(Section):
    """The audit store and the key for the keyed hashes of document numbers (never shown in ``repr``)."""

    path: ConfigPath = Path("egate-audit.sqlite")
    key_file: ConfigPath | None = None
    key: AuditKey = Field(None, repr=False)
    generate_key: bool = False

    @model_validator(mode="after")
    def _key_source(self, info: ValidationInfo) -> AuditSection:
        simulated = bool((info.context or {}).get("simulated"))
        if self.key is not None and self.key_file is not None:
            raise ValueError("give key_file or key, not both")
        if self.generate_key and not simulated:
            raise ValueError(
                "generate_key is for the simulated gate only (gate.simulated = true): "
                "a real gate's key is provisioned by its operator, so that document hashes stay comparable"
            )
        if self.key is None and self.key_file is None:
            raise ValueError(
                "a key for the hashes of document numbers is needed: key_file (a file of "
                'hexadecimal digits) or key (e.g. key = "${EGATE_AUDIT_KEY}")'
            )
        if self.key_file is not None and not (simulated and self.generate_key):
            _read_key_file(self.key_file)
        return self

    def load_key(self) -> bytes:
        """The key; on the simulated gate with ``generate_key`` a missing key file is created (mode 0600)."""
        if self.key is not None:
            return self.key
        assert self.key_file is not None  # the validator saw to it
        if self.generate_key and not self.key_file.exists():
            _create_key_file(self.key_file)
        try:
            return _read_key_file(self.key_file)
        except ValueError as exc:
            raise ConfigError(str(self.key_file), [f"audit.key_file: {exc}"]) from None


def _read_key_file(path: Path) -> bytes:
    try:
        return read_key_file(path)
    except AuditError as exc:
        raise ValueError(str(exc)) from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
