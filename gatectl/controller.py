"""The gate controller: runs the state machine (:mod:`gatectl.machine`) against the devices.

One thread owns the machine. Everything else posts messages to its queue: the I/O poller
(:mod:`gatectl.io_watch`, which also releases the doors itself on a fire alarm), the card/camera/MRZ watch
(:mod:`gatectl.device_watch`), the MRZ reader's callback, the face-capture thread (:mod:`gatectl.face_watch`)
and the worker threads that run a transaction's steps (:mod:`gatectl.steps`). A step's result is used only
if the machine is still in the state that started it, so a late answer never races a newer state.

Overlap where it saves time: the chip portrait's template is computed as soon as DG2 is read, while the rest
of the chip is read and verified; in a one-step gate the camera session opens when the chip read starts (the
traveller is already in front of the camera), so good frames are usually waiting when the document is
verified. In a two-step gate capture starts once the entry door has closed behind exactly one person.

What happens is published on :attr:`GateController.events` (:mod:`gatectl.events`); commands come in through
:meth:`GateController.command`; every transaction and every officer or technician action goes to the audit
log. Driving it from a test or a benchmark::

    ctl = GateController(cfg, GateDevices.open(cfg), audit=..., policy=..., lists=...).start()
    with ctl.events.subscribe(["state"]) as sub:
        ...  # play a traveller on the rig
        ctl.wait_for_state("exit_open", timeout=30)
    ctl.stop()
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import queue
import threading
import time
from typing import Any

from gatectl import steps
from gatectl.device_watch import DeviceWatch
from gatectl.devices import GateDevices
from gatectl.events import Command, CommandResult, EventBus
from gatectl.face_watch import FaceWatch
from gatectl.io_watch import DoorOutputs, IoWatcher
from gatectl.machine import RESTING, GateMachine, Retries, StateChange, Timeouts
from gatectl.transaction import INTERRUPTING, Transaction, jsonable, outcome_at_rest, reason, reason_dict

log = logging.getLogger(__name__)

RED_STATES = ("referred", "out_of_service", "maintenance")


class GateController:
    """See the module docstring. ``audit``, ``policy`` and ``lists`` follow docs/gate-interfaces; ``lists``
    may be a function that opens the store: it is then opened in the one thread that screens (SQLite)."""

    def __init__(self, cfg: Any, devices: GateDevices, *, audit: Any = None, policy: Any = None,
                 lists: Any = None, trust: Any = None) -> None:
        self.cfg = cfg
        self.devices = devices
        self.audit = audit
        self.policy = policy
        self.lists = lists
        self.trust = trust
        self.gate_id = cfg.gate.id
        self.mode = cfg.gate.mode
        self.bio = cfg.biometrics
        self.events = EventBus()
        self.machine = GateMachine(self.mode, Timeouts.from_config(cfg.timeouts),
                                   Retries.from_config(getattr(cfg, "retries", None)), on_change=self._on_state)
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._doors = DoorOutputs(devices.io)
        self._io_watch = IoWatcher(devices.io, self._doors, self._post, cfg.devices.io.poll_interval_s)
        self._device_watch = DeviceWatch(devices.reader, devices.camera, devices.mrz, self._post)
        self._face = FaceWatch(devices.camera, self.bio, self._post)
        self._workers = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="gate-step")
        self._screening = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="gate-lists")
        self._lists_store: Any = None
        self._thread = threading.Thread(target=self._run, name="gate-controller", daemon=True)
        self._state_seq = 0
        self._deadline = time.monotonic()
        self._tx: Transaction | None = None
        self._card = False
        self._need_new_card = False
        self._pending_mrz: Any = None
        self._capture_ready: int | None = None
        self._device_ok: dict[str, bool] = {}
        self._state_lock = threading.Lock()
        self._doors_shown: tuple[bool, bool, bool] | None = None
        self._owns = False  # from_config opened the devices and the audit log: stop() closes them
        self._state = self.machine.state

    @classmethod
    def from_config(cls, cfg: Any, devices: GateDevices | None = None) -> GateController:
        """A controller with everything the configuration names: devices, trust store, audit, policy, lists."""
        from gatectl.audit import AuditLog
        from gatectl.lists import ListStore
        from gatectl.policy import Policy, PolicySettings
        trust = cfg.trust.open_store()
        settings = cfg.policy if isinstance(cfg.policy, PolicySettings) else \
            PolicySettings.model_validate(cfg.policy.model_dump())
        audit = AuditLog(cfg.audit.path, cfg.audit.load_key())
        try:
            opened = devices or GateDevices.open(cfg)
        except BaseException:
            audit.close()
            raise
        db, threshold = cfg.lists.db, cfg.lists.watchlist_threshold
        try:
            controller = cls(cfg, opened, audit=audit, policy=Policy(settings),
                             lists=lambda: ListStore(db, threshold), trust=trust)
        except BaseException:  # a bad policy or timeout setting: nothing stays open
            if devices is None:
                opened.close()
            audit.close()
            raise
        controller._owns = devices is None
        return controller

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> GateController:
        """Doors safe, interrupted transactions closed, then the watchers and the controller thread."""
        self._doors.set(*self.machine.doors())
        if self.audit is not None:
            for tx in self.audit.close_interrupted():
                self.events.publish("decision", transaction=tx, outcome="interrupted",
                                    reasons=[{"code": "controller_restart", "message": "", "rule": None}])
            self.audit.record_event("controller_start", {"gate_id": self.gate_id, "mode": self.mode})
        self._io_watch.start()
        self._device_watch.start()
        self._face.start()
        self.devices.mrz.start(lambda reading: self._post(("mrz", reading)),
                               on_error=lambda error: self._post(("mrz", error)))
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close any transaction as interrupted, leave the doors safe and stop every thread."""
        if self._thread.is_alive():
            self._post(("stop",))
            self._thread.join(timeout)
        self.devices.mrz.stop()
        self._face.stop()
        self._device_watch.stop()
        self._io_watch.stop()
        self._workers.shutdown(wait=False, cancel_futures=True)
        self._screening.shutdown(wait=False, cancel_futures=True)
        if self._owns:
            self._owns = False
            self.devices.close()
            if self.audit is not None:
                self.audit.close()

    def __enter__(self) -> GateController:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- public API ----------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        with self._state_lock:
            return self._state

    def wait_for_state(self, *states: str, timeout: float = 30.0) -> bool:
        """True once the gate is in one of ``states`` (at once if it already is)."""
        with self.events.subscribe(["state"]) as sub:
            if self.state in states:
                return True
            return sub.wait_for(lambda e: e.data["state"] in states, timeout) is not None

    def command(self, name: str, actor: str, role: str, reason: str, timeout: float = 10.0,
                **args: Any) -> CommandResult:
        """An officer's or technician's command; accepted or not, it is audited with actor and reason.

        Not from an event callback (it runs in the controller thread, which would wait for itself)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("command() from the controller thread: post it from another thread")
        if not self._thread.is_alive():
            return CommandResult(False, "the controller is not running", self.state)
        cmd = Command(name, actor, role, reason, dict(args))
        done: concurrent.futures.Future[CommandResult] = concurrent.futures.Future()
        self._post(("command", cmd, done))
        return done.result(timeout)

    def snapshot(self) -> dict[str, Any]:
        """For status pages: state, doors, devices, the current transaction id."""
        entry, exit_ = self._doors.wanted
        tx = self._tx  # read once: the controller thread may end the transaction meanwhile
        return {"gate_id": self.gate_id, "mode": self.mode, "state": self.state,
                "transaction": tx.id if tx else None,
                "doors": {"entry_released": entry, "exit_released": exit_, "alarm": self._doors.alarm},
                "devices": dict(self._device_ok)}

    def health(self) -> list[Any]:
        """Each device's health from the controller's own drivers (a second opening would disturb them)."""
        out = []
        for device in (self.devices.reader, self.devices.io, self.devices.camera, self.devices.mrz):
            try:
                out.append(device.health())
            except Exception as exc:  # noqa: BLE001 - a report, never a crash
                from devices.base import Health

                out.append(Health(type(device).__name__, getattr(device, "url", ""), False, str(exc)))
        return out

    # -- the controller thread -----------------------------------------------------------------------------

    def _post(self, message: tuple[Any, ...]) -> None:
        self._inbox.put(message)

    def _run(self) -> None:
        self._deadline = time.monotonic() + self.machine.timeout_s()
        while True:
            wait = max(0.0, min(self._deadline - time.monotonic(), 0.5))
            try:
                message = self._inbox.get(timeout=wait)
            except queue.Empty:
                message = None
            if message is not None and message[0] == "stop":
                self._shutdown()
                return
            try:
                if message is not None:
                    self._handle(message)
                if time.monotonic() >= self._deadline:
                    self._fire("timeout")
            except Exception:  # noqa: BLE001 - a bug in one handler must not stop the gate
                log.exception("controller error handling %s", message[0] if message else "timeout")
                self._fail_safe()

    def _fail_safe(self) -> None:
        """After a handler's bug: out of service; if even that fails, the thread still lives on."""
        try:
            self._fire("out_of_service", problem="controller_error")
        except Exception:  # noqa: BLE001 - the controller thread must not die
            log.exception("controller could not go out of service")
            self._deadline = time.monotonic() + self.machine.timeout_s()

    def _shutdown(self) -> None:
        try:
            self._close_transaction("interrupted", [reason("controller_stopped")])
        finally:
            self._doors.set(True, False)
            if self.audit is not None:
                self.audit.record_event("controller_stop", {"gate_id": self.gate_id})

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, *rest = message
        handler = getattr(self, f"_on_{kind}")
        handler(*rest)

    def _fire(self, trigger: str, **data: Any) -> bool:
        return self.machine.fire(trigger, **data)

    def _defer(self, trigger: str, **data: Any) -> None:
        """Fire after the current transition has finished (never a transition inside a transition)."""
        self._post(("fire", trigger, data))

    def _on_fire(self, trigger: str, data: dict[str, Any]) -> None:
        self._fire(trigger, **data)

    # -- state changes -------------------------------------------------------------------------------------

    def _on_state(self, change: StateChange) -> None:
        self._state_seq += 1
        self._deadline = time.monotonic() + change.deadline_s
        with self._state_lock:
            self._state = change.state
        self._set_doors(change.entry_released, change.exit_released, change.state)
        tx = self._tx.id if self._tx else None
        self.events.publish("state", state=change.state, previous=change.previous, trigger=change.trigger,
                            transaction=tx, problem=change.problem, deadline_s=change.deadline_s)
        self.events.publish("instruction", key=self._instruction(change), state=change.state)
        if change.state in RESTING:
            self._end_transaction(change)
            if change.trigger == "timeout":
                self._recheck(change.state)
        enter = getattr(self, f"_enter_{change.state}", None)
        if enter is not None:
            enter(change)

    def _instruction(self, change: StateChange) -> str:
        if change.state == "document_present" and change.previous in ("reading_chip", "referred"):
            return "replace_passport"
        if change.state == "document_present" and self._pending_mrz is None:
            return "place_passport_on_mrz_reader"
        return change.instruction

    def _set_doors(self, entry: bool, exit_: bool, why: str) -> None:
        written = self._doors.set(entry, exit_, red=why in RED_STATES)
        if not written:
            # the driver has used its retries: a board that cannot take a door command is a lost device
            self._io_watch.write_failed(self._doors.last_error or "door outputs not written")
        shown = (entry or self._doors.alarm, exit_ or self._doors.alarm, written)
        if shown == self._doors_shown:
            return
        self._doors_shown = shown
        self.events.publish("door", entry_released=entry or self._doors.alarm,
                            exit_released=exit_ or self._doors.alarm, reason=why, alarm=self._doors.alarm,
                            written=written)

    def _recheck(self, state: str) -> None:
        """A resting state's periodic re-check: leave it if the reason for it is gone (a lost message)."""
        if state == "out_of_service" and self.machine.devices_healthy and self._device_ok:
            self._defer("devices_back")
        elif state == "emergency" and not self._doors.alarm:
            self._defer("alarm_cleared")

    def _enter_document_present(self, change: StateChange) -> None:
        if change.previous == "idle":
            self._begin_transaction()
        elif change.previous in ("reading_chip", "referred"):
            self._face.close()  # the traveller is busy with the passport; capture starts again with the read
            # a card still on the reader must be lifted and put back; one whose removal was seen before the
            # failed read reported (the card watch can be quicker) already has been
            self._need_new_card = self._card
            if change.problem == "access_denied":
                self._pending_mrz = None  # the MRZ did not open the chip: read it again
        self._maybe_read_chip()

    def _enter_reading_chip(self, change: StateChange) -> None:
        assert self._tx is not None
        self._tx.mrz = self._pending_mrz
        reader, mrz, trust = self.devices.reader, self._pending_mrz, self.trust
        self._start_step("chip_read", steps.read_chip_with_portrait, reader, mrz, trust)
        if self.mode == "one-step" and self._face.session_id is None:
            self._capture_ready = None
            self._face.open()

    def _enter_verifying_document(self, change: StateChange) -> None:
        assert self._tx is not None
        self._start_step("document_check", steps.check_document, self._tx.chip, self._tx.mrz)

    def _enter_entry_closing(self, change: StateChange) -> None:
        assert self._tx is not None
        self._tx.beam_breaks = 0

    def _enter_capturing_face(self, change: StateChange) -> None:
        if change.previous == "capturing_face" or self._face.session_id is None:
            self._capture_ready = None
            self._face.open()
        elif self._capture_ready == self._face.session_id:
            self._defer("face_captured")

    def _enter_verifying_face(self, change: StateChange) -> None:
        assert self._tx is not None
        session = self._face.take(self._capture_ready) if self._capture_ready is not None else None
        self._start_step("face_verify", steps.verify_face, self._tx.portrait, session, self.bio)

    def _enter_checking_lists(self, change: StateChange) -> None:
        assert self._tx is not None
        self._face.close()
        if self._tx.mrz is None or self.policy is None:
            self._defer("decided", decision="refer")
            return
        self._start_step("decision", self._decide, self._tx.mrz, self._tx.document, self._tx.face,
                         executor=self._screening)

    def _decide(self, mrz: Any, document: Any, face: Any) -> Any:
        """In the screening thread: the list store is opened there, on first use."""
        if self._lists_store is None and self.lists is not None:
            self._lists_store = self.lists() if callable(self.lists) else self.lists
        return steps.decide(self.policy, self._lists_store, mrz, document, face, dt.date.today(),
                            getattr(getattr(self.cfg, "lists", None), "max_age_h", None))

    def _enter_exit_open(self, change: StateChange) -> None:
        if self._tx is not None:
            self._tx.exit_door_opened = False
            self._tx.beam_breaks = 0

    def _enter_referred(self, change: StateChange) -> None:
        tx = self._tx
        if tx is None:
            return
        self._face.close()
        reasons = self._reasons(change)
        self.events.publish("referral", transaction=tx.id, reasons=reasons, evidence=dict(tx.evidence))
        self._record("referral", time.time(), {"reasons": reasons})

    def _enter_idle(self, change: StateChange) -> None:
        self._face.close()
        self._capture_ready = None
        self._need_new_card = False
        self._pending_mrz = None

    # -- transactions and audit ----------------------------------------------------------------------------

    def _begin_transaction(self) -> None:
        tx_id = self.audit.begin_transaction(self.gate_id) if self.audit is not None else None
        self._tx = Transaction(tx_id)

    def _end_transaction(self, change: StateChange) -> None:
        if self._tx is not None:
            self._close_transaction(outcome_at_rest(change, self.machine.tx), self._reasons(change))

    def _close_transaction(self, outcome: str, reasons: list[dict[str, Any]]) -> None:
        tx, self._tx = self._tx, None
        if tx is None:
            return
        tx.portrait = None
        summary = {"document_type": getattr(tx.mrz, "document_type", None),
                   "document_hash": self._document_hash(tx.mrz),
                   "issuer": getattr(tx.mrz, "issuing_state", "").replace("<", "") or None,
                   "timings": {k: round(v, 3) for k, v in tx.timings.items()},
                   "total_s": round(time.time() - tx.started, 3), "mode": self.mode,
                   "checks": tx.evidence.get("checks"),
                   "random_referral": bool(getattr(tx.decision, "random_referral", False))}
        if self.audit is not None and tx.id is not None:
            self.audit.close_transaction(tx.id, outcome, reasons, summary)
        self.events.publish("decision", transaction=tx.id, outcome=outcome, reasons=reasons, summary=summary)

    def _document_hash(self, mrz: Any) -> str | None:
        """The document number only as the audit key's keyed hash."""
        number = getattr(mrz, "document_number", None)
        if not number or self.audit is None:
            return None
        return str(self.audit.document_hash(number))

    def _reasons(self, change: StateChange | None = None) -> list[dict[str, Any]]:
        tx = self._tx
        reasons: list[dict[str, Any]] = []
        if tx is not None and tx.decision is not None:
            reasons += [reason_dict(r) for r in getattr(tx.decision, "reasons", [])]
        for problem in self.machine.tx.problems:
            reasons.append(reason(problem))
        if change is not None and change.trigger in INTERRUPTING:
            reasons.append(reason(change.problem or change.trigger))
        unique = {(r["code"], r.get("rule")): r for r in reasons}
        return list(unique.values())

    def _record(self, step: str, started: float, result: dict[str, Any]) -> None:
        tx = self._tx
        if tx is None:
            return
        ended = time.time()
        tx.timings[step] = tx.timings.get(step, 0.0) + (ended - started)
        if self.audit is not None and tx.id is not None:
            self.audit.record_step(tx.id, step, started, ended, result)

    # -- steps in worker threads ---------------------------------------------------------------------------

    def _start_step(self, name: str, fn: Any, *args: Any,
                    executor: concurrent.futures.Executor | None = None) -> None:
        token = (name, self._state_seq)
        started = time.time()
        future = (executor or self._workers).submit(fn, *args)
        future.add_done_callback(lambda f: self._post(("step", token, started, f)))

    def _on_step(self, token: tuple[str, int], started: float, future: concurrent.futures.Future[Any]) -> None:
        name, seq = token
        if seq != self._state_seq:
            log.debug("late result of %s dropped", name)
            return
        try:
            value, error = future.result(), None
        except steps.StepFailed as exc:
            value, error = None, exc
        except Exception as exc:  # noqa: BLE001 - any failure of a step is a reason, never a crash
            log.warning("step %s failed: %s", name, type(exc).__name__)
            value, error = None, steps.StepFailed(f"{name}_failed", type(exc).__name__)
        getattr(self, f"_after_{name}")(value, error, started)

    def _after_chip_read(self, value: Any, error: steps.StepFailed | None, started: float) -> None:
        assert self._tx is not None
        if error is not None:
            self._record("chip_read", started, {"ok": False, "problem": error.problem})
            self._fire("chip_failed", problem=error.problem)
            return
        self._tx.chip, self._tx.portrait = value
        self._record("chip_read", started, {"ok": True, "access": self._tx.chip.access,
                                            "seconds": round(self._tx.chip.seconds, 3)})
        self._fire("chip_read")

    def _after_document_check(self, value: Any, error: steps.StepFailed | None, started: float) -> None:
        assert self._tx is not None
        check = value or steps.DocumentCheck(False, "not_run", [error.problem if error else "document_check"])
        self._tx.document = check
        self._tx.evidence["document"] = {**check.evidence, "problems": list(check.problems)}
        self._record("document_check", started, {"verified": check.verified, "problems": check.problems,
                                                 "chip_authenticity": check.chip_authenticity})
        if check.verified:
            self._fire("document_ok")
        else:
            self._fire("document_bad", problem=check.problems[0])

    def _after_face_verify(self, value: Any, error: steps.StepFailed | None, started: float) -> None:
        assert self._tx is not None
        face = value or steps.FaceOutcome(None, None, float(self.bio.match_threshold), None, None, 0,
                                          error.problem if error else "face_verify")
        self._tx.face = face
        self._tx.evidence["face"] = face.evidence()
        self._record("face_verify", started, face.evidence())
        self._fire("face_verified")

    def _after_decision(self, value: Any, error: steps.StepFailed | None, started: float) -> None:
        assert self._tx is not None
        if error is not None:
            self._record("decision", started, {"ok": False, "problem": error.problem})
            self.machine.tx.problems.append("decision_failed")
            self._fire("decided", decision="refer")
            return
        decision, evidence, checks = value
        self._tx.decision = decision
        self._tx.evidence["lists"] = evidence
        self._tx.evidence["checks"] = checks
        reasons = [reason_dict(r) for r in decision.reasons]
        self._record("decision", started, {"outcome": decision.outcome, "reasons": reasons, **evidence})
        self._fire("decided", decision=decision.outcome)

    # -- device messages -----------------------------------------------------------------------------------

    def _on_card(self, present: bool, first: bool = False) -> None:
        self._card = present
        if first:
            return  # a card already on the reader at start-up starts nothing: an MRZ read or a new card does
        if not present:
            self._need_new_card = False
            if self.state == "document_present" and self._pending_mrz is None and self._tx is not None \
                    and self.machine.tx.document_attempts == 0:
                self._fire("document_removed")
            return
        if self.state == "idle":
            self._fire("document_seen")
        else:
            self._maybe_read_chip()

    def _on_mrz(self, reading: Any) -> None:
        from devices.base import DeviceError

        if isinstance(reading, DeviceError):
            why = getattr(reading, "reason", str(reading))  # MRZ rejections name no field's content
            self.events.publish("instruction", key="rescan_passport", state=self.state)
            if self._tx is not None:
                self._record("mrz_read", time.time(), {"ok": False, "problem": "mrz_unreadable",
                                                       "detail": str(why)[:200]})
            return
        if self.state not in ("idle", "document_present"):
            return
        self._pending_mrz = reading.mrz
        if self.state == "idle":
            self._fire("document_seen")
        else:
            self._maybe_read_chip()

    def _maybe_read_chip(self) -> None:
        if self.state == "document_present" and self._card and not self._need_new_card \
                and self._pending_mrz is not None:
            self._defer("chip_ready")

    def _on_instruction(self, key: str, session_id: int) -> None:
        if self.state == "capturing_face" and session_id == self._face.session_id:
            self.events.publish("instruction", key=key, state=self.state)

    def _on_capture_ready(self, session_id: int) -> None:
        if self._capture_ready == session_id:
            return
        self._capture_ready = session_id
        if self.state == "capturing_face" and session_id == self._face.session_id:
            self._fire("face_captured")

    def _on_device(self, kind: str, ok: bool, detail: str) -> None:
        if self._device_ok.get(kind) == ok:
            return
        self._device_ok = {**self._device_ok, kind: ok}  # replaced, not changed: snapshot() reads it
        self.events.publish("device", device=kind, ok=ok, detail=detail)
        if self.audit is not None:
            self.audit.record_event("device_ok" if ok else "device_lost", {"device": kind, "detail": detail[:300]})
        self.machine.devices_healthy = all(self._device_ok.values())
        if not ok:
            self._fire("device_lost", problem=f"{kind}_not_answering")
        elif self.machine.devices_healthy:
            if kind == "io":
                self._set_doors(*self.machine.doors(), self.state)
            self._fire("devices_back")

    def _on_alarm(self, active: bool) -> None:
        if self.audit is not None:
            self.audit.record_event("fire_alarm" if active else "fire_alarm_cleared", {})
        if active:
            self._fire("fire_alarm")
        else:
            self._fire("alarm_cleared")

    def _on_inputs(self, inputs: dict[str, bool], previous: dict[str, bool]) -> None:
        def rising(name: str) -> bool:
            return bool(inputs.get(name)) and not previous.get(name, False)

        state, tx = self.state, self._tx
        if tx is None:
            return
        if rising("tailgating_beam"):
            tx.beam_breaks += 1
        if state == "entry_closing":
            self._watch_mantrap(inputs, tx)
        elif state in ("capturing_face", "verifying_face", "checking_lists") and self.mode == "two-step" \
                and rising("tailgating_beam"):
            self._fire("tailgating", problem="second_person_in_mantrap")
        elif state in ("exit_open", "traveller_passing"):
            self._watch_exit(inputs, previous, tx)

    def _watch_mantrap(self, inputs: dict[str, bool], tx: Transaction) -> None:
        if tx.beam_breaks >= 2:
            self._fire("tailgating", problem="second_person_entering")
        elif tx.beam_breaks == 1:
            self._set_doors(False, False, "entry_closing")  # the entry door latches as it closes
            if inputs.get("entry_door_closed") and inputs.get("presence_inside"):
                self._fire("mantrap_sealed")

    def _watch_exit(self, inputs: dict[str, bool], previous: dict[str, bool], tx: Transaction) -> None:
        if tx.beam_breaks:
            self._fire("tailgating", problem="second_person_at_exit")
            return
        if not inputs.get("exit_door_closed") or inputs.get("presence_exit"):
            if not tx.exit_door_opened:
                tx.exit_door_opened = True
                self._fire("exit_entered")
        elif tx.exit_door_opened and not inputs.get("presence_inside"):
            self._record("passage", time.time(), {"passed": True})
            self._fire("passed")

    # -- commands ------------------------------------------------------------------------------------------

    def _on_command(self, cmd: Command, done: concurrent.futures.Future[CommandResult]) -> None:
        accepted, detail = False, "controller_error"
        try:
            detail = cmd.problem()
            if detail is None:
                accepted, detail = self._apply_command(cmd)
        except Exception:
            detail = "controller_error"
            raise  # _run takes the gate out of service
        finally:
            try:
                self._report_command(cmd, accepted, str(detail))
            finally:
                done.set_result(CommandResult(accepted, str(detail), self.state))  # the caller never hangs

    def _report_command(self, cmd: Command, accepted: bool, detail: str) -> None:
        tx = self._tx.id if self._tx else None
        if self.audit is not None and isinstance(cmd.actor, str) and cmd.actor.strip():
            self.audit.record_action(cmd.actor, cmd.role, cmd.name, cmd.reason or "(none given)", tx,
                                     {"accepted": accepted, "detail": detail, **jsonable(cmd.args)})
        self.events.publish("command", name=cmd.name, actor=cmd.actor, role=cmd.role, reason=cmd.reason,
                            accepted=accepted, detail=detail)

    def _apply_command(self, cmd: Command) -> tuple[bool, str]:
        before = self.state
        if cmd.name == "door":
            if before != "maintenance":
                return False, "manual door control only in maintenance"
            entry, exit_ = self._doors.wanted
            if cmd.args["door"] == "entry":
                entry = cmd.args["release"]
            else:
                exit_ = cmd.args["release"]
            self._set_doors(entry, exit_, "manual")
            return True, f"{cmd.args['door']} door {'released' if cmd.args['release'] else 'locked'}"
        problem = f"{cmd.name}_by_{cmd.role}"
        if not self._fire(cmd.name, actor=cmd.actor, problem=problem):  # every other command is a trigger
            return False, f"{cmd.name} is not possible in state {before}"
        return True, f"{before} -> {self.state}"
