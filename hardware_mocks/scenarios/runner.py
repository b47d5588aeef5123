"""Plays scenarios through the whole gate and checks each one's expected outcome.

For each scenario: the controller with the scenario's settings, the camera showing the scenario's face,
the traveller walking in, the passport (generated for the scenario) on the reader with its MRZ on the MRZ
reader, the scenario's timed steps (faults, alarms, crashes) as the gate goes through its states, then the
outcome: ``admit`` when the exit opens, ``refer``/``refuse`` when the gate calls an officer (the policy's
decision), ``interrupted``/``abandoned`` when the transaction is closed without one. Afterwards the runner
clears the faults, acts as the officer if needed and checks that the gate is back in ``idle``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from hardware_mocks.scenarios.gate import ScenarioGate, Seen
from hardware_mocks.scenarios.model import Scenario, Step

RESET_TIMEOUT_S = 20.0
PASSAGE_WAIT_S = 10.0


@dataclass
class Run:
    """What one scenario's run observed."""

    scenario: Scenario
    t0: float = 0.0
    outcome: str | None = None
    outcome_at: float | None = None
    reasons: list[str] = field(default_factory=list)
    states: list[tuple[str, float]] = field(default_factory=list)
    instructions: list[str] = field(default_factory=list)
    audit_id: str | None = None
    doors: dict[str, Any] = field(default_factory=dict)
    passed: bool = False
    extra_timings: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    recovered: bool | None = None


