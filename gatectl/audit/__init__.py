"""Append-only, hash-chained audit store (docs/audit.md)."""

from gatectl.audit.errors import AuditError, ForbiddenContentError
from gatectl.audit.file import export_file, verify_file
from gatectl.audit.log import DECISIONS, AuditLog
from gatectl.audit.verify import AuditVerifyResult

__all__ = [
    "DECISIONS",
    "AuditError",
    "AuditLog",
    "AuditVerifyResult",
    "ForbiddenContentError",
    "export_file",
    "verify_file",
]
