"""The gate's state table on its own: completeness, the traveller's way, and random event orders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gatectl.machine import (
    RESTING,
    STATES,
    TRANSITIONS,
    TRIGGERS,
    GateMachine,
    StateChange,
    diagram,
    states_without_timeout,
    unreachable_states,
)

GENUINE = ["document_seen", "chip_ready", "chip_read", "document_ok", "face_captured", "face_verified"]


def test_table_has_no_unreachable_state_and_every_state_a_timeout() -> None:
    assert unreachable_states() == []
    assert states_without_timeout() == []
    names = {s.name for s in STATES}
    for t in TRANSITIONS:
        assert t["dest"] is None or t["dest"] in names, t


def test_genuine_traveller_one_step_and_two_step() -> None:
    for mode, extra in (("one-step", []), ("two-step", ["mantrap_sealed"])):
        seen: list[StateChange] = []
        m = GateMachine(mode, on_change=seen.append)
        for trigger in GENUINE[:4] + extra + GENUINE[4:]:
            assert m.fire(trigger), (mode, trigger, m.state)
        assert m.state == "checking_lists"
        assert m.fire("decided", decision="admit")
        assert m.state == "exit_open" and m.doors() == (False, True)
        assert m.fire("exit_entered") and m.fire("passed")
        assert m.state == "idle" and m.tx.decision == "admit"
        if mode == "two-step":
            assert "entry_closing" in [c.state for c in seen]
            assert m.doors("capturing_face") == (False, False)  # the mantrap holds one person


def test_refer_and_bounded_retries() -> None:
    m = GateMachine()
    m.fire("document_seen")
    for _ in range(m.retries.document + 1):
        assert m.fire("chip_ready") and m.state == "reading_chip"
        m.fire("chip_failed", problem="card_removed")
    assert m.state == "referred" and m.tx.problems[-1] == "card_removed"
    assert not m.fire("decided", decision="admit")  # nothing but an officer's command leaves a referral
    assert m.fire("admit", actor="officer-7") and m.state == "exit_open"
    assert m.tx.decided_by == "officer-7"


def test_suspected_chip_attack_is_referred_at_once() -> None:
    m = GateMachine()
    m.fire("document_seen")
    assert m.fire("chip_ready")
    m.fire("chip_failed", problem="chip_attack_suspected")  # a failed PACE token or response MACs
    assert m.state == "referred" and m.tx.problems == ["chip_attack_suspected"]


def test_decision_other_than_admit_refers() -> None:
    for decision in ("refer", "refuse", None, "ADMIT"):
        m = GateMachine()
        for t in GENUINE:
            m.fire(t)
        m.fire("decided", decision=decision)
        assert m.state == "referred"


def test_device_faults_and_manual_service_states() -> None:
    m = GateMachine()
    m.fire("document_seen")
    m.fire("device_lost", problem="camera_not_answering")
    assert m.state == "out_of_service" and m.doors() == (True, False)
    assert m.fire("devices_back") and m.state == "idle"
    m.fire("out_of_service", problem="technician")
    m.fire("device_lost", problem="io")
    assert not m.fire("devices_back")  # a technician's decision is undone only by a technician
    assert m.fire("resume") and m.state == "idle"


def test_the_alarm_ends_out_of_service_while_a_device_is_lost() -> None:
    m = GateMachine()
    m.fire("device_lost", problem="camera_not_answering")
    m.fire("fire_alarm")
    m.devices_healthy = False  # the controller keeps this current
    assert m.fire("alarm_cleared") and m.state == "out_of_service" and m.doors() == (True, False)
    m.devices_healthy = True
    assert m.fire("devices_back") and m.state == "idle"
    m.fire("fire_alarm")
    assert m.fire("alarm_cleared") and m.state == "idle"


def test_diagram_is_drawn_from_the_table() -> None:
    text = diagram()
    assert text.lstrip("-\n ").startswith("egate")
    assert "stateDiagram-v2" in text
    for s in STATES:
        assert f"state \"{s.name}\" as {s.name}" in text
    assert "checking_lists --> exit_open: decided [decision_admits]" in text


# -- random event orders ---------------------------------------------------------------------------------

EVENTS = st.tuples(
    st.sampled_from(TRIGGERS),
    st.sampled_from(["admit", "refer", "refuse", None]),
)


class Watcher:
    """Checks the safety properties at every transition."""

    def __init__(self, machine: GateMachine) -> None:
        self.m = machine

    def __call__(self, change: StateChange) -> None:
        if change.exit_released and change.state != "emergency":
            assert self.m.tx.decision == "admit", f"exit opened in {change.state} without an admit decision"
            assert change.previous in ("checking_lists", "referred", "exit_open", "traveller_passing")
        if change.state == "emergency":
            assert change.entry_released and change.exit_released


@settings(max_examples=300, deadline=None)
@given(mode=st.sampled_from(["one-step", "two-step"]), events=st.lists(EVENTS, max_size=60),
       alarm_at=st.integers(min_value=0, max_value=60))
def test_random_event_orders_keep_the_gate_safe(mode: str, events: list, alarm_at: int) -> None:
    m = GateMachine(mode)  # type: ignore[arg-type]
    m.on_change = Watcher(m)
    for i, (trigger, decision) in enumerate(events):
        if i == alarm_at:
            m.fire("fire_alarm")
            assert m.state == "emergency" and m.doors() == (True, True)  # the fire alarm always wins
        was_emergency = m.state == "emergency"
        m.fire(trigger, decision=decision, problem="x")
        if was_emergency and trigger != "alarm_cleared":
            assert m.state == "emergency"  # only the alarm's end leaves the emergency state
    # never stuck: timeouts alone bring the gate to rest within a bounded number of steps
    for _ in range(2 * len(STATES) + m.retries.document + m.retries.face + 2):
        if m.state in RESTING:
            break
        assert m.fire("timeout"), m.state
    assert m.state in RESTING
    # and a resting gate always answers the fire alarm
    m.fire("fire_alarm")
    assert m.state == "emergency"


def test_docs_hold_the_current_diagram() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "state-machine.md").read_text()
    assert f"```mermaid\n{diagram().rstrip()}\n```" in doc, "regenerate with: egate gate diagram --markdown"