class ScenarioRunner:
    def __init__(self, gate: ScenarioGate) -> None:
        self.gate = gate

    def prepare(self, scenarios: list[Scenario]) -> None:
        """Import the list entries of every scenario to be run (one version of each list for all of them)."""
        today = dt.date.today()
        entries: dict[str, list[dict[str, str]]] = {}
        for s in scenarios:
            for kind, rows in s.lists.items():
                for row in rows:
                    entries.setdefault(kind, []).append(_list_row(kind, row, s, today))
        self.gate.import_lists(entries)

    def run(self, scenario: Scenario) -> dict[str, Any]:
        run = Run(scenario)
        try:
            self._play(run)
        except Exception as exc:  # noqa: BLE001 - a broken scenario is a failed scenario, not a crashed runner
            run.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._reset(run)
        return result(run)

    # -- one scenario --------------------------------------------------------------------------------------

    def _play(self, run: Run) -> None:
        s, gate = run.scenario, self.gate
        rig = gate.rig
        assert rig is not None and rig.io_board is not None and rig.camera is not None
        gate.ensure_controller(s.controller, s.mode, s.policy)
        rig.camera.set_scenario(s.camera, s.camera_person)
        gate.drain()
        self._walk_in(run)
        pending = [(step, None) for step in s.steps]  # (step, due time once triggered)
        run.t0 = time.monotonic()
        rig.present_passport(s.doc, list(s.faults), person=s.person, fields=s.passport_fields(),
                             image=s.portrait_image)
        pending = _trigger(pending, "start", "", run.t0)
        deadline = run.t0 + s.expect.within_s
        passage_until: float | None = None
        while time.monotonic() < deadline:
            due = [d for _, d in pending if d is not None]
            wait = min([0.2, *[max(0.0, d - time.monotonic()) for d in due]])
            try:
                seen: Seen | None = gate.events.get(timeout=wait)
            except queue.Empty:
                seen = None
            if seen is not None:
                pending = self._observe(run, seen, pending)
            for step, when in [p for p in pending if p[1] is not None and p[1] <= time.monotonic()]:
                pending.remove((step, when))
                self._act(run, step)
            if run.outcome is not None and passage_until is None:
                run.doors = self._doors_settled()
                passage_until = time.monotonic() + (PASSAGE_WAIT_S if run.outcome == "admit" and
                                                    s.walk == "through" else 0.0)
            if passage_until is not None and (run.passed or time.monotonic() >= passage_until) \
                    and not pending and gate.events.empty():
                return
        if run.outcome is None:
            run.errors.append(f"no outcome within {s.expect.within_s:.0f} s (state {gate.state})")
        run.errors += [f"step {step.action} on {step.when} never ran" for step, _ in pending]

    def _walk_in(self, run: Run) -> None:
        board = self.gate.rig.io_board  # type: ignore[union-attr]
        walk = run.scenario.walk
        if walk == "tailgate":
            board.tailgate()
        elif walk in ("through", "stay"):
            board.person_enters(stop_at="inside" if walk == "stay" else None)
            if run.scenario.mode == "one-step":
                board.wait_for(lambda st: "inside" in st.people.values(), timeout_s=10)

    def _observe(self, run: Run, seen: Seen, pending: list[tuple[Step, float | None]]
                 ) -> list[tuple[Step, float | None]]:
        data, ctl = seen.data, self.gate.ctl
        run.audit_id = run.audit_id or data.get("transaction")
        if seen.kind == "state":
            run.states.append((data["state"], seen.at))
            pending = _trigger(pending, "state", data["state"], seen.at)
            if data["state"] == "exit_open" and run.outcome is None:
                self._settle(run, "admit", seen.at, [])
        elif seen.kind == "instruction":
            run.instructions.append(data["key"])
            pending = _trigger(pending, "instruction", data["key"], seen.at)
        elif seen.kind == "referral" and run.outcome is None:
            decided = getattr(getattr(ctl, "machine", None), "tx", None)
            outcome = getattr(decided, "decision", None) or "refer"
            self._settle(run, outcome, seen.at, [r["code"] for r in data.get("reasons", [])])
        elif seen.kind == "decision":
            codes = [r["code"] for r in data.get("reasons", [])]
            if run.outcome is None:
                self._settle(run, data["outcome"], seen.at, codes)
            elif data["outcome"] == "admit":
                run.passed = True
                run.reasons = list(dict.fromkeys(codes)) or run.reasons  # an admit's reasons come at its close
            elif data["outcome"] in ("interrupted", "abandoned") and run.outcome == "admit":
                self._settle(run, data["outcome"], seen.at, codes)  # the exit opened, then a crash or fault
                run.doors = self._doors_settled()
            run.audit_id = data.get("transaction") or run.audit_id
        return pending

    def _settle(self, run: Run, outcome: str, at: float, reasons: list[str]) -> None:
        run.outcome, run.outcome_at, run.reasons = outcome, at, list(dict.fromkeys(reasons))

    def _doors_settled(self) -> dict[str, Any]:
        time.sleep(0.15)  # one I/O poll and the coil writes
        return self.gate.doors()

    # -- actions -------------------------------------------------------------------------------------------

    def _act(self, run: Run, step: Step) -> None:
        rig, gate, a = self.gate.rig, self.gate, step.args
        assert rig is not None and rig.io_board is not None and rig.camera is not None
        name = step.action
        if name == "camera":
            rig.camera.set_scenario(str(a.get("scenario", "bona_fide")), a.get("person", run.scenario.camera_person))
        elif name == "camera_drop":
            rig.camera.drop(float(a.get("seconds", 3.0)))
        elif name == "remove_passport":
            rig.remove_passport()
        elif name == "replace_passport":
            s = run.scenario
            rig.remove_passport()
            time.sleep(0.5)  # the traveller lifts the passport and puts it down again
            rig.present_passport(s.doc, [f for f in s.faults if not f.startswith("remove")], person=s.person,
                                 fields=s.passport_fields(), image=s.portrait_image)
        elif name == "fire_alarm":
            on = bool(a.get("on", True))
            started = time.monotonic()
            rig.io_board.fire_alarm(on)
            if on:
                board = rig.io_board.wait_for(lambda st: st.coils["entry_lock"] and st.coils["exit_lock"], 2.0)
                run.extra_timings["alarm_to_doors_released"] = time.monotonic() - started
                assert board.fire_alarm
        elif name == "io_link":
            link = rig.io_board.link
            assert link is not None
            link.plug() if a.get("connected", False) else link.unplug()
        elif name == "io":
            rig.io_board.run_command(str(a["command"]))
        elif name == "crash_controller":
            gate.crash_process()
        elif name == "start_controller":
            gate.start_controller(run.scenario.mode, run.scenario.policy)

    # -- afterwards ----------------------------------------------------------------------------------------

    def _reset(self, run: Run) -> None:
        gate, rig = self.gate, self.gate.rig
        assert rig is not None and rig.io_board is not None and rig.camera is not None
        try:
            rig.io_board.fire_alarm(False)
            if rig.io_board.link is not None and not getattr(rig.io_board.link, "_plugged", True):
                rig.io_board.link.plug()
            rig.remove_passport()
            rig.io_board.clear_people()
            if gate.proc is not None:
                gate.stop_controller()
            if gate.ctl is None:
                gate.start_controller(run.scenario.mode, run.scenario.policy)
            if gate.state == "referred":
                gate.ctl.command("refuse", actor="scenario-officer", role="officer", reason="scenario finished")
            run.recovered = gate.ctl.wait_for_state("idle", timeout=RESET_TIMEOUT_S)
            rig.camera.set_scenario("empty")
            time.sleep(0.6)  # pcscd notices the card has gone at its next poll
        except Exception as exc:  # noqa: BLE001
            run.errors.append(f"reset: {type(exc).__name__}: {exc}")
            run.recovered = False


