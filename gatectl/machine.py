"""The gate's states and transitions: one table, read by ``transitions`` and drawn from the same table.

A traveller's way through the gate: ``idle`` (entry free, exit locked) -> ``document_present`` (MRZ or chip
seen) -> ``reading_chip`` -> ``verifying_document`` -> [two-step: ``entry_closing``, the entry door closes
behind exactly one person] -> ``capturing_face`` -> ``verifying_face`` -> ``checking_lists`` (lists, then the
policy decides) -> ``exit_open`` -> ``traveller_passing`` -> ``idle``; or ``referred`` to an officer.
``out_of_service``, ``maintenance`` and ``emergency`` are reached from anywhere; the fire alarm wins over
everything, and only its clearing leaves ``emergency``.

Every state has a timeout (:data:`STATES`) and a ``timeout`` transition, so no state waits for ever; the
resting states (idle, out_of_service, maintenance, emergency) time out into themselves, which the controller
uses as a periodic re-check. Retries are bounded: re-placing the passport (``retries.document``) and looking
at the camera again (``retries.face``). Each state fixes the doors (:data:`STATES` ``entry``/``exit``):
``open`` = lock released, ``locked``, or ``mantrap`` = released in one-step mode, locked in two-step mode.

The machine is pure: no devices, no clocks, no threads. The controller owns it from one thread, fires its
triggers (:meth:`GateMachine.fire`) and acts on the :class:`StateChange` it reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from transitions import EventData, Machine

# transitions logs every callback at INFO; the controller publishes each state change itself.
logging.getLogger("transitions").setLevel(logging.WARNING)

Mode = Literal["one-step", "two-step"]
Door = Literal["open", "locked", "mantrap"]


@dataclass(frozen=True)
class GateState:
    name: str
    timeout: str  # the Timeouts field that bounds this state
    entry: Door
    exit: Door
    instruction: str  # message key for the kiosk (the kiosk owns wording and translations)


# fmt: off
STATES: tuple[GateState, ...] = (
    #         name                  timeout         entry      exit      instruction
    GateState("idle",               "idle_s",       "mantrap", "locked", "present_passport"),
    GateState("document_present",   "document_s",   "mantrap", "locked", "place_passport_on_reader"),
    GateState("reading_chip",       "chip_read_s",  "mantrap", "locked", "hold_passport_still"),
    GateState("verifying_document", "verify_s",     "mantrap", "locked", "please_wait"),
    GateState("entry_closing",      "door_s",       "open",    "locked", "enter_alone"),
    GateState("capturing_face",     "face_capture_s", "mantrap", "locked", "look_at_camera"),
    GateState("verifying_face",     "verify_s",     "mantrap", "locked", "please_wait"),
    GateState("checking_lists",     "lists_s",      "mantrap", "locked", "please_wait"),
    GateState("exit_open",          "exit_pass_s",  "locked",  "open",   "proceed"),
    GateState("traveller_passing",  "exit_pass_s",  "locked",  "open",   "proceed"),
    GateState("referred",           "officer_s",    "open",    "locked", "wait_for_officer"),
    GateState("out_of_service",     "recheck_s",    "open",    "locked", "gate_closed"),
    GateState("maintenance",        "recheck_s",    "open",    "locked", "gate_closed"),
    GateState("emergency",          "recheck_s",    "open",    "open",   "emergency_exit"),
)
# fmt: on
STATE_BY_NAME = {s.name: s for s in STATES}
RESTING = ("idle", "out_of_service", "maintenance", "emergency")
IN_TRANSACTION = tuple(s.name for s in STATES if s.name not in RESTING)
_AFTER_DOCUMENT = ["entry_closing", "capturing_face", "verifying_face", "checking_lists"]
_ANY_BUT_EMERGENCY = [s.name for s in STATES if s.name != "emergency"]
_SERVICEABLE = [s.name for s in STATES if s.name not in ("emergency", "maintenance")]

# fmt: off
TRANSITIONS: list[dict[str, Any]] = [
    # the traveller's way through
    dict(trigger="document_seen",    source="idle",               dest="document_present", after="begin_transaction"),
    dict(trigger="chip_ready",       source="document_present",   dest="reading_chip",     after="count_document_attempt"),
    dict(trigger="document_removed", source="document_present",   dest="idle"),
    dict(trigger="chip_read",        source="reading_chip",       dest="verifying_document"),
    dict(trigger="chip_failed",      source="reading_chip",       dest="document_present", conditions="can_retry_document", after="note_problem"),
    dict(trigger="chip_failed",      source="reading_chip",       dest="referred",         after="note_problem"),
    dict(trigger="document_ok",      source="verifying_document", dest="entry_closing",    conditions="two_step"),
    dict(trigger="document_ok",      source="verifying_document", dest="capturing_face",   after="count_face_attempt"),
    dict(trigger="document_bad",     source="verifying_document", dest="checking_lists",   after="note_problem"),
    dict(trigger="mantrap_sealed",   source="entry_closing",      dest="capturing_face",   after="count_face_attempt"),
    dict(trigger="face_captured",    source="capturing_face",     dest="verifying_face"),
    dict(trigger="face_verified",    source="verifying_face",     dest="checking_lists"),
    dict(trigger="decided",          source="checking_lists",     dest="exit_open",        conditions="decision_admits", before="record_decision"),
    dict(trigger="decided",          source="checking_lists",     dest="referred",         before="record_decision"),
    dict(trigger="exit_entered",     source="exit_open",          dest="traveller_passing"),
    dict(trigger="passed",           source=["exit_open", "traveller_passing"], dest="idle"),
    dict(trigger="tailgating",       source=_AFTER_DOCUMENT + ["exit_open", "traveller_passing"], dest="referred", after="note_problem"),
    # timeouts: every state has one (see STATES); resting states re-check themselves
    dict(trigger="timeout",          source="document_present",   dest="idle"),
    dict(trigger="timeout",          source="reading_chip",       dest="document_present", conditions="can_retry_document", after="note_timeout"),
    dict(trigger="timeout",          source="reading_chip",       dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="verifying_document", dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="entry_closing",      dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="capturing_face",     dest="capturing_face",   conditions="can_retry_face", after="count_face_attempt"),
    dict(trigger="timeout",          source="capturing_face",     dest="checking_lists",   after="note_timeout"),
    dict(trigger="timeout",          source="verifying_face",     dest="checking_lists",   after="note_timeout"),
    dict(trigger="timeout",          source="checking_lists",     dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="exit_open",          dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="traveller_passing",  dest="referred",         after="note_timeout"),
    dict(trigger="timeout",          source="referred",           dest="idle",             after="note_timeout"),
    dict(trigger="timeout",          source=list(RESTING),        dest=None),
    # officer and technician commands
    dict(trigger="admit",            source="referred",           dest="exit_open",        before="record_decision"),
    dict(trigger="refuse",           source="referred",           dest="idle",             before="record_decision"),
    dict(trigger="retry_document",   source="referred",           dest="document_present", after="reset_document_attempts"),
    dict(trigger="retry_face",       source="referred",           dest="capturing_face",   conditions="document_checked", after="reset_face_attempts"),
    dict(trigger="maintenance",      source=_ANY_BUT_EMERGENCY,   dest="maintenance",      after="note_problem"),
    dict(trigger="out_of_service",   source=_ANY_BUT_EMERGENCY,   dest="out_of_service",   after="note_problem"),
    dict(trigger="resume",           source=["maintenance", "out_of_service"], dest="idle", conditions="devices_ok"),
    # faults and safety
    dict(trigger="device_lost",      source=_SERVICEABLE,         dest="out_of_service",   after="note_problem"),
    dict(trigger="devices_back",     source="out_of_service",     dest="idle",             conditions="out_for_devices_only"),
    dict(trigger="fire_alarm",       source="*",                  dest="emergency"),
    dict(trigger="alarm_cleared",    source="emergency",          dest="idle",             conditions="devices_ok"),
    dict(trigger="alarm_cleared",    source="emergency",          dest="out_of_service",   after="note_devices_down"),
]
# fmt: on
TRIGGERS = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))


@dataclass(frozen=True)
class Timeouts:
    """Seconds each kind of state may last (the keys named in :data:`STATES`)."""

    idle_s: float = 60.0
    document_s: float = 30.0
    chip_read_s: float = 15.0
    verify_s: float = 10.0
    door_s: float = 8.0
    face_capture_s: float = 7.0
    lists_s: float = 5.0
    exit_pass_s: float = 20.0
    officer_s: float = 300.0
    recheck_s: float = 5.0

    @classmethod
    def from_config(cls, section: Any) -> Timeouts:
        """From the configuration's ``[timeouts]`` section; keys it lacks keep their defaults."""
        names = cls.__dataclass_fields__
        values = {n: float(getattr(section, n)) for n in names if getattr(section, n, None) is not None}
        return cls(**values)


