"""Gate I/O board driver: Modbus RTU over a serial line (pymodbus), for the door locks, lights and sensors.

Opened from ``modbus-rtu:///dev/ttyUSB0?baud=19200&unit=1&parity=N&stopbits=1`` plus the configuration's
coil and input maps (name -> 0-based Modbus address). Outputs are coils, sensors are discrete inputs; all
inputs are read with one request covering their address range.

Every request is bounded: one attempt waits at most ``timeout_s`` for the reply (about twice that when a
garbled reply arrives first), and timeouts and CRC errors are retried ``retries`` times. When the budget is
spent the call raises :class:`GateIOFault` and every fault listener receives a :class:`GateIOFaultEvent`.
The driver retries itself rather than through pymodbus so it can tell a silent line from a garbled one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pymodbus.client import ModbusSerialClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerRTU, FramerType
from pymodbus.pdu import ModbusPDU

from .base import DeviceError, DeviceTimeout, DeviceURL, Health

log = logging.getLogger(__name__)

SCHEME = "modbus-rtu"
FIRE_LOOP_INPUT = "fire_alarm_loop"
MAX_BITS_PER_READ = 2000  # Modbus limit for read coils / read discrete inputs
_KNOWN_PARAMS = {"baud", "unit", "parity", "stopbits", "bytesize"}

FaultKind = Literal["timeout", "crc", "exception", "disconnected"]


class GateIOFault(DeviceError):
    """The I/O board did not complete a request; ``event`` says how."""

    def __init__(self, event: GateIOFaultEvent):
        super().__init__(f"I/O board {event.kind}: {event.detail}")
        self.event = event

    @property
    def kind(self) -> FaultKind:
        return self.event.kind


class GateIOURLError(DeviceError, ValueError):
    """The device URL or the coil/input maps are unusable."""


@dataclass(frozen=True)
class GateIOFaultEvent:
    """What a fault listener receives when a request finally fails."""

    kind: FaultKind
    detail: str
    timestamp: float = field(default_factory=time.time)


FaultListener = Callable[[GateIOFaultEvent], None]


class IoSectionLike(Protocol):
    url: str
    timeout_s: float
    retries: int
    coils: dict[str, int]
    inputs: dict[str, int]


@dataclass(frozen=True)
class SerialSettings:
    port: str
    baud: int
    unit: int
    parity: str
    stopbits: int
    bytesize: int

    @classmethod
    def from_url(cls, url: str) -> SerialSettings:
        try:
            parsed = DeviceURL.parse(url)
        except ValueError as exc:
            raise GateIOURLError(f"I/O board URL {url!r}: {exc}") from None
        if parsed.scheme != SCHEME:
            raise GateIOURLError(f"I/O board URL {url!r}: scheme must be {SCHEME}://, got {parsed.scheme}://")
        if parsed.netloc:
            raise GateIOURLError(
                f"I/O board URL {url!r}: expected {SCHEME}:///path/to/serial-device (three slashes), "
                f"got host {parsed.netloc!r}"
            )
        if not parsed.path or parsed.path == "/":
            raise GateIOURLError(f"I/O board URL {url!r}: no serial device path")
        unknown = set(parsed.params) - _KNOWN_PARAMS
        if unknown:
            raise GateIOURLError(
                f"I/O board URL {url!r}: unknown parameter(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(_KNOWN_PARAMS))})"
            )
        try:
            baud = parsed.int_param("baud", 19200)
            unit = parsed.int_param("unit", 1)
            stopbits = parsed.int_param("stopbits", 1)
            bytesize = parsed.int_param("bytesize", 8)
        except ValueError as exc:
            raise GateIOURLError(f"I/O board URL {url!r}: {exc}") from None
        parity = parsed.params.get("parity", "N").upper()
        problems = []
        if baud <= 0:
            problems.append(f"baud={baud} must be positive")
        if not 1 <= unit <= 247:
            problems.append(f"unit={unit} outside the Modbus slave range 1..247")
        if parity not in ("N", "E", "O"):
            problems.append(f"parity={parity!r} must be N, E or O")
        if stopbits not in (1, 2):
            problems.append(f"stopbits={stopbits} must be 1 or 2")
        if bytesize not in (7, 8):
            problems.append(f"bytesize={bytesize} must be 7 or 8")
        if problems:
            raise GateIOURLError(f"I/O board URL {url!r}: " + "; ".join(problems))
        return cls(parsed.path, baud, unit, parity, stopbits, bytesize)


def _address_range(kind: str, table: Mapping[str, int]) -> tuple[int, int]:
    if not table:
        raise GateIOURLError(f"the {kind} map is empty")
    for name, addr in table.items():
        if isinstance(addr, bool) or not isinstance(addr, int) or not 0 <= addr <= 0xFFFF:
            raise GateIOURLError(f"{kind} {name!r}: address {addr!r} outside 0..65535")
    if len(set(table.values())) != len(table):
        raise GateIOURLError(f"the {kind} map gives two names one address: {dict(table)}")
    low, high = min(table.values()), max(table.values())
    if high - low + 1 > MAX_BITS_PER_READ:
        raise GateIOURLError(
            f"the {kind} addresses span {high - low + 1} bits; one read covers {MAX_BITS_PER_READ}"
        )
    return low, high - low + 1


class _AttemptFailed(Exception):
    def __init__(self, kind: FaultKind, detail: str, retryable: bool):
        super().__init__(detail)
        self.kind: FaultKind = kind
        self.detail = detail
        self.retryable = retryable


@dataclass(frozen=True)
class _Request:
    what: str
    function_code: int
    bits: int  # bits the reply must carry (0 for writes)
    send: Callable[[int], ModbusPDU]  # called with the unit id
    matches: Callable[[ModbusPDU], bool] = lambda _pdu: True  # a write's echo must match the write


class GateIO:
    """The gate's I/O board. Thread-safe; every call returns or raises within a bounded time."""

    def __init__(
        self,
        url: str,
        coils: Mapping[str, int],
        inputs: Mapping[str, int],
        *,
        timeout: float = 0.5,
        retries: int = 3,
    ) -> None:
        timeout_s = timeout
        if timeout_s <= 0:
            raise GateIOURLError(f"timeout must be positive, got {timeout_s}")
        if retries < 0:
            raise GateIOURLError(f"retries must be >= 0, got {retries}")
        self.url = url
        self.settings = SerialSettings.from_url(url)
        self.coils = dict(coils)
        self.inputs = dict(inputs)
        self._coil_range = _address_range("coil", self.coils)
        self._input_range = _address_range("input", self.inputs)
        self.timeout_s = timeout_s
        self.retries = retries
        # Worst case of one call: every attempt sees a garbled reply and then waits out a full timeout.
        self.max_call_s = (retries + 1) * (2 * timeout_s + 0.1) + 0.5
        self._lock = threading.Lock()
        self._listeners: list[FaultListener] = []
        self._listeners_lock = threading.Lock()
        self._closed = False
        self._rx = b""
        self._requests = 0
        self._retries_used = 0
        self._failures = 0
        self._last_error = ""
        self._last_ok: float | None = None
        self._reachable: bool | None = None
        self._rtt_ms: float | None = None
        self._rtt_avg_ms: float | None = None
        s = self.settings
        self._quiet_s = max(0.02, 40 * 11 / s.baud)  # a few frames' worth of wire time
        self._client = ModbusSerialClient(
            s.port,
            framer=FramerType.RTU,
            baudrate=s.baud,
            bytesize=s.bytesize,
            parity=s.parity,
            stopbits=s.stopbits,
            timeout=timeout_s,
            retries=0,
            name="gate-io",
            trace_packet=self._trace_packet,
        )

    @classmethod
    def from_config(cls, section: IoSectionLike) -> GateIO:
        """Open from the configuration's ``[devices.io]`` section."""
        return cls(
            section.url, section.coils, section.inputs, timeout=section.timeout_s, retries=section.retries
        )

    # -- public API -------------------------------------------------------------------------------------

    def set_output(self, name: str, on: bool) -> None:
        """Switch one coil (e.g. ``entry_lock`` on = lock released)."""
        addr = self._coil_address(name)
        self._call(
            _Request(
                f"write coil {name}",
                5,
                0,
                lambda dev: self._client.write_coil(addr, bool(on), device_id=dev),
                lambda pdu: (
                    pdu.isError() or (pdu.address == addr and bool(pdu.bits and pdu.bits[0]) == bool(on))
                ),
            )
        )

    def outputs(self) -> dict[str, bool]:
        """Read back every mapped coil (one request)."""
        start, count = self._coil_range
        pdu = self._call(
            _Request(
                "read coils", 1, count, lambda dev: self._client.read_coils(start, count=count, device_id=dev)
            )
        )
        return {name: bool(pdu.bits[addr - start]) for name, addr in self.coils.items()}

    def read_inputs(self) -> dict[str, bool]:
        """Read every mapped discrete input (one request over the whole input range)."""
        start, count = self._input_range
        pdu = self._call(
            _Request(
                "read inputs",
                2,
                count,
                lambda dev: self._client.read_discrete_inputs(start, count=count, device_id=dev),
            )
        )
        return {name: bool(pdu.bits[addr - start]) for name, addr in self.inputs.items()}

    @property
    def fire_alarm(self) -> bool:
        """True when the normally-closed fire-alarm loop reads open (reads the inputs now)."""
        return self.alarm_from_inputs(self.read_inputs())

    @staticmethod
    def alarm_from_inputs(inputs: Mapping[str, bool]) -> bool:
        """The fire alarm as derived from a :meth:`read_inputs` result (loop open = alarm)."""
        if FIRE_LOOP_INPUT not in inputs:
            raise KeyError(f"no {FIRE_LOOP_INPUT!r} input in the input map")
        return not inputs[FIRE_LOOP_INPUT]

    def add_fault_listener(self, listener: FaultListener) -> None:
        """``listener(event)`` is called (from the calling thread) each time a request finally fails."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def remove_fault_listener(self, listener: FaultListener) -> None:
        with self._listeners_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def health(self, probe: bool = True) -> Health:
        """Reachability and link statistics; with ``probe`` one input read is made first."""
        if probe and not self._closed:
            with contextlib.suppress(DeviceError):
                self.read_inputs()
        with self._lock:
            metrics: dict[str, Any] = {
                "port": self.settings.port,
                "unit": self.settings.unit,
                "baud": self.settings.baud,
                "requests": self._requests,
                "retries": self._retries_used,
                "failures": self._failures,
                "rtt_ms": None if self._rtt_ms is None else round(self._rtt_ms, 2),
                "rtt_avg_ms": None if self._rtt_avg_ms is None else round(self._rtt_avg_ms, 2),
                "last_ok_at": self._last_ok,
                "last_error": self._last_error,
            }
            ok = bool(self._reachable) and not self._closed
            if self._closed:
                detail = "closed"
            elif self._reachable is None:
                detail = "not contacted yet"
            elif ok:
                detail = f"unit {self.settings.unit} answering on {self.settings.port}"
            else:
                detail = self._last_error
        return Health(device="io", url=self.url, ok=ok, detail=detail, metrics=metrics)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._client.close()

    def __enter__(self) -> GateIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- request machinery ------------------------------------------------------------------------------

    def _coil_address(self, name: str) -> int:
        try:
            return self.coils[name]
        except KeyError:
            raise ValueError(f"unknown output {name!r}; known outputs: {', '.join(self.coils)}") from None

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._rx = data  # pymodbus passes the whole receive buffer of the current attempt
        return data

    def _call(self, request: _Request) -> Any:
        what = request.what
        if not self._lock.acquire(timeout=self.max_call_s):
            raise DeviceTimeout(f"I/O board {what}: driver busy for more than {self.max_call_s:.1f} s")
        try:
            if self._closed:
                raise DeviceError(f"I/O board driver for {self.url} is closed")
            response, event = self._call_locked(request)
        finally:
            self._lock.release()
        if event is None:
            return response
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:  # outside the lock: a listener may call back into the driver
            try:
                listener(event)
            except Exception:
                log.exception("I/O board fault listener %r failed", listener)
        raise GateIOFault(event)

    def _call_locked(self, request: _Request) -> tuple[ModbusPDU | None, GateIOFaultEvent | None]:
        what = request.what
        self._requests += 1
        failure: _AttemptFailed | None = None
        tries = 0
        for tries in range(1, self.retries + 2):
            if tries > 1:
                self._retries_used += 1
            try:
                started = time.perf_counter()
                response = self._attempt(request)
                self._record_success((time.perf_counter() - started) * 1000.0)
                return response, None
            except _AttemptFailed as exc:
                failure = exc
                log.debug("I/O board %s attempt %d failed: %s", what, tries, exc.detail)
                if not exc.retryable:
                    break
        assert failure is not None
        suffix = f" (after {tries} attempts)" if tries > 1 else ""
        event = GateIOFaultEvent(failure.kind, f"{what}: {failure.detail}{suffix}")
        self._failures += 1
        self._reachable = False
        self._last_error = event.detail
        return None, event

    def _attempt(self, request: _Request) -> ModbusPDU:
        self._rx = b""
        port = self.settings.port
        try:
            if not self._client.connect():
                raise _AttemptFailed("disconnected", f"cannot open {port}", retryable=True)
            response = request.send(self.settings.unit)
        except ConnectionException:
            self._client.close()
            raise _AttemptFailed("disconnected", f"serial line {port} lost", retryable=True) from None
        except ModbusException as exc:
            raise self._classify_no_response(exc) from None
        except (OSError, ValueError) as exc:  # pyserial raises these on a port that vanished mid-call
            self._client.close()
            raise _AttemptFailed("disconnected", f"serial line {port}: {exc}", retryable=True) from None
        if response.function_code & 0x7F != request.function_code or not request.matches(response):
            # RTU has no transaction ids: a reply that arrived after its request timed out can be taken
            # for the reply to the next one. Refuse it, let the line go quiet and ask again.
            self._drain()
            raise _AttemptFailed("crc", f"reply does not belong to this request: {response}", retryable=True)
        if response.isError():
            code = getattr(response, "exception_code", 0)
            name = ExcCodes(code).name if code in ExcCodes._value2member_map_ else str(code)
            raise _AttemptFailed(
                "exception", f"unit {self.settings.unit} answered Modbus exception {code} ({name})", False
            )
        if len(getattr(response, "bits", ())) < request.bits:
            raise _AttemptFailed(
                "crc", f"short reply ({len(response.bits)} bits, expected {request.bits})", True
            )
        return response

    def _classify_no_response(self, exc: ModbusException) -> _AttemptFailed:
        """A timeout with nothing received is a silent line; with bytes received, a garbled reply."""
        rx = self._rx
        if not rx:
            return _AttemptFailed("timeout", f"no reply within {self.timeout_s} s", retryable=True)
        self._drain()
        if len(rx) >= FramerRTU.MIN_SIZE and not FramerRTU.check_CRC(rx[:-2], int.from_bytes(rx[-2:], "big")):
            return _AttemptFailed("crc", f"reply failed its CRC check ({rx.hex(' ')})", retryable=True)
        return _AttemptFailed("crc", f"unusable reply ({rx.hex(' ')}): {exc}", retryable=True)

    def _drain(self) -> None:
        """Wait for the line to be quiet, then discard whatever stale bytes arrived."""
        time.sleep(self._quiet_s)
        with contextlib.suppress(Exception):
            if self._client.socket:
                self._client.socket.reset_input_buffer()

    def _record_success(self, rtt_ms: float) -> None:
        self._reachable = True
        self._last_ok = time.time()
        self._rtt_ms = rtt_ms
        self._rtt_avg_ms = rtt_ms if self._rtt_avg_ms is None else 0.8 * self._rtt_avg_ms + 0.2 * rtt_ms