def _trigger(pending: list[tuple[Step, float | None]], kind: str, name: str, at: float
             ) -> list[tuple[Step, float | None]]:
    out = []
    for step, due in pending:
        if due is None and step.trigger == (kind, name):
            due = at + step.after_s
        out.append((step, due))
    return out


def _list_row(kind: str, row: dict[str, Any], s: Scenario, today: dt.date) -> dict[str, str]:
    from hardware_mocks.scenarios.model import resolve_date

    fields = s.passport_fields(today)
    issuer = str(row.get("issuer", fields.get("issuing_state", "UTO")))
    number = str(row.get("number", row.get("document_number", fields.get("document_number", ""))))
    out = {k: str(resolve_date(v, today)) for k, v in row.items()}
    if kind == "sltd":
        out |= {"issuer": issuer, "document_type": str(row.get("document_type", "P")), "number": number}
    elif kind == "trusted":
        out |= {"issuer": issuer, "document_type": str(row.get("document_type", "P")), "document_number": number,
                "enrolment_expiry": str(resolve_date(row.get("enrolment_expiry", "+1y"), today))}
    return out


def check(run: Run) -> list[str]:
    """Why the run does not meet the scenario's expectations (empty: it passed)."""
    e, failures = run.scenario.expect, list(run.errors)
    if run.outcome != e.outcome:
        failures.append(f"outcome {run.outcome!r}, expected {e.outcome!r}")
    failures += [f"reason {code!r} missing" for code in e.reasons if code not in run.reasons]
    failures += [f"reason {code!r} present" for code in e.absent_reasons if code in run.reasons]
    if e.state is not None and e.state not in [name for name, _ in run.states]:
        failures.append(f"the gate never reached {e.state!r}")
    for side, want in e.doors.items():
        got = "released" if run.doors.get(side, {}).get("released") else "locked"
        if got != want:
            failures.append(f"{side} door {got}, expected {want}")
    if e.passed is not None and run.passed != e.passed:
        failures.append("the traveller did not pass the exit" if e.passed else "the traveller passed the exit")
    failures += [f"instruction {key!r} never shown" for key in e.instructions if key not in run.instructions]
    if e.trusted is not None and ("trusted_traveller" in run.reasons) != e.trusted:
        failures.append("admitted as a trusted traveller" if not e.trusted else "not admitted as a trusted traveller")
    alarm = run.extra_timings.get("alarm_to_doors_released")
    if e.alarm_release_max_s is not None and (alarm is None or alarm > e.alarm_release_max_s):
        failures.append(f"doors released {alarm} s after the fire alarm, limit {e.alarm_release_max_s} s")
    if e.recovers and run.recovered is False:
        failures.append("the gate did not return to idle after the scenario")
    return failures


def timings(run: Run) -> dict[str, float]:
    """Seconds in each state from the passport's placement to the outcome (a state entered twice adds up)."""
    end = run.outcome_at or time.monotonic()
    out = {name: round(value, 3) for name, value in state_durations(run.states, end).items()}
    for name, value in run.extra_timings.items():
        out[name] = round(value, 4)
    return out


def state_durations(states: list[tuple[str, float]], end: float) -> dict[str, float]:
    """Seconds spent in each state of ``states`` ((name, entered at), in order) up to ``end``; a state
    entered twice adds up."""
    out: dict[str, float] = {}
    marks = [(name, at) for name, at in states if at <= end]
    for (name, at), nxt in zip(marks, [*[a for _, a in marks[1:]], end], strict=True):
        out[name] = out.get(name, 0.0) + max(0.0, nxt - at)
    return out


def result(run: Run) -> dict[str, Any]:
    failures = check(run)
    e = run.scenario.expect
    return {
        "name": run.scenario.name,
        "passed": not failures,
        "expected": e.outcome,
        "outcome": run.outcome,
        "reasons": run.reasons,
        "timings": timings(run),
        "total_s": round(run.outcome_at - run.t0, 3) if run.outcome_at is not None else None,
        "doors": {side: "released" if d["released"] else "locked" for side, d in run.doors.items()},
        "audit_id": run.audit_id,
        "passed_exit": run.passed,
        "states": [name for name, _ in run.states],
        "failures": failures,
        "expect": {k: v for k, v in dataclasses.asdict(e).items() if v not in (None, (), {}, [])},
    }


def run_scenarios(gate: ScenarioGate, scenarios: list[Scenario], progress: Any = None) -> list[dict[str, Any]]:
    runner = ScenarioRunner(gate)
    runner.prepare(scenarios)
    results = []
    for s in scenarios:
        r = runner.run(s)
        if progress is not None:
            progress(r)
        results.append(r)
    return results
