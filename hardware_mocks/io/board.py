"""A simulated gate I/O board: a Modbus RTU slave on a pseudo-terminal, driving simulated doors and sensors.

The board speaks real Modbus RTU (pymodbus server) on the device side of a :class:`SerialLink`. Its
coils drive the gate (``entry_lock``, ``exit_lock``: 1 = lock released; lights; buzzer) and its discrete
inputs report the gate (``*_door_closed``: 1 = closed; ``presence_*``: 1 = someone in the zone;
``tailgating_beam``: 1 while the beam is interrupted; ``fire_alarm_loop``: normally closed, 1 = loop
intact, 0 = alarm).

Physics, evaluated every ``tick_s`` by a simulation thread:

* a door opens ``open_delay_s`` after someone pushes it (presence in its approach zone: ``entry`` for the
  entry door, ``inside`` for the exit door) while its lock is released;
* an open door closes ``close_delay_s`` after its approach zone is clear;
* a lock re-engages as soon as its coil is 0 and the door is closed (an open door latches on closing).

People are simulated walkers: each starts in the ``entry`` zone and steps to the next zone ``step_s``
after the door in front of them is open, breaking the tailgating beam as they pass the entry door.
Scenario helpers (:meth:`IoBoard.person_enters`, :meth:`IoBoard.walk_through`, :meth:`IoBoard.tailgate`,
:meth:`IoBoard.set_presence`, :meth:`IoBoard.fire_alarm`, ...) or a list of timed :class:`ScriptStep`
drive them. Run as a process with ``python -m hardware_mocks.io.board --link PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

from hardware_mocks.serial_link import SerialLink

log = logging.getLogger(__name__)

Zone = Literal["entry", "inside", "exit"]
ZONES: tuple[Zone, ...] = ("entry", "inside", "exit")
Side = Literal["entry", "exit"]

DEFAULT_COILS: dict[str, int] = {
    "entry_lock": 0,
    "exit_lock": 1,
    "light_green": 2,
    "light_red": 3,
    "buzzer": 4,
}
DEFAULT_INPUTS: dict[str, int] = {
    "entry_door_closed": 0,
    "exit_door_closed": 1,
    "presence_entry": 2,
    "presence_inside": 3,
    "presence_exit": 4,
    "tailgating_beam": 5,
    "fire_alarm_loop": 6,
}
REQUIRED_COILS = ("entry_lock", "exit_lock")
REQUIRED_INPUTS = tuple(DEFAULT_INPUTS)
FIRMWARE_VERSION = 0x0102  # input register 0


@dataclass
class _Door:
    side: Side
    approach: Zone
    closed: bool = True
    latched: bool = True
    push_since: float | None = None
    clear_since: float | None = None
    last_pass: float = -1e9
    openings: int = 0
    forced: bool = False


@dataclass
class _Walker:
    id: int
    zone: Zone | None
    start_at: float
    stop_at: Zone | None = None
    door_open_since: float | None = None
    zone_since: float = 0.0


@dataclass(frozen=True)
class BoardState:
    """A consistent snapshot of the board for tests and diagnostics."""

    running: bool
    coils: dict[str, bool]
    inputs: dict[str, bool]
    doors: dict[str, dict[str, Any]]
    people: dict[int, str]
    passed: int
    beam_breaks: int
    requests: int
    unit: int

    @property
    def fire_alarm(self) -> bool:
        return not self.inputs["fire_alarm_loop"]


@dataclass(frozen=True)
class ScriptStep:
    """At ``at_s`` seconds after :meth:`IoBoard.play` starts, run board command ``command`` (see COMMANDS)."""

    at_s: float
    command: str
    args: tuple[str, ...] = ()


@dataclass
class _Model:
    coils: dict[str, bool]
    manual_presence: dict[Zone, bool] = field(default_factory=lambda: dict.fromkeys(ZONES, False))
    manual_beam: bool = False
    beam_until: float = 0.0
    beam_breaks: int = 0
    fire_loop_intact: bool = True
    doors: dict[Side, _Door] = field(
        default_factory=lambda: {"entry": _Door("entry", "entry"), "exit": _Door("exit", "inside")}
    )
    walkers: dict[int, _Walker] = field(default_factory=dict)
    next_walker: int = 1
    passed: int = 0
    requests: int = 0


def _check_map(kind: str, table: dict[str, int], required: Iterable[str]) -> dict[str, int]:
    missing = [n for n in required if n not in table]
    if missing:
        raise ValueError(f"{kind} map is missing {', '.join(missing)}")
    if len(set(table.values())) != len(table):
        raise ValueError(f"{kind} map gives two names one address: {table}")
    for name, addr in table.items():
        if not isinstance(addr, int) or not 0 <= addr <= 0xFFFF:
            raise ValueError(f"{kind} {name}: address {addr!r} outside 0..65535")
    return dict(table)


class IoBoard:
    """The simulated I/O board. ``start()``/``stop()`` or use as a context manager.

    Give ``link`` to attach to an existing :class:`SerialLink` (the board opens its device side and leaves
    it up on stop), or let the board create its own link, with the driver side symlinked to
    ``driver_link`` when given; an own link is torn down on ``stop()``, as if the board were unplugged.
    """

    def __init__(
        self,
        *,
        link: SerialLink | None = None,
        driver_link: str | os.PathLike[str] | None = None,
        unit: int = 1,
        baud: int = 19200,
        parity: str = "N",
        stopbits: int = 1,
        coils: dict[str, int] | None = None,
        inputs: dict[str, int] | None = None,
        pace_wire: bool = True,
        open_delay_s: float = 0.3,
        close_delay_s: float = 0.5,
        step_s: float = 0.2,
        beam_pulse_s: float = 0.15,
        pass_gap_s: float = 0.35,
        tick_s: float = 0.01,
    ) -> None:
        if not 1 <= unit <= 247:
            raise ValueError(f"unit id {unit} outside 1..247")
        self.unit = unit
        self.baud = baud
        self.parity = parity
        self.stopbits = stopbits
        self.coil_map = _check_map("coil", coils if coils is not None else DEFAULT_COILS, REQUIRED_COILS)
        self.input_map = _check_map(
            "input", inputs if inputs is not None else DEFAULT_INPUTS, REQUIRED_INPUTS
        )
        self.open_delay_s = open_delay_s
        self.close_delay_s = close_delay_s
        self.step_s = step_s
        self.beam_pulse_s = beam_pulse_s
        self.pass_gap_s = pass_gap_s
        self.tick_s = tick_s
        self._external_link = link
        self._driver_link = driver_link
        self._pace_wire = pace_wire
        self.link: SerialLink | None = link
        self._lock = threading.RLock()
        self._model = _Model(coils=dict.fromkeys(self.coil_map, False))
        self._running = False
        self._stop_event = threading.Event()
        self._sim_thread: threading.Thread | None = None
        self._server_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusSerialServer | None = None
        self._server_error: BaseException | None = None
        self._server_ready = threading.Event()

    # -- lifecycle --------------------------------------------------------------------------------------

    @property
    def driver_path(self) -> str:
        """The serial device path the controller should open."""
        if not self.link:
            raise RuntimeError("the board has no link yet; start() it first")
        return self.link.driver_path

    def url(self, **params: str | int) -> str:
        """A ``modbus-rtu://`` URL for this board, for drivers and configuration files."""
        query = {"baud": self.baud, "unit": self.unit, **params}
        return f"modbus-rtu://{self.driver_path}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def start(self, timeout_s: float = 5.0) -> IoBoard:
        if self._running:
            return self
        if self._external_link is None:
            self.link = SerialLink(driver_link=self._driver_link, baud=self.baud if self._pace_wire else None)
            self.link.start()
        elif not self._external_link.running:
            raise RuntimeError("the serial link given to the board is not started")
        with self._lock:  # power-on: every output off, so both locks engage
            self._model.coils = dict.fromkeys(self.coil_map, False)
        self._stop_event.clear()
        self._server_ready.clear()
        self._server_error = None
        self._server_thread = threading.Thread(target=self._serve, name="io-board-modbus", daemon=True)
        self._server_thread.start()
        if not self._server_ready.wait(timeout_s) or self._server_error:
            self._running = True
            self.stop()
            where = self._external_link.device_path if self._external_link else "its own link"
            raise RuntimeError(f"the I/O board did not start on {where}: {self._server_error or 'timeout'}")
        self._sim_thread = threading.Thread(target=self._simulate, name="io-board-sim", daemon=True)
        self._running = True
        self._sim_thread.start()
        return self

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._stop_event.set()
        loop, server = self._loop, self._server
        if loop and server and loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(server.shutdown(), loop)
            with contextlib.suppress(Exception):
                fut.result(timeout=2.0)
        for thread in (self._server_thread, self._sim_thread):
            if thread:
                thread.join(timeout=2.0)
        self._server_thread = self._sim_thread = None
        self._loop = self._server = None
        if self._external_link is None and self.link:
            self.link.stop()

    def __enter__(self) -> IoBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- Modbus server ----------------------------------------------------------------------------------

    def _device(self) -> SimDevice:
        def bits(table: dict[str, int]) -> list[SimData]:
            low, high = min(table.values()), max(table.values())
            return [SimData(low, values=[False] * (high - low + 1), datatype=DataType.BITS)]

        return SimDevice(
            id=self.unit,
            simdata=(
                bits(self.coil_map),
                bits(self.input_map),
                [SimData(0, values=[0], datatype=DataType.REGISTERS)],
                [SimData(0, values=[FIRMWARE_VERSION], datatype=DataType.REGISTERS, readonly=True)],
            ),
            action=self._on_access,
        )

    def _serve(self) -> None:
        try:
            asyncio.run(self._serve_async())
        except BaseException as exc:  # reported to start()
            self._server_error = exc
            self._server_ready.set()

    async def _serve_async(self) -> None:
        assert self.link is not None
        self._loop = asyncio.get_running_loop()
        server = ModbusSerialServer(
            self._device(),
            framer=FramerType.RTU,
            port=self.link.device_path,
            baudrate=self.baud,
            parity=self.parity,
            stopbits=self.stopbits,
            trace_pdu=self._filter_request,
        )
        self._server = server
        await server.serve_forever(background=True)
        self._server_ready.set()
        await server.serving

    def _filter_request(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        """Count requests; ignore frames for other unit ids, as a slave on a shared RS-485 bus must."""
        if sending:
            return pdu
        if pdu.dev_id != self.unit:
            return None  # type: ignore[return-value]  # pymodbus then sends no response
        with self._lock:
            self._model.requests += 1
        return pdu

    async def _on_access(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> None:
        """pymodbus hook on every coil/input access: sync the register image with the simulation model."""
        with self._lock:
            if function_code in (1, 5, 15):
                if set_values is not None and function_code in (5, 15):
                    by_addr = {a: n for n, a in self.coil_map.items()}
                    for i, value in enumerate(set_values):
                        if (name := by_addr.get(address + i)) is not None:
                            self._model.coils[name] = bool(value)
                    self._tick(time.monotonic())
                _pack(registers, start_address, self.coil_map, self._model.coils)
            elif function_code == 2:
                self._tick(time.monotonic())
                _pack(registers, start_address, self.input_map, self._inputs())
        return None

    # -- simulation -------------------------------------------------------------------------------------

    def _simulate(self) -> None:
        while not self._stop_event.wait(self.tick_s):
            with self._lock:
                self._tick(time.monotonic())

    def _presence(self, zone: Zone, now: float) -> bool:
        m = self._model
        return m.manual_presence[zone] or any(
            w.zone == zone and w.start_at <= now for w in m.walkers.values()
        )

    def _inputs(self) -> dict[str, bool]:
        m, now = self._model, time.monotonic()
        values = {
            "entry_door_closed": m.doors["entry"].closed,
            "exit_door_closed": m.doors["exit"].closed,
            "presence_entry": self._presence("entry", now),
            "presence_inside": self._presence("inside", now),
            "presence_exit": self._presence("exit", now),
            "tailgating_beam": m.manual_beam or now < m.beam_until,
            "fire_alarm_loop": m.fire_loop_intact,
        }
        return {name: values.get(name, False) for name in self.input_map}

    def _tick(self, now: float) -> None:
        m = self._model
        for door in m.doors.values():
            released = m.coils.get(f"{door.side}_lock", False)
            pushed = self._presence(door.approach, now)
            if door.closed:
                door.latched = not released
                if door.forced:
                    door.closed, door.forced, door.clear_since = False, False, None
                    door.openings += 1
                elif pushed and not door.latched:
                    door.push_since = door.push_since if door.push_since is not None else now
                    if now - door.push_since >= self.open_delay_s:
                        door.closed, door.push_since, door.clear_since = False, None, None
                        door.openings += 1
                else:
                    door.push_since = None
            elif pushed:
                door.clear_since = None
            else:
                door.clear_since = door.clear_since if door.clear_since is not None else now
                if now - door.clear_since >= self.close_delay_s:
                    door.closed, door.clear_since = True, None
                    door.latched = not released
        self._move_walkers(now)

    def _move_walkers(self, now: float) -> None:
        m = self._model
        for walker in sorted(m.walkers.values(), key=lambda w: w.id):
            if walker.start_at > now or walker.zone is None or walker.zone == walker.stop_at:
                continue
            if walker.zone == "exit":
                if now - walker.zone_since >= self.step_s:
                    walker.zone = None
                    m.passed += 1
                continue
            door = m.doors["entry" if walker.zone == "entry" else "exit"]
            if door.closed:
                walker.door_open_since = None
                continue
            walker.door_open_since = walker.door_open_since if walker.door_open_since is not None else now
            if now - walker.door_open_since < self.step_s or now - door.last_pass < self.pass_gap_s:
                continue
            door.last_pass = now
            walker.door_open_since = None
            walker.zone_since = now
            if walker.zone == "entry":
                walker.zone = "inside"
                m.beam_until = now + self.beam_pulse_s
                m.beam_breaks += 1
            else:
                walker.zone = "exit"
        for wid in [wid for wid, w in m.walkers.items() if w.zone is None]:
            del m.walkers[wid]

    # -- scenario API -----------------------------------------------------------------------------------

    def person_enters(self, stop_at: Zone | None = None, delay_s: float = 0.0) -> int:
        """A traveller arrives in the entry zone (after ``delay_s``) and walks on as the doors open.

        With ``stop_at`` the traveller stays in that zone (e.g. ``"inside"``). Returns the walker id.
        """
        if stop_at is not None and stop_at not in ZONES:
            raise ValueError(f"unknown zone {stop_at!r}; zones are {', '.join(ZONES)}")
        with self._lock:
            m = self._model
            wid = m.next_walker
            m.next_walker += 1
            start = time.monotonic() + delay_s
            m.walkers[wid] = _Walker(wid, "entry", start, stop_at, zone_since=start)
            return wid

    def walk_through(self, people: int = 1, gap_s: float = 0.5) -> list[int]:
        """``people`` travellers, ``gap_s`` apart, each walking through the gate as far as it lets them."""
        return [self.person_enters(delay_s=i * gap_s) for i in range(people)]

    def tailgate(self) -> list[int]:
        """Two travellers close together: the second follows through the same opening (two beam breaks)."""
        return self.walk_through(2, gap_s=0.05)

    def person_leaves(self, walker: int) -> None:
        """The traveller gives up and walks away (disappears from their zone)."""
        with self._lock:
            self._model.walkers.pop(walker, None)

    def clear_people(self) -> None:
        with self._lock:
            self._model.walkers.clear()
            self._model.manual_presence = dict.fromkeys(ZONES, False)

    def set_presence(self, zone: Zone, present: bool) -> None:
        """Force a presence sensor on or off, independently of the simulated travellers."""
        if zone not in ZONES:
            raise ValueError(f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
        with self._lock:
            self._model.manual_presence[zone] = present

    def break_beam(self, times: int = 1) -> None:
        """Interrupt the tailgating beam ``times`` times, ``pass_gap_s`` apart (non-blocking)."""
        if times < 1:
            return
        self._pulse_beam()
        if times > 1:
            self.play([ScriptStep(i * self.pass_gap_s, "beam") for i in range(1, times)])

    def _pulse_beam(self) -> None:
        with self._lock:
            self._model.beam_until = time.monotonic() + self.beam_pulse_s
            self._model.beam_breaks += 1

    def set_beam(self, interrupted: bool) -> None:
        """Hold the tailgating beam interrupted (True) or release it."""
        with self._lock:
            if interrupted and not self._model.manual_beam:
                self._model.beam_breaks += 1
            self._model.manual_beam = interrupted

    def fire_alarm(self, active: bool = True) -> None:
        """Open (alarm) or close the normally-closed fire-alarm loop."""
        with self._lock:
            self._model.fire_loop_intact = not active

    def force_door(self, side: Side) -> None:
        """Someone forces ``side``'s door open whatever its lock says (it then closes as usual)."""
        if side not in ("entry", "exit"):
            raise ValueError(f"unknown door {side!r}; doors are entry, exit")
        with self._lock:
            self._model.doors[side].forced = True

    def run_command(self, line: str) -> str:
        """Run one textual board command (see COMMANDS); returns a one-line answer."""
        words = shlex.split(line)
        if not words:
            return ""
        name, args = words[0], words[1:]
        handler = COMMANDS.get(name)
        if handler is None:
            raise ValueError(f"unknown command {name!r}; commands: {', '.join(sorted(COMMANDS))}")
        try:
            return handler(self, args)
        except IndexError:
            raise ValueError(f"command {name!r}: missing argument") from None

    def play(self, steps: Iterable[ScriptStep]) -> threading.Event:
        """Run timed steps in the background; the returned event is set when the last one has run."""
        ordered = sorted(steps, key=lambda s: s.at_s)
        for step in ordered:
            if step.command not in COMMANDS:
                raise ValueError(f"unknown command {step.command!r} in script")
        done = threading.Event()

        def runner() -> None:
            t0 = time.monotonic()
            try:
                for step in ordered:
                    if self._stop_event.wait(max(0.0, t0 + step.at_s - time.monotonic())):
                        break
                    try:
                        self.run_command(shlex.join([step.command, *step.args]))
                    except ValueError as exc:
                        log.warning("script step %s failed: %s", step, exc)
            finally:
                done.set()

        threading.Thread(target=runner, name="io-board-script", daemon=True).start()
        return done

    # -- inspection -------------------------------------------------------------------------------------

    def state(self) -> BoardState:
        with self._lock:
            m = self._model
            return BoardState(
                running=self._running,
                coils=dict(m.coils),
                inputs=self._inputs(),
                doors={
                    side: {
                        "closed": d.closed,
                        "locked": d.latched,
                        "openings": d.openings,
                    }
                    for side, d in m.doors.items()
                },
                people={w.id: w.zone or "" for w in m.walkers.values() if w.start_at <= time.monotonic()},
                passed=m.passed,
                beam_breaks=m.beam_breaks,
                requests=m.requests,
                unit=self.unit,
            )

    def wait_for(self, predicate: Callable[[BoardState], bool], timeout_s: float = 5.0) -> BoardState:
        """Wait until ``predicate(state())`` holds; raises TimeoutError with the last state otherwise."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() >= deadline:
                raise TimeoutError(f"board condition not reached within {timeout_s} s; state: {state}")
            time.sleep(self.tick_s)


def _pack(registers: list[int], start_register: int, table: dict[str, int], values: dict[str, bool]) -> None:
    """Write named bits into pymodbus's 16-bit register image (bit address a = register a//16, bit a%16)."""
    for name, addr in table.items():
        index, bit = addr // 16 - start_register, addr % 16
        if 0 <= index < len(registers):
            if values.get(name, False):
                registers[index] |= 1 << bit
            else:
                registers[index] &= ~(1 << bit)


def _on_off(args: list[str]) -> bool:
    if not args or args[0] not in ("on", "off", "1", "0", "true", "false"):
        raise ValueError("expected on or off")
    return args[0] in ("on", "1", "true")


COMMANDS: dict[str, Callable[[IoBoard, list[str]], str]] = {
    "enter": lambda b, a: f"walker {b.person_enters(stop_at=a[0] if a else None)}",  # type: ignore[arg-type]
    "walk": lambda b, a: f"walkers {b.walk_through(int(a[0]) if a else 1)}",
    "tailgate": lambda b, a: f"walkers {b.tailgate()}",
    "leave": lambda b, a: b.person_leaves(int(a[0])) or "ok",
    "clear": lambda b, a: b.clear_people() or "ok",
    "presence": lambda b, a: b.set_presence(a[0], _on_off(a[1:])) or "ok",  # type: ignore[arg-type]
    "beam": lambda b, a: b.break_beam(int(a[0]) if a else 1) or "ok",
    "fire": lambda b, a: b.fire_alarm(_on_off(a)) or "ok",
    "force": lambda b, a: b.force_door(a[0]) or "ok",  # type: ignore[arg-type]
    "state": lambda b, a: repr(b.state()),
}


def _name_addr(text: str) -> tuple[str, int]:
    name, sep, addr = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=ADDRESS, got {text!r}")
    try:
        return name, int(addr, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"address in {text!r} is not an integer") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hardware_mocks.io.board", description="Run the simulated gate I/O board (Modbus RTU)."
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--link", type=Path, help="create a pty link and symlink its controller side here")
    where.add_argument("--device", help="open this existing serial device (the device side of a link)")
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", choices=["N", "E", "O"], default="N")
    parser.add_argument("--stopbits", type=int, choices=[1, 2], default=1)
    parser.add_argument("--no-pace", action="store_true", help="do not delay bytes as a real wire would")
    parser.add_argument("--coil", type=_name_addr, action="append", default=[], metavar="NAME=ADDR")
    parser.add_argument("--input", type=_name_addr, action="append", default=[], metavar="NAME=ADDR")
    parser.add_argument("--commands", action="store_true", help="read board commands from stdin, one a line")
    args = parser.parse_args(argv)

    coils = {**DEFAULT_COILS, **dict(args.coil)}
    inputs = {**DEFAULT_INPUTS, **dict(args.input)}
    link = None
    if args.device:
        link = _ExistingDevice(args.device)
    board = IoBoard(
        link=link,  # type: ignore[arg-type]
        driver_link=args.link,
        unit=args.unit,
        baud=args.baud,
        parity=args.parity,
        stopbits=args.stopbits,
        coils=coils,
        inputs=inputs,
        pace_wire=not args.no_pace,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        board.start()
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"io-board: {exc}", file=sys.stderr)
        return 1
    print(f"io-board: unit {board.unit} at {board.driver_path}", flush=True)
    try:
        if args.commands:
            threading.Thread(target=_command_loop, args=(board, stop), daemon=True).start()
        stop.wait()
    finally:
        board.stop()
    return 0


class _ExistingDevice:
    """Stands in for a SerialLink when the board opens a serial device somebody else provides."""

    running = True

    def __init__(self, path: str) -> None:
        self.device_path = path
        self.driver_path = path


def _command_loop(board: IoBoard, stop: threading.Event) -> None:
    for line in sys.stdin:
        try:
            answer = board.run_command(line)
        except (ValueError, IndexError) as exc:
            answer = f"error: {exc}"
        if answer:
            print(answer, flush=True)
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
