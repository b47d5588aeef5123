"""The controller's side of the gate I/O board: the door outputs and the input poller with its fire-alarm path.

One poller thread reads every input in one Modbus request each ``poll_s`` (at most :data:`MAX_POLL_S`). When
the normally-closed fire-alarm loop opens it releases both locks itself, at once, before telling the
controller: the alarm never waits for the controller's queue. From then until the loop closes again every
door write is forced to "released" (:class:`DoorOutputs` holds the one lock that serialises coil writes), so
no state change can lock a door during an alarm. Worst case from the input changing to both locks
released: one poll period + one input read + two coil writes (about 30 + 10 + 2 x 10 ms at 19200 baud);
``egate bench alarm`` measures it.

Input changes, alarm changes and link faults are posted to the controller with ``post(message)``:
``("inputs", inputs, previous)``, ``("alarm", active)``, ``("device", "io", ok, detail)``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.base import DeviceError
from devices.gate_io import FIRE_LOOP_INPUT

log = logging.getLogger(__name__)

MAX_POLL_S = 0.03  # keeps input change -> doors released well under 100 ms
LOCKS = ("entry_lock", "exit_lock")
Post = Callable[[tuple[Any, ...]], None]


class DoorOutputs:
    """The one writer of the lock and light coils (coil on = lock released)."""

    def __init__(self, io: Any) -> None:
        self.io = io
        self._lock = threading.Lock()
        self.alarm = False
        self.wanted: tuple[bool, bool] = (False, False)
        self.applied: tuple[bool, bool] | None = None
        self.last_error = ""

    def set(self, entry_released: bool, exit_released: bool, red: bool = False) -> bool:
        """Ask for a door state; during a fire alarm both stay released. False if the board did not answer."""
        with self._lock:
            self.wanted = (entry_released, exit_released)
            target = (True, True) if self.alarm else self.wanted
            return self._write(target, red)

    def alarm_on(self) -> bool:
        """Release every door now and keep them released until :meth:`alarm_off`."""
        with self._lock:
            self.alarm = True
            self.applied = None  # write even if the board already says released
            return self._write((True, True), red=True)

    def alarm_off(self) -> None:
        with self._lock:
            self.alarm = False

    def reapply(self) -> bool:
        """Write the wanted state again (after the board came back)."""
        with self._lock:
            self.applied = None
            return self._write((True, True) if self.alarm else self.wanted, red=False)

    def _write(self, target: tuple[bool, bool], red: bool) -> bool:
        if target == self.applied:
            return True
        try:
            # Release before lock: in an alarm the exit (the escape way) goes first.
            for name, on in sorted(zip(LOCKS, target, strict=True), key=lambda p: (not p[1], p[0] != "exit_lock")):
                self.io.set_output(name, on)
            for name, on in (("light_green", target[1] and not self.alarm), ("light_red", red or self.alarm)):
                if name in self.io.coils:
                    self.io.set_output(name, on)
        except Exception as exc:  # noqa: BLE001 - a DeviceError or a driver bug: the write did not happen
            self.applied = None
            self.last_error = str(exc) if isinstance(exc, DeviceError) else type(exc).__name__
            log.warning("door outputs not written: %s", exc)
            return False
        self.applied = target
        return True


class IoWatcher:
    """Polls the inputs in a thread; see the module docstring."""

    def __init__(self, io: Any, doors: DoorOutputs, post: Post, poll_s: float = MAX_POLL_S) -> None:
        self.io = io
        self.doors = doors
        self.post = post
        self.poll_s = min(max(poll_s, 0.005), MAX_POLL_S)
        self.inputs: dict[str, bool] | None = None
        self.ok: bool | None = None
        self.alarm_latency_s: list[float] = []  # input read -> locks released, for the benchmark
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="io-watch", daemon=True)

    def start(self) -> IoWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._poll(started)
            except Exception:  # noqa: BLE001 - the fire-alarm path must outlive any one poll
                log.exception("I/O poll handling failed")
            self._stop.wait(max(0.0, started + self.poll_s - time.monotonic()))

    def _poll(self, started: float) -> None:
        try:
            inputs = self.io.read_inputs()
        except DeviceError as exc:
            self._link(False, str(exc))
        except Exception as exc:  # noqa: BLE001 - the poller must survive anything the link does
            log.exception("I/O poll failed")
            self._link(False, f"I/O poll failed: {type(exc).__name__}")
        else:
            self._link(True, "answering")
            self._inputs(inputs, started)

    def write_failed(self, detail: str) -> None:
        """A door command the board did not take: the link counts as lost until a poll answers again."""
        self._link(False, detail)

    def _link(self, ok: bool, detail: str) -> None:
        if ok == self.ok:
            return
        self.ok = ok
        if ok:
            self.doors.reapply()
        self.post(("device", "io", ok, detail))

    def _inputs(self, inputs: dict[str, bool], read_at: float) -> None:
        alarm = not inputs.get(FIRE_LOOP_INPUT, True)
        if alarm and not self.doors.alarm:
            self.doors.alarm_on()
            self.alarm_latency_s.append(time.monotonic() - read_at)
            self.post(("alarm", True))
        elif not alarm and self.doors.alarm:
            self.doors.alarm_off()
            self.post(("alarm", False))
        previous, self.inputs = self.inputs, inputs
        if inputs != previous:
            self.post(("inputs", inputs, previous or {}))
