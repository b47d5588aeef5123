"""Serial MRZ reader (full-page or swipe OCR reader) opened from ``mrz-serial:///dev/ttyACM0?baud=9600``.

Such readers send each MRZ line as ASCII text terminated by CR (some CR LF); a document ends after its last
line. Some readers add an empty line, or frame the whole document in STX (0x02) ... ETX (0x03). The number
of lines a document has follows from the length of its first line (30 characters: three lines, TD1;
36 or 44: two lines), so a document is complete as soon as its last line has arrived.

URL parameters: ``baud`` (9600), ``bytesize`` (8), ``parity`` (N, E or O), ``stopbits`` (1),
``idle`` (seconds of silence that end a burst; 0.5): an unterminated line is then dropped, and lines that
do not form a valid document are reported as a rejection naming the reason.

Noise does not spoil the next document: a line that is not an MRZ line is rejected on its own; noise
glued to the front of a line without a terminator is cut off when it contains non-MRZ bytes; and lines
are judged as a sliding window, so a stray line is shed once the following document's lines arrive.
(Unterminated noise made only of MRZ characters that reaches the port with no gap before a document does
spoil that document's first line; the document after it is read normally.)
A background thread reads the port and queues what it assembles, so :meth:`MrzReader.read_document` and
the callback mode of :meth:`MrzReader.start` see the same stream. If the port fails (a USB reader pulled),
the thread reports it once and reopens the port every second until it is back.

MRZ lines are personal data: error messages name the failing field and position, never the lines; the
lines are attached to :class:`MrzReadError` for the caller to use.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from devices.base import DeviceError, DeviceTimeout, DeviceURL, Health
from passport.errors import MRZError
from passport.mrz import MRZ, parse_mrz

log = logging.getLogger(__name__)

SCHEME = "mrz-serial"
STX, ETX, CR, LF = 0x02, 0x03, 0x0D, 0x0A
_LINES_FOR_LENGTH = {30: 3, 36: 2, 44: 2}
_LONGEST_LINE = max(_LINES_FOR_LENGTH)
_MAX_LINE = 256  # longer than any MRZ line: bytes beyond this without a terminator are noise
_QUEUE_SIZE = 16
_REOPEN_INTERVAL_S = 1.0


class MrzReadError(DeviceError):
    """A document arrived but is not a valid MRZ; ``reason`` says why, ``lines`` holds what was read."""

    def __init__(self, reason: str, lines: tuple[str, ...] = ()):
        super().__init__(f"MRZ read rejected: {reason}")
        self.reason = reason
        self.lines = lines


@dataclass(frozen=True)
class MrzReading:
    """One document read: its lines, the parsed MRZ (all check digits valid) and when it was read."""

    lines: tuple[str, ...]
    mrz: MRZ
    timestamp: float  # time.time() when its last line arrived


Result = MrzReading | DeviceError


class MrzLineAssembler:
    """Turns the reader's byte stream into documents and rejections; no I/O, so it is easy to reason about.

    A document is returned as soon as its last line makes it valid. Lines that do not yet form a valid
    document wait for the end of the burst (an empty line, ETX, or ``idle`` seconds of silence): only then
    is the failure reported, naming the failing check digit, wrong length or missing line. ``feed`` returns
    what the bytes completed; ``expire`` ends a burst that has been silent for ``idle`` seconds (an
    unterminated line is then discarded silently).
    """

    def __init__(self, idle: float = 0.5) -> None:
        self.idle = idle
        self.discarded_bytes = 0
        self._line = bytearray()
        self._lines: list[str] = []
        self._last_byte_at = 0.0
        self._after_cr = False

    def feed(self, data: bytes, now: float) -> list[Result]:
        out: list[Result] = []
        if data:
            self._last_byte_at = now
        for byte in data:
            after_cr, self._after_cr = self._after_cr, byte == CR
            if byte == LF and after_cr:
                continue  # the LF of a CR LF pair
            if byte == STX:
                self.reset()  # a new frame starts: whatever was pending belongs to no document
            elif byte in (CR, LF):
                if self._line:
                    self._end_line(now, out)
                elif self._lines:
                    self._finish(now, out)  # an empty line ends the document
            elif byte == ETX:
                if self._line:
                    self._end_line(now, out)
                if self._lines:
                    self._finish(now, out)
            else:
                self._line.append(byte)
                if len(self._line) > _MAX_LINE:
                    # Keep only a line's worth of the tail: a document may follow the noise directly.
                    cut = len(self._line) - _LONGEST_LINE
                    self.discarded_bytes += cut
                    del self._line[:cut]
                    if self._lines:
                        self._reject(f"line {len(self._lines) + 1} exceeds {_MAX_LINE} bytes", out)
        return out

    def expire(self, now: float) -> list[Result]:
        out: list[Result] = []
        if (self._line or self._lines) and now - self._last_byte_at >= self.idle:
            self.discarded_bytes += len(self._line)
            self._line.clear()
            if self._lines:
                self._finish(now, out)
        return out

    def reset(self) -> None:
        """Drop any partial line and unfinished document."""
        self.discarded_bytes += len(self._line) + sum(len(line) for line in self._lines)
        self._line.clear()
        self._lines.clear()

    @property
    def pending(self) -> bool:
        return bool(self._line or self._lines)

    def _end_line(self, now: float, out: list[Result]) -> None:
        text = _recover_mrz_suffix(self._line.decode("latin-1").strip(" \t"))
        self.discarded_bytes += len(self._line) - len(text)
        self._line.clear()
        if not text:
            return
        if self._lines and len(text) != len(self._lines[0]):
            if len(text) in _LINES_FOR_LENGTH:
                # A fresh first line after an unfinished document: report that one, start the new one.
                self._finish(now, out)
            else:
                self._lines.append(text)
                self._reject(
                    f"line {len(self._lines)} has {len(text)} characters, expected {len(self._lines[0])}", out
                )
                return
        self._lines.append(text)
        expected = _LINES_FOR_LENGTH.get(len(self._lines[0]))
        if expected is None:
            self._reject(
                f"line of {len(text)} characters is not an MRZ line (30, 36 or 44 characters)"
                + _bad_char_note(text),
                out,
            )
            return
        if len(self._lines) > expected:
            # A window of the last lines: a stray line left by a burst of noise is shed here instead of
            # spoiling the document that follows it.
            self.discarded_bytes += len(self._lines.pop(0))
        if len(self._lines) == expected:
            reading = self._parse(tuple(self._lines))
            if isinstance(reading, MrzReading):
                self._lines.clear()
                out.append(reading)
            # Otherwise wait: the end of the burst (idle gap, empty line, ETX) reports the failure.

    def _finish(self, now: float, out: list[Result]) -> None:
        if not self._lines:
            return
        lines = tuple(self._lines)
        self._lines.clear()
        expected = _LINES_FOR_LENGTH.get(len(lines[0]), 0)
        if len(lines) < expected:
            reason = f"incomplete document: {len(lines)} of {expected} lines of {len(lines[0])} characters"
            out.append(MrzReadError(reason, lines))
            return
        out.append(self._parse(lines[-expected:]))

    @staticmethod
    def _parse(lines: tuple[str, ...]) -> Result:
        try:
            mrz = parse_mrz(lines, strict=True)
        except MRZError as exc:
            return MrzReadError(str(exc), lines)
        return MrzReading(lines, mrz, time.time())

    def _reject(self, reason: str, out: list[Result]) -> None:
        out.append(MrzReadError(reason, tuple(self._lines)))
        self._lines.clear()


def _is_mrz_char(ch: str) -> bool:
    return "A" <= ch <= "Z" or "0" <= ch <= "9" or ch == "<"


def _recover_mrz_suffix(text: str) -> str:
    """A line whose tail after its last non-MRZ character has an MRZ line's length is that tail: line noise
    that reached the port just before a document, with no gap or terminator, is cut off."""
    for i in range(len(text) - 1, -1, -1):
        if not _is_mrz_char(text[i]):
            tail = text[i + 1 :]
            return tail if len(tail) in _LINES_FOR_LENGTH else text
    return text


def _bad_char_note(text: str) -> str:
    for pos, ch in enumerate(text, 1):
        if not _is_mrz_char(ch):
            return f"; position {pos} holds a character outside A-Z, 0-9, '<'"
    return ""


_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


class MrzReader:
    """A serial MRZ reader. ``timeout`` bounds opening the port and is the default for :meth:`read_document`."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        parsed = DeviceURL.parse(url)
        if parsed.scheme != SCHEME:
            raise DeviceError(f"{url}: an MRZ reader URL starts with {SCHEME}://")
        self.port = parsed.path if not parsed.netloc else f"{parsed.netloc}{parsed.path}"
        if not self.port:
            raise DeviceError(f"{url}: no serial port path")
        try:
            self.baud = parsed.int_param("baud", 9600)
            self.bytesize = parsed.int_param("bytesize", 8)
            self.stopbits = parsed.int_param("stopbits", 1)
            idle = parsed.float_param("idle", 0.5)
        except ValueError as exc:
            raise DeviceError(f"{url}: {exc}") from exc
        parity = parsed.params.get("parity", "N").upper()
        if parity not in _PARITIES:
            raise DeviceError(f"{url}: parity must be N, E or O")
        self.parity = _PARITIES[parity]
        self.timeout = timeout
        self._assembler = MrzLineAssembler(idle)
        self._results: queue.Queue[Result] = queue.Queue(maxsize=_QUEUE_SIZE)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._documents = 0
        self._errors = 0
        self._last_read_at: float | None = None
        self._last_error = ""
        self._port_failures = 0
        self._serial: serial.Serial | None = self._open_port()
        self._dispatcher: threading.Thread | None = None
        self._stop_dispatch = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"mrz-reader {self.port}", daemon=True)
        self._thread.start()

    # -- public API -------------------------------------------------------------------------------------

    def read_document(self, timeout: float | None = None) -> MrzReading:
        """The next document read, waiting at most ``timeout`` seconds (default: the reader's timeout).

        Raises MrzReadError for a document that is not a valid MRZ, DeviceTimeout when no complete document
        arrives in time (a partial line or document is then discarded), DeviceError if the port failed.
        """
        if self._dispatcher is not None:
            raise DeviceError(f"{self.url}: the reader is in callback mode (call stop() first)")
        if self._closed.is_set():
            raise DeviceError(f"{self.url}: the reader is closed")
        wait = self.timeout if timeout is None else max(0.0, timeout)
        try:
            result = self._results.get(timeout=wait)
        except queue.Empty:
            with self._lock:
                self._assembler.reset()
            raise DeviceTimeout(f"{self.url}: no MRZ document within {wait:g} s") from None
        if isinstance(result, DeviceError):
            raise result
        return result

    def flush(self) -> int:
        """Discard documents read but not yet collected, and any partial data; returns how many were dropped."""
        dropped = 0
        with self._lock:
            self._assembler.reset()
        while True:
            try:
                self._results.get_nowait()
            except queue.Empty:
                return dropped
            dropped += 1

    def start(
        self,
        callback: Callable[[MrzReading], None],
        on_error: Callable[[DeviceError], None] | None = None,
    ) -> None:
        """Deliver every document to ``callback`` (and every rejection or port failure to ``on_error``) from
        a background thread, instead of :meth:`read_document`. Exceptions raised by a callback are logged."""
        if self._dispatcher is not None:
            raise DeviceError(f"{self.url}: callback mode already started")
        self._stop_dispatch.clear()
        self._dispatcher = threading.Thread(
            target=self._dispatch, args=(callback, on_error), name=f"mrz-callback {self.port}", daemon=True
        )
        self._dispatcher.start()

    def stop(self) -> None:
        """Leave callback mode."""
        thread, self._dispatcher = self._dispatcher, None
        if thread is not None:
            self._stop_dispatch.set()
            thread.join(timeout=2.0)

    def health(self) -> Health:
        with self._lock:
            port_open = self._serial is not None and self._serial.is_open
            metrics = {
                "port": self.port,
                "baud": self.baud,
                "port_open": port_open,
                "documents_read": self._documents,
                "errors": self._errors,
                "port_failures": self._port_failures,
                "discarded_bytes": self._assembler.discarded_bytes,
                "last_read_at": self._last_read_at,
                "callback_mode": self._dispatcher is not None,
            }
            last_error = self._last_error
        ok = port_open and self._thread.is_alive()
        detail = (
            "port open" if ok else f"port {self.port} not open" + (f": {last_error}" if last_error else "")
        )
        return Health("mrz", self.url, ok, detail, metrics)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self.stop()
        self._closed.set()
        self._thread.join(timeout=2.0)
        with self._lock:
            ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(Exception):
                ser.close()

    def __enter__(self) -> MrzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------------

    def _open_port(self) -> serial.Serial:
        try:
            ser = serial.Serial(
                self.port,
                baudrate=self.baud,
                bytesize=self.bytesize,
                parity=self.parity,
                stopbits=self.stopbits,
                timeout=0.05,
                write_timeout=self.timeout,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"{self.url}: cannot open serial port {self.port}: {exc}") from exc
        with contextlib.suppress(serial.SerialException, OSError):
            ser.reset_input_buffer()
        return ser

    def _run(self) -> None:
        next_reopen = 0.0
        while not self._closed.is_set():
            ser = self._serial
            if ser is None:
                now = time.monotonic()
                if now < next_reopen:
                    self._closed.wait(min(0.1, next_reopen - now))
                    continue
                next_reopen = now + _REOPEN_INTERVAL_S
                try:
                    opened = self._open_port()
                except DeviceError as exc:
                    with self._lock:
                        self._last_error = str(exc)
                    continue
                with self._lock:
                    if self._closed.is_set():
                        opened.close()
                        return
                    self._serial = opened
                    self._last_error = ""
                log.info("MRZ reader port %s reopened", self.port)
                continue
            try:
                data = ser.read(max(1, ser.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if self._closed.is_set():
                    return
                self._port_failed(ser, exc)
                continue
            now = time.monotonic()
            with self._lock:
                results = self._assembler.feed(data, now) + self._assembler.expire(now)
            for result in results:
                self._publish(result)

    def _port_failed(self, ser: serial.Serial, exc: Exception) -> None:
        with contextlib.suppress(Exception):
            ser.close()
        with self._lock:
            self._serial = None
            self._port_failures += 1
            self._last_error = f"serial port failed: {exc}"
            self._assembler.reset()
        log.warning("MRZ reader port %s failed: %s", self.port, exc)
        self._publish(DeviceError(f"{self.url}: serial port failed: {exc}"))

    def _publish(self, result: Result) -> None:
        with self._lock:
            if isinstance(result, MrzReading):
                self._documents += 1
                self._last_read_at = result.timestamp
            else:
                self._errors += 1
                self._last_error = str(result)
        while True:
            try:
                self._results.put_nowait(result)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._results.get_nowait()  # keep the newest: an old document is of no use at a gate

    def _dispatch(
        self, callback: Callable[[MrzReading], None], on_error: Callable[[DeviceError], None] | None
    ) -> None:
        while not self._stop_dispatch.is_set() and not self._closed.is_set():
            try:
                result = self._results.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                if isinstance(result, MrzReading):
                    callback(result)
                elif on_error is not None:
                    on_error(result)
            except Exception as exc:  # noqa: BLE001 - a faulty callback must not stop the reader
                # The type only: the message of a callback handling an MRZ may quote it.
                log.error("MRZ reader callback failed: %s", type(exc).__name__)
