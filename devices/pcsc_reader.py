"""PC/SC smart-card reader driver: the APDU transport of the passport reader.

Opened from a URL ``pcsc://<reader name>[?timeout=5&extended=auto]``. The name may be URL-encoded
(``pcsc://Virtual%20PCD%2000%2000``); an exact name wins, otherwise the first reader whose name starts with
it is used, and an empty name means the first reader there is.

Every PC/SC call runs on the thread that owns its PC/SC context (a :class:`_Session`) and the caller waits
at most its timeout. ``SCardGetStatusChange`` carries its own timeout and is interrupted with
``SCardCancel`` if pcscd does not honour it. ``SCardTransmit`` cannot be cancelled in pcsc-lite, so a
transmit that times out is abandoned together with its context: the owning thread disconnects and exits
as soon as pcscd returns, and the reader object opens a fresh context on the next call. The card's state
after an abandoned command is unknown, so the caller has to ``connect()`` again.

Extended length (``extended_length``) is the reader's capability AND the card's:

* reader: ``dwMaxAPDUDataSize`` from the PC/SC part 10 ``FEATURE_GET_TLV_PROPERTIES`` (more than 256 means
  extended APDUs pass); if the reader does not report it, vpcd readers ("Virtual PCD ...", which pass
  APDUs of up to 64 KiB unchanged) count as capable and any other reader as short-only. The URL parameter
  ``extended=1`` / ``extended=0`` overrides the reader side.
* card: the card capabilities in the ATR historical bytes (compact-TLV tag 7, third software function
  byte bit 0x40, ISO 7816-4 §8.1.1.2.7). A card that announces it only in EF.ATR/INFO reads as
  ``card_extended_length == False``; the passport layer may combine ``reader_extended_length`` with what
  it reads there.

APDU bodies are never logged (they carry personal and biometric data); only headers and lengths.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from smartcard import scard
from smartcard.pcsc.PCSCPart10 import (
    CM_IOCTL_GET_FEATURE_REQUEST,
    FEATURE_GET_TLV_PROPERTIES,
    hasFeature,
    parseFeatureRequest,
    parseTlvProperties,
)

from devices.base import DeviceError, DeviceURL, Health
from devices.pcsc_errors import CardRemovedError, NoCardError, NoReaderError, PcscError, ReaderTimeout

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
# How long to wait, after a command died without an answer, for pcscd to report the card gone.
# pcscd polls drivers without their own event thread (vpcd among them) every 400 ms.
REMOVAL_CONFIRM_TIMEOUT = 1.0
# Grace given to SCardGetStatusChange beyond its own timeout before SCardCancel, and after it.
_STATUS_GRACE = 2.0
_CANCEL_GRACE = 1.0
MAX_TIMEOUT = 86400.0  # longer waits are cut to this (SCardGetStatusChange takes a 32-bit millisecond count)
SHORT_APDU_MAX_DATA = 256
VIRTUAL_READER_PREFIXES = ("Virtual PCD",)

_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE}
_NO_READER = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE}
_NO_CARD = {scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD}
_DEAD_CARD = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD}
_LINK_LOST = {scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_F_COMM_ERROR, scard.SCARD_E_COMM_DATA_LOST}


def _pcsc_message(code: int) -> str:
    return f"{scard.SCardGetErrorMessage(code)} (0x{code & 0xFFFFFFFF:08X})"


class _Stuck(Exception):
    """A PC/SC call did not return within its timeout."""


class _Session:
    """One PC/SC context and the only thread that uses it (plus, once connected, one card handle).

    Closing queues the clean-up (disconnect, release) behind whatever call is still running, so closing a
    session whose call is stuck in pcscd never blocks the caller.
    """

    def __init__(self, purpose: str, timeout: float):
        self.context: int | None = None
        self.card: int | None = None
        self.protocol = 0
        self._disposition = scard.SCARD_LEAVE_CARD
        self._closed = False
        self._jobs: queue.SimpleQueue[tuple[Callable[[_Session], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name=f"pcsc-{purpose}", daemon=True)
        self._thread.start()
        try:
            hr = self.call(self._establish, timeout)
        except _Stuck:
            self.close()
            raise ReaderTimeout(
                f"SCardEstablishContext got no answer from pcscd within {timeout:.1f} s"
            ) from None
        if hr != scard.SCARD_S_SUCCESS:
            self.close()
            if hr in _NO_SERVICE:
                raise PcscError(f"the PC/SC service (pcscd) is not running: {_pcsc_message(hr)}", hr)
            raise PcscError(f"cannot open a PC/SC context: {_pcsc_message(hr)}", hr)

    def _establish(self, _: _Session) -> int:
        hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr == scard.SCARD_S_SUCCESS:
            self.context = context
        return hr

    def call(self, fn: Callable[[_Session], Any], timeout: float, cancellable: bool = False) -> Any:
        """Run ``fn(self)`` on the session thread; :class:`_Stuck` if it has not returned in ``timeout``.

        ``cancellable`` calls (SCardGetStatusChange) get an ``SCardCancel`` and a short grace first.
        """
        if self._closed:
            raise PcscError("PC/SC session already closed")
        future: Future[Any] = Future()
        self._jobs.put((fn, future))
        try:
            return future.result(_bounded(timeout))
        except FutureTimeout:
            pass
        if cancellable and self.context is not None:
            scard.SCardCancel(self.context)
            try:
                return future.result(_CANCEL_GRACE)
            except FutureTimeout:
                pass
        raise _Stuck

    def close(self, disposition: int = scard.SCARD_LEAVE_CARD, wait: float = 0.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._disposition = disposition
        self._jobs.put(None)
        if wait > 0 and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)
        if self.card is not None:
            scard.SCardDisconnect(self.card, self._disposition)
            self.card = None
        if self.context is not None:
            scard.SCardReleaseContext(self.context)
            self.context = None


# -- ATR ------------------------------------------------------------------------------------------------


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (ISO 7816-3 §8.2); ``ValueError`` if the ATR is malformed."""
    if len(atr) < 2 or atr[0] not in (0x3B, 0x3F):
        raise ValueError(f"not an ATR: {atr.hex()}")
    y, k = atr[1] >> 4, atr[1] & 0x0F
    i = 2
    while True:
        i += bin(y & 0x7).count("1")  # TAi, TBi, TCi
        if not y & 0x8:
            break
        if i >= len(atr):
            raise ValueError(f"ATR truncated in its interface bytes: {atr.hex()}")
        y = atr[i] >> 4
        i += 1
    if i + k > len(atr):
        raise ValueError(f"ATR shorter than its {k} historical bytes: {atr.hex()}")
    return atr[i : i + k]


