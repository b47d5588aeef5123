"""The controller's record of one traveller's transaction, and the rules for its reasons and outcome.

Biometric data (the chip portrait's template future, the captured frames) lives here in memory only, for one
transaction; what goes to the audit log and to subscribers is built by the functions below, without it.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from gatectl import steps
from gatectl.machine import StateChange, TransactionContext

INTERRUPTING = ("fire_alarm", "device_lost", "maintenance", "out_of_service", "stop")


@dataclass
class Transaction:
    """The controller's record of the traveller in the gate; biometric data only in memory."""

    id: str | None
    started: float = field(default_factory=time.time)
    mrz: Any = None
    chip: Any = None
    portrait: Any = None  # Future of the chip portrait's template
    document: steps.DocumentCheck | None = None
    face: steps.FaceOutcome | None = None
    decision: Any = None  # the policy's Decision
    evidence: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    beam_breaks: int = 0
    exit_door_opened: bool = False


def outcome_at_rest(change: StateChange, machine_tx: TransactionContext) -> str:
    """How a transaction ends when the gate comes to rest (idle, out of service, maintenance, emergency)."""
    if change.trigger in INTERRUPTING:
        return "interrupted"
    if change.previous == "document_present":
        return "abandoned"
    if change.previous == "referred":
        officer = machine_tx.decided_by not in (None, "policy")
        return (machine_tx.decision or "refer") if officer else "refer"
    return machine_tx.decision or "refer"


def reason(code: str) -> dict[str, Any]:
    return {"code": code, "message": code.replace("_", " "), "rule": None}


def reason_dict(reason: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(reason) and not isinstance(reason, type):
        data = dataclasses.asdict(reason)
    elif isinstance(reason, dict):
        data = dict(reason)
    else:
        data = {"code": str(reason)}
    return {"code": str(data.get("code")), "message": str(data.get("message", "")), "rule": data.get("rule")}


def jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v) for k, v in args.items()}
