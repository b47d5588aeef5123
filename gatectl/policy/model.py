"""What the policy decides on (:class:`TransactionFacts`) and what it returns (:class:`Decision`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["admit", "refer", "refuse"]
ChipAuthenticity = Literal["verified", "failed", "not_supported", "not_run"]


@dataclass(frozen=True)
class TransactionFacts:
    """The results of one transaction's checks. ``None`` (or ``"not_run"``) means the check did not run:
    a required check that did not run is not a pass."""

    document_type: str | None = None  # MRZ document code: "P", "PD", "ID", ...
    issuer: str | None = None  # issuing state or organisation, ICAO code ("D", "NLD", "UNO")
    nationality: str | None = None
    date_of_birth: dt.date | None = None  # None when unknown (MRZ "<<" day or month, say)
    expiry: dt.date | None = None
    today: dt.date = field(default_factory=dt.date.today)
    document_verified: bool | None = None  # passive authentication passed
    chip_authenticity: ChipAuthenticity | str = "not_run"  # chip or active authentication
    document_problems: list[str] = field(default_factory=list)  # codes from the chip read, e.g. "dg1_mrz_mismatch"
    face_match: bool | None = None
    face_distance: float | None = None
    face_threshold: float | None = None
    pad_attack: bool | None = None
    pad_score: float | None = None
    sltd_hit: bool | None = None
    watchlist_hits: int | None = None
    trusted: bool = False
    list_versions: dict[str, str | None] = field(default_factory=dict)  # "sltd" | "watchlist" | "trusted" -> version
    stale_lists: list[str] = field(default_factory=list)  # kinds older than lists.max_age_h

    def audit_summary(self) -> dict[str, Any]:
        """The facts as the audit log records them: each check's result, the match distance and threshold,
        the PAD score, list hits with list versions; no date of birth, nationality or document number."""
        return {
            "document_type": self.document_type, "issuer": self.issuer,
            "expiry_passed": None if self.expiry is None else self.expiry < self.today,
            "passive_authentication": self.document_verified, "chip_authenticity": str(self.chip_authenticity),
            "document_problems": [str(p) for p in self.document_problems],
            "face_match": self.face_match, "face_distance": self.face_distance, "face_threshold": self.face_threshold,
            "pad_attack": self.pad_attack, "pad_score": self.pad_score,
            "sltd_hit": self.sltd_hit, "watchlist_hits": self.watchlist_hits, "trusted": self.trusted,
            "list_versions": dict(self.list_versions), "stale_lists": [str(k) for k in self.stale_lists],
        }


@dataclass(frozen=True)
class Reason:
    """Why: a stable ``code``, a ``message`` for the officer (never personal data), the configuration ``rule``
    that made it (``on_failure.face_mismatch``, ``rules.<name>``, ``random_referral_share``), and the
    ``action`` it asks for."""

    code: str
    message: str
    rule: str | None = None
    action: Literal["admit", "refer", "refuse"] = "refer"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "rule": self.rule, "action": self.action}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: list[Reason]
    random_referral: bool = False
    trusted: bool = False

    @property
    def admitted(self) -> bool:
        return self.outcome == "admit"

    def reasons_as_dicts(self) -> list[dict[str, Any]]:
        """The form :meth:`gatectl.audit.AuditLog.close_transaction` takes."""
        return [r.as_dict() for r in self.reasons]

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reasons": self.reasons_as_dicts(),
                "random_referral": self.random_referral, "trusted": self.trusted}