def card_capabilities(atr: bytes) -> bytes | None:
    """The card capabilities object (compact-TLV tag 7) of the historical bytes, if there is one."""
    try:
        hist = historical_bytes(atr)
    except ValueError:
        return None
    if not hist:
        return None
    if hist[0] == 0x80:
        objects = hist[1:]
    elif hist[0] == 0x00 and len(hist) >= 4:
        objects = hist[1:-3]  # the last three bytes are the status indicator
    else:
        return None
    i = 0
    while i < len(objects):
        tag, length = objects[i] >> 4, objects[i] & 0x0F
        value = objects[i + 1 : i + 1 + length]
        if len(value) < length:
            return None
        if tag == 0x7:
            return value
        i += 1 + length
    return None


def atr_announces_extended_length(atr: bytes) -> bool:
    """True if the ATR's card capabilities say the card takes extended Lc/Le fields."""
    caps = card_capabilities(atr)
    return caps is not None and len(caps) >= 3 and bool(caps[2] & 0x40)


# -- the reader -----------------------------------------------------------------------------------------


def list_readers(timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """Names of the PC/SC readers attached now (empty if there are none)."""
    with PcscReader("pcsc://", timeout=timeout) as reader:
        return reader.list_readers()


class PcscReader:
    """One PC/SC reader and, once :meth:`connect` is called, the card on it.

    Card operations (connect, transmit, disconnect) are serialised; :meth:`health` and the waits use their
    own PC/SC context, so a diagnostics thread can call them while a command runs.
    """

    def __init__(self, url: str = "pcsc://", *, timeout: float | None = None):
        # Reader names often hold brackets ("... [CCID Interface] 00 00"), which urlsplit takes for an IPv6
        # host: percent-encode them first (DeviceURL decodes the name again).
        parsed = DeviceURL.parse(url.replace("[", "%5B").replace("]", "%5D"))
        if parsed.scheme != "pcsc":
            raise ValueError(f"not a PC/SC reader URL (pcsc://<reader name>): {url!r}")
        self.url = url
        self.requested_name = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path.lstrip("/")
        self.timeout = parsed.float_param("timeout", DEFAULT_TIMEOUT) if timeout is None else timeout
        if not 0 < self.timeout <= MAX_TIMEOUT:
            raise ValueError(
                f"timeout must be positive and at most {MAX_TIMEOUT:.0f} s, not {self.timeout!r}"
            )
        self._extended_override = _parse_tristate(parsed.params.get("extended", "auto"), "extended")
        self._reader_name: str | None = None
        self._monitor: _Session | None = None
        self._card_session: _Session | None = None
        self._card_lock = threading.RLock()
        self._monitor_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._atr: bytes | None = None
        self._max_apdu_data: dict[str, int | None] = {}
        self.reader_extended_length = False
        self.card_extended_length = False
        self.extended_length_reason = "not connected"
        self.apdu_count = 0
        self.bytes_out = 0
        self.bytes_in = 0
        self.timeouts = 0
        self.errors = 0
        self.last_round_trip: float | None = None

    # -- context management -----------------------------------------------------------------------------

    def __enter__(self) -> PcscReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect (leaving the card powered) and release the PC/SC contexts."""
        self.disconnect()
        with self._monitor_lock:
            monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.close(wait=self.timeout)

    # -- readers and card presence ------------------------------------------------------------------------

    @property
    def reader_name(self) -> str:
        """The reader in use: the resolved name once known, else the name asked for."""
        return self._reader_name or self.requested_name

    def list_readers(self) -> list[str]:
        hr, readers = self._monitor_call(lambda s: scard.SCardListReaders(s.context, []), "SCardListReaders")
        if hr == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        self._check_service(hr, "listing readers")
        return list(readers)

    def wait_for_card(self, timeout: float) -> bool:
        """Wait for a card on the reader (pcscd events, no polling here); False if none came in time."""
        return self._wait_for(present=True, timeout=timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        """Wait until the reader is empty; False if the card is still there after ``timeout`` seconds.

        Once the card is gone, a connection to it is dropped.
        """
        gone = self._wait_for(present=False, timeout=timeout)
        if gone:
            self._drop_card_session()
        return gone

    def card_present(self) -> bool:
        state, _ = self._status(self._resolve_reader())
        return bool(state & scard.SCARD_STATE_PRESENT)

    # -- the card ------------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        session = self._card_session
        return session is not None and session.card is not None

    @property
    def atr(self) -> bytes | None:
        """The connected card's ATR; without a connection, the ATR of the card on the reader (None if empty)."""
        if self.connected:
            return self._atr
        state, atr = self._status(self._resolve_reader())
        return atr if state & scard.SCARD_STATE_PRESENT and atr else None

    @property
    def protocol(self) -> str | None:
        session = self._card_session
        if session is None or session.card is None:
            return None
        return {scard.SCARD_PROTOCOL_T0: "T=0", scard.SCARD_PROTOCOL_T1: "T=1"}.get(session.protocol, "raw")

    @property
    def extended_length(self) -> bool:
        """True when both reader and card take extended APDUs (decided on connect; False before)."""
        return self.connected and self.reader_extended_length and self.card_extended_length

    def connect(self) -> None:
        """Connect to the card on the reader (shared mode, T=0 or T=1). Does nothing if already connected."""
        with self._card_lock:
            if self.connected:
                return
            name = self._resolve_reader()
            session = self._new_card_session()

            def do_connect(s: _Session) -> tuple[int, list[int]]:
                hr, card, protocol = scard.SCardConnect(
                    s.context,
                    name,
                    scard.SCARD_SHARE_SHARED,
                    scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                )
                if hr != scard.SCARD_S_SUCCESS:
                    return hr, []
                s.card, s.protocol = card, protocol
                hr, _, _, _, atr = scard.SCardStatus(card)
                return hr, atr

            try:
                hr, atr = self._card_call(
                    session, do_connect, f"connecting to the card on {name!r}", self.timeout
                )
                if hr != scard.SCARD_S_SUCCESS:
                    self._raise_connect_error(hr, name)
                self._atr = bytes(atr)
                max_apdu = self._reader_max_apdu_data(session, name)
            except BaseException:
                if self._card_session is session:
                    self._drop_card_session()
                raise
            self._decide_extended_length(name, max_apdu, self._atr)
            log.info("connected to the card on %r (%s, ATR %s)", name, self.protocol, self._atr.hex())

    def disconnect(self, reset: bool = False) -> None:
        """End the connection; ``reset=True`` resets the card (ends any secure messaging session)."""
        with self._card_lock:
            session, self._card_session = self._card_session, None
            self._atr = None
            self.extended_length_reason = "not connected"
        if session is not None:
            session.close(scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD, wait=self.timeout)

    def transmit(self, apdu: bytes, timeout: float | None = None) -> bytes:
        """Send one command APDU; returns the response data followed by SW1 SW2.

        Raises :class:`CardRemovedError` if the card left the reader during the command and
        :class:`ReaderTimeout` if there was no answer within ``timeout`` (default: the reader's timeout).
        The response is returned as the card gave it: 61xx and 6Cxx are for the caller to handle.
        """
        apdu = bytes(apdu)
        if len(apdu) < 4:
            raise ValueError(f"a command APDU has at least 4 bytes, got {len(apdu)}")
        limit = self.timeout if timeout is None else timeout
        header = apdu[:4].hex(" ").upper()
        with self._card_lock:
            session = self._card_session
            if session is None or session.card is None:
                raise PcscError(f"no card connected on {self.reader_name!r}: call connect() first")
            started = time.perf_counter()
            hr, response = self._card_call(
                session,
                lambda s: scard.SCardTransmit(s.card, s.protocol, list(apdu)),
                f"APDU {header}",
                limit,
            )
            elapsed = time.perf_counter() - started
            if hr != scard.SCARD_S_SUCCESS:
                self._raise_transmit_error(hr, header)
            if len(response) < 2:
                # vpcd (and some drivers) return an empty response when the card vanished mid-command.
                self._raise_missing_response(header)
            with self._stats_lock:
                self.apdu_count += 1
                self.bytes_out += len(apdu)
                self.bytes_in += len(response)
                self.last_round_trip = elapsed
            log.debug(
                "APDU %s Lc+Le %d -> %d bytes, SW %02X%02X",
                header,
                len(apdu) - 4,
                len(response),
                response[-2],
                response[-1],
            )
            return bytes(response)

    # -- health --------------------------------------------------------------------------------------------

    def health(self) -> Health:
        """Reader present? Card present (and its ATR)? Counters. Never raises; bounded by the timeout."""
        metrics: dict[str, Any] = {
            "reader": self.reader_name,
            "reader_present": False,
            "card_present": False,
            "atr": None,
            "connected": self.connected,
            "protocol": self.protocol,
            "extended_length": self.extended_length,
            "apdu_count": self.apdu_count,
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "last_round_trip_ms": None
            if self.last_round_trip is None
            else round(self.last_round_trip * 1e3, 2),
        }
        try:
            name = self._resolve_reader()
            metrics["reader"] = name
            metrics["reader_present"] = True
            state, atr = self._status(name)
        except DeviceError as exc:
            return Health("card_reader", self.url, False, str(exc), metrics)
        if state & scard.SCARD_STATE_PRESENT:
            metrics["card_present"] = True
            metrics["atr"] = bytes(atr).hex().upper()
            detail = f"reader {name!r}: card present, ATR {metrics['atr']}"
        else:
            detail = f"reader {name!r}: no card"
        return Health("card_reader", self.url, True, detail, metrics)

    # -- internals: sessions -------------------------------------------------------------------------------

    def _monitor_call(
        self,
        fn: Callable[[_Session], Any],
        what: str,
        timeout: float | None = None,
        cancellable: bool = False,
    ) -> Any:
        limit = self.timeout if timeout is None else timeout
        with self._monitor_lock:
            if self._monitor is None:
                self._monitor = _Session("monitor", self.timeout)
            session = self._monitor
        try:
            return session.call(fn, limit, cancellable)
        except _Stuck:
            with self._monitor_lock:
                if self._monitor is session:
                    self._monitor = None
            session.close()
            self._count_timeout()
            raise ReaderTimeout(f"{what} got no answer from pcscd within {limit:.1f} s") from None

    def _new_card_session(self) -> _Session:
        session = _Session("card", self.timeout)
        self._card_session = session
        return session

    def _card_call(self, session: _Session, fn: Callable[[_Session], Any], what: str, timeout: float) -> Any:
        try:
            return session.call(fn, timeout)
        except _Stuck:
            self._count_timeout()
            self._drop_card_session()
            raise ReaderTimeout(
                f"{what} on {self.reader_name!r} got no answer within {timeout:.2f} s; "
                "the command was abandoned, connect again to continue"
            ) from None

    def _drop_card_session(self) -> None:
        with self._card_lock:
            session, self._card_session = self._card_session, None
            self._atr = None
        if session is not None:
            session.close()

    def _count_timeout(self) -> None:
        with self._stats_lock:
            self.timeouts += 1

    def _count_error(self) -> None:
        with self._stats_lock:
            self.errors += 1

    # -- internals: readers and states ---------------------------------------------------------------------

    def _resolve_reader(self) -> str:
        readers = self.list_readers()
        wanted = self.requested_name
        if not wanted:
            chosen = readers[0] if readers else None
        elif wanted in readers:
            chosen = wanted
        else:
            chosen = next((r for r in readers if r.startswith(wanted)), None)
        if chosen is None:
            raise NoReaderError(wanted, readers)
        self._reader_name = chosen
        return chosen

    def _status(self, name: str) -> tuple[int, bytes]:
        hr, states = self._monitor_call(
            lambda s: scard.SCardGetStatusChange(s.context, 0, [(name, scard.SCARD_STATE_UNAWARE)]),
            "SCardGetStatusChange",
        )
        return self._state_of(hr, states, name)

    def _state_of(self, hr: int, states: list[Any], name: str) -> tuple[int, bytes]:
        if hr in _NO_READER:
            raise NoReaderError(name, self.list_readers(), hr)
        self._check_service(hr, f"reading the state of {name!r}")
        _, state, atr = states[0]
        if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
            raise NoReaderError(name, self.list_readers())
        return state, bytes(atr)

    def _wait_for(self, present: bool, timeout: float) -> bool:
        name = self._resolve_reader()
        deadline = time.monotonic() + _bounded(timeout)
        known = scard.SCARD_STATE_UNAWARE  # the first call returns the current state at once
        while True:
            remaining = max(deadline - time.monotonic(), 0.0)
            wait_ms = 0 if known == scard.SCARD_STATE_UNAWARE else int(remaining * 1000)
            hr, states = self._monitor_call(
                lambda s, ms=wait_ms, current=known: scard.SCardGetStatusChange(
                    s.context, ms, [(name, current)]
                ),
                "SCardGetStatusChange",
                timeout=wait_ms / 1000 + _STATUS_GRACE,
                cancellable=True,
            )
            if hr == scard.SCARD_E_TIMEOUT:
                return False
            if hr == scard.SCARD_E_CANCELLED:
                self._count_timeout()
                raise ReaderTimeout(f"waiting for a card state change on {name!r} did not end in time")
            state, _ = self._state_of(hr, states, name)
            if bool(state & scard.SCARD_STATE_PRESENT) == present:
                return True
            if remaining <= 0:
                return False
            known = state & ~scard.SCARD_STATE_CHANGED

    def _check_service(self, hr: int, what: str) -> None:
        if hr == scard.SCARD_S_SUCCESS:
            return
        self._count_error()
        if hr in _NO_SERVICE:
            with self._monitor_lock:
                monitor, self._monitor = self._monitor, None
            if monitor is not None:
                monitor.close()
            raise PcscError(f"{what}: the PC/SC service (pcscd) is not available: {_pcsc_message(hr)}", hr)
        raise PcscError(f"{what} failed: {_pcsc_message(hr)}", hr)

    # -- internals: errors of card operations --------------------------------------------------------------

    def _raise_connect_error(self, hr: int, name: str) -> None:
        self._count_error()
        if hr in _NO_CARD:
            raise NoCardError(f"no card on reader {name!r}", hr)
        if hr in _DEAD_CARD:
            raise NoCardError(f"the card on reader {name!r} does not answer: {_pcsc_message(hr)}", hr)
        if hr in _NO_READER:
            raise NoReaderError(name, self.list_readers(), hr)
        if hr == scard.SCARD_E_SHARING_VIOLATION:
            raise PcscError(f"reader {name!r} is in exclusive use by another application", hr)
        self._check_service(hr, f"connecting to the card on {name!r}")

    def _raise_transmit_error(self, hr: int, header: str) -> None:
        self._count_error()
        name = self.reader_name
        if hr in _NO_CARD:
            self._drop_card_session()
            raise CardRemovedError(f"card removed from {name!r} during APDU {header}", hr)
        if hr == scard.SCARD_W_RESET_CARD:
            self._drop_card_session()
            raise PcscError(f"the card on {name!r} was reset by another application; connect again", hr)
        if hr in _NO_READER:
            self._drop_card_session()
            raise NoReaderError(name, self.list_readers(), hr)
        if hr in _LINK_LOST:
            raise self._lost_card(header, hr)
        if hr in _NO_SERVICE:
            self._drop_card_session()
            raise PcscError(
                f"APDU {header}: the PC/SC service (pcscd) is not available: {_pcsc_message(hr)}", hr
            )
        raise PcscError(f"APDU {header} on {name!r} failed: {_pcsc_message(hr)}", hr)

    def _raise_missing_response(self, header: str) -> None:
        self._count_error()
        raise self._lost_card(header, None)

    def _lost_card(self, header: str, code: int | None) -> CardRemovedError:
        """The link to the card died mid-command (vpcd answers nothing; drivers say "not transacted").

        Waits briefly for pcscd to see the card leave, so that the reader state is current when the
        caller looks. If the card still shows as present it lost contact (moved in the field, or swapped
        faster than pcscd polls): the connection is as dead as after a removal, so the error is the same.
        """
        name = self.reader_name
        try:
            gone = self._wait_for(present=False, timeout=REMOVAL_CONFIRM_TIMEOUT)
        except DeviceError:
            gone = True
        self._drop_card_session()
        if gone:
            return CardRemovedError(f"card removed from {name!r} during APDU {header}", code)
        return CardRemovedError(
            f"lost contact with the card on {name!r} during APDU {header} (card moved or swapped); connect again",
            code,
        )

    # -- internals: extended length -----------------------------------------------------------------------

    def _reader_max_apdu_data(self, session: _Session, name: str) -> int | None:
        """dwMaxAPDUDataSize from the reader's PC/SC part 10 TLV properties, None if not reported."""
        if name in self._max_apdu_data:
            return self._max_apdu_data[name]

        def query(s: _Session) -> int | None:
            hr, features = scard.SCardControl(s.card, CM_IOCTL_GET_FEATURE_REQUEST, [])
            if hr != scard.SCARD_S_SUCCESS or not features:
                return None
            code = hasFeature(parseFeatureRequest(list(features)), FEATURE_GET_TLV_PROPERTIES)
            if code is None:
                return None
            hr, properties = scard.SCardControl(s.card, code, [])
            if hr != scard.SCARD_S_SUCCESS:
                return None
            value = parseTlvProperties(list(properties)).get("dwMaxAPDUDataSize")
            return value if isinstance(value, int) else None

        value = self._card_call(session, query, f"reading the features of {name!r}", self.timeout)
        self._max_apdu_data[name] = value
        return value

    def _decide_extended_length(self, name: str, max_apdu: int | None, atr: bytes) -> None:
        if self._extended_override is not None:
            reader_ok = self._extended_override
            reader_why = f"reader: set by the URL (extended={int(reader_ok)})"
        elif max_apdu is not None:
            reader_ok = max_apdu > SHORT_APDU_MAX_DATA
            reader_why = f"reader: dwMaxAPDUDataSize={max_apdu}"
        elif name.startswith(VIRTUAL_READER_PREFIXES):
            reader_ok = True
            reader_why = "reader: vpcd virtual reader, passes APDUs of up to 64 KiB"
        else:
            reader_ok = False
            reader_why = (
                "reader: dwMaxAPDUDataSize not reported, assuming short APDUs (URL extended=1 overrides)"
            )
        card_ok = atr_announces_extended_length(atr)
        card_why = (
            "card: ATR announces extended Lc/Le" if card_ok else "card: ATR does not announce extended Lc/Le"
        )
        self.reader_extended_length = reader_ok
        self.card_extended_length = card_ok
        self.extended_length_reason = f"{reader_why}; {card_why}"


def _bounded(timeout: float) -> float:
    """A timeout in [0, MAX_TIMEOUT] (NaN counts as 0)."""
    return min(max(timeout, 0.0), MAX_TIMEOUT) if timeout == timeout else 0.0


def _parse_tristate(raw: str, name: str) -> bool | None:
    value = raw.strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError(f"parameter {name}={raw!r} must be auto, 1 or 0")
