"""Verification and export of a store on disk without the writer's key or write access (the CLI's path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TextIO

from gatectl.audit.export import export_records
from gatectl.audit.schema import open_readonly
from gatectl.audit.verify import AuditVerifyResult, verify_connection


def verify_file(path: str | Path, key: bytes | None = None) -> AuditVerifyResult:
    """Verify the store at ``path`` read-only; with the key, the seals as well. Raises AuditError if unreadable."""
    conn = open_readonly(path)
    try:
        return verify_connection(conn, key)
    finally:
        conn.close()


def export_file(path: str | Path, start: date, end: date, fmt: str, out: TextIO) -> int:
    conn = open_readonly(path)
    try:
        return export_records(conn, start, end, fmt, out)
    finally:
        conn.close()
