"""The audit store's errors. Messages name fields and records, never the personal data in them."""

from __future__ import annotations


class AuditError(Exception):
    """The audit store cannot do what was asked (bad argument, unknown transaction, unreadable file)."""


class ForbiddenContentError(AuditError):
    """A record body holds something that may not be recorded; ``field`` is its dotted path."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"audit record refused: {field}: {problem}")