@dataclass(frozen=True)
class Retries:
    """Bounded second chances: re-placing the passport, looking at the camera again."""

    document: int = 2
    face: int = 2

    @classmethod
    def from_config(cls, section: Any) -> Retries:
        names = cls.__dataclass_fields__
        return cls(**{n: int(getattr(section, n)) for n in names if getattr(section, n, None) is not None})


@dataclass(frozen=True)
class StateChange:
    """What the controller is told after every transition (also reflexive ones)."""

    state: str
    previous: str
    trigger: str
    entry_released: bool
    exit_released: bool
    instruction: str
    problem: str | None  # why (a code), for referrals and service states
    deadline_s: float  # the timeout of the state entered


@dataclass
class TransactionContext:
    """Bookkeeping of the current transaction that the guards need (no personal data)."""

    document_attempts: int = 0
    face_attempts: int = 0
    document_checked: bool = False
    decision: str | None = None  # "admit" | "refer" | "refuse", once decided
    decided_by: str | None = None  # "policy" or the officer's id
    problems: list[str] = field(default_factory=list)


class GateMachine:
    """The model the ``transitions`` machine drives. Fire triggers with :meth:`fire`."""

    def __init__(
        self,
        mode: Mode = "one-step",
        timeouts: Timeouts | None = None,
        retries: Retries | None = None,
        on_change: Callable[[StateChange], None] | None = None,
        initial: str = "idle",
    ) -> None:
        self.mode: Mode = mode
        self.timeouts = timeouts or Timeouts()
        self.retries = retries or Retries()
        self.on_change = on_change
        self.tx = TransactionContext()
        self.out_reason: str | None = None  # "devices" when out of service for device faults
        self.devices_healthy = True  # kept current by the controller
        self.state: str = initial
        self._machine = Machine(
            model=self,
            states=[s.name for s in STATES],
            transitions=TRANSITIONS,
            initial=initial,
            send_event=True,
            auto_transitions=False,
            ignore_invalid_triggers=True,
            after_state_change="_announce",
        )

    # -- public ------------------------------------------------------------------------------------------

    def fire(self, trigger: str, **data: Any) -> bool:
        """Fire ``trigger`` with event data; True if a transition (possibly reflexive) ran."""
        if trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {trigger!r}")
        if trigger not in self._machine.get_triggers(self.state):
            return False  # not a transition of this state: ignored, as the table says nothing about it
        return bool(self.trigger(trigger, **data))  # type: ignore[attr-defined]

    def allowed(self) -> list[str]:
        """Triggers that may fire in the current state (guards not evaluated)."""
        return self._machine.get_triggers(self.state)

    def timeout_s(self, state: str | None = None) -> float:
        return float(getattr(self.timeouts, STATE_BY_NAME[state or self.state].timeout))

    def doors(self, state: str | None = None) -> tuple[bool, bool]:
        """(entry released, exit released) that ``state`` (default: the current one) requires."""
        s = STATE_BY_NAME[state or self.state]
        return self._released(s.entry), self._released(s.exit)

    @property
    def in_transaction(self) -> bool:
        return self.state in IN_TRANSACTION

    # -- guards ------------------------------------------------------------------------------------------

    def two_step(self, event: EventData) -> bool:
        return self.mode == "two-step"

    def can_retry_document(self, event: EventData) -> bool:
        """Re-place the passport, within the budget; a suspected attack on the chip is never retried."""
        if event.kwargs.get("problem") == "chip_attack_suspected":
            return False
        return self.tx.document_attempts <= self.retries.document

    def can_retry_face(self, event: EventData) -> bool:
        return self.tx.face_attempts <= self.retries.face

    def decision_admits(self, event: EventData) -> bool:
        """Only an explicit admit decision opens the exit."""
        return event.kwargs.get("decision") == "admit"

    def document_checked(self, event: EventData) -> bool:
        return self.tx.document_checked

    def devices_ok(self, event: EventData) -> bool:
        return self.devices_healthy

    def out_for_devices_only(self, event: EventData) -> bool:
        return self.out_reason == "devices"

    # -- actions -----------------------------------------------------------------------------------------

    def begin_transaction(self, event: EventData) -> None:
        self.tx = TransactionContext()

    def count_document_attempt(self, event: EventData) -> None:
        self.tx.document_attempts += 1

    def count_face_attempt(self, event: EventData) -> None:
        self.tx.face_attempts += 1
        self.tx.document_checked = True

    def reset_document_attempts(self, event: EventData) -> None:
        self.tx.document_attempts = 0

    def reset_face_attempts(self, event: EventData) -> None:
        self.tx.face_attempts = 1

    def record_decision(self, event: EventData) -> None:
        trigger = event.event.name
        outcome = {"admit": "admit", "refuse": "refuse"}.get(trigger, event.kwargs.get("decision"))
        self.tx.decision = outcome if outcome in ("admit", "refer", "refuse") else "refer"
        self.tx.decided_by = str(event.kwargs.get("actor") or "policy")

    def note_problem(self, event: EventData) -> None:
        problem = str(event.kwargs.get("problem") or event.event.name)
        self.tx.problems.append(problem)
        if event.event.name == "device_lost":
            self.out_reason = self.out_reason or "devices"  # a technician's decision is not undone by a fault
        elif event.event.name in ("out_of_service", "maintenance"):
            self.out_reason = "manual"

    def note_devices_down(self, event: EventData) -> None:
        """Leaving an emergency with a device still lost: out of service until it answers again."""
        self.tx.problems.append("devices_not_answering")
        self.out_reason = "devices"

    def note_timeout(self, event: EventData) -> None:
        self.tx.problems.append(f"timeout_{event.transition.source}")

    # -- internals ---------------------------------------------------------------------------------------

    def _released(self, door: Door) -> bool:
        return door == "open" or (door == "mantrap" and self.mode == "one-step")

    def _announce(self, event: EventData) -> None:
        if self.state in ("idle", "emergency"):
            self.out_reason = None
        if self.on_change is None:
            return
        entry, exit_ = self.doors()
        problem = self.tx.problems[-1] if self.tx.problems else None
        if self.state in ("idle", "exit_open", "traveller_passing", "emergency"):
            problem = None
        self.on_change(
            StateChange(
                state=self.state,
                previous=event.transition.source,
                trigger=event.event.name,
                entry_released=entry,
                exit_released=exit_,
                instruction=STATE_BY_NAME[self.state].instruction,
                problem=problem,
                deadline_s=self.timeout_s(),
            )
        )


def diagram(title: str = "egate") -> str:
    """The state diagram as Mermaid text, drawn by ``transitions`` from :data:`TRANSITIONS` itself."""
    from transitions.extensions import GraphMachine

    class _Model:
        pass

    model = _Model()
    GraphMachine(
        model=model,
        states=[s.name for s in STATES],
        transitions=TRANSITIONS,
        initial="idle",
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title=title,
    )
    return str(model.get_graph().draw(None))  # type: ignore[attr-defined]


def unreachable_states() -> list[str]:
    """States no chain of transitions reaches from ``idle`` (the table must have none)."""
    edges: dict[str, set[str]] = {s.name: set() for s in STATES}
    names = [s.name for s in STATES]
    for t in TRANSITIONS:
        sources = names if t["source"] == "*" else t["source"]
        for src in [sources] if isinstance(sources, str) else sources:
            edges[src].add(t["dest"] or src)
    seen, todo = {"idle"}, ["idle"]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return [n for n in names if n not in seen]


def states_without_timeout() -> list[str]:
    """States with no ``timeout`` transition or no timeout value (the table must have none)."""
    names = [s.name for s in STATES]
    covered: set[str] = set()
    for t in TRANSITIONS:
        if t["trigger"] == "timeout":
            covered |= set(names if t["source"] == "*" else [t["source"]] if isinstance(t["source"], str)
                           else t["source"])
    fields = Timeouts.__dataclass_fields__
    return [s.name for s in STATES if s.name not in covered or s.timeout not in fields]
