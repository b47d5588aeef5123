"""The card side of vsmartcard's ``vpcd`` virtual reader.

``pcscd`` loads Debian's ``vsmartcard-vpcd`` driver, which listens on TCP 35963 (slot 0; slot 1 is 35964)
and shows the reader ``Virtual PCD 00 00``. A virtual card is a TCP *client* of that port: while it is
connected, the reader sees a card; when it disconnects, the card is gone. Messages in both directions are a
2-byte big-endian length and a payload. A 1-byte payload from the reader is a control command (power off,
power on, reset, get ATR); anything longer is a command APDU, answered with a response APDU.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

SW_INTERNAL_ERROR = b"\x6f\x00"
# pcscd asks vpcd for card presence every 400 ms: a card put on the reader sooner after the last one left
# would look to pcscd as if the first had never gone.
REMOVAL_SETTLE_S = 0.5


class VirtualCard(Protocol):
    """What the card host needs of a simulated card (an ePassport chip, a test card, ...)."""

    def atr(self) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...

    def process_apdu(self, apdu: bytes) -> bytes:
        """Answer one command APDU with a response APDU (data followed by SW1 SW2)."""
        ...


def vpcd_port(slot: int) -> int:
    return VPCD_PORT + slot


def vpcd_reader_name(slot: int) -> str:
    return f"Virtual PCD 00 {slot:02d}"


class VpcdCardHost:
    """Connects a :class:`VirtualCard` to pcscd's vpcd reader; ``insert``/``remove`` move it on and off.

    Runs one thread per inserted card. A card that raises while processing an APDU answers 6F00, so
    the simulation never kills the link by accident; deliberate removal is :meth:`remove`.
    """

    def __init__(self, host: str = VPCD_HOST, port: int = VPCD_PORT, connect_timeout: float = 5.0):
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._card: VirtualCard | None = None
        self._lock = threading.Lock()
        self._removed_at = 0.0
        self.apdu_count = 0

    @property
    def card(self) -> VirtualCard | None:
        return self._card

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, card: VirtualCard) -> None:
        """Put ``card`` on the reader (connects to vpcd). Raises ``ConnectionError`` if pcscd is not there."""
        self.remove()
        settle = self._removed_at + REMOVAL_SETTLE_S - time.monotonic()
        if settle > 0:
            time.sleep(settle)
        sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._sock = sock
            self._card = card
        self._thread = threading.Thread(target=self._serve, args=(sock, card), name="vpcd-card", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Take the card off the reader: the link closes, and pcscd reports the card removed."""
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            self._removed_at = time.monotonic()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None

    close = remove

    def _serve(self, sock: socket.socket, card: VirtualCard) -> None:
        try:
            while True:
                payload = _recv_message(sock)
                if payload is None:
                    break
                reply = self._handle(card, payload)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            with self._lock:
                if self._sock is sock:
                    self._sock = None
                    self._removed_at = time.monotonic()
                    with contextlib.suppress(OSError):
                        sock.close()

    def _handle(self, card: VirtualCard, payload: bytes) -> bytes | None:
        if len(payload) == 1:
            cmd = payload[0]
            if cmd == CTRL_ATR:
                return card.atr()
            if cmd == CTRL_ON:
                card.power_on()
            elif cmd == CTRL_OFF:
                card.power_off()
            elif cmd == CTRL_RESET:
                card.reset()
            else:
                log.warning("unknown vpcd control byte %#x", cmd)
            return None
        self.apdu_count += 1
        try:
            return card.process_apdu(payload)
        except CardRemoved:
            # The card was pulled while this command was in flight: drop the link without answering.
            threading.Thread(target=self.remove, daemon=True).start()
            return None
        except Exception:  # noqa: BLE001 - a simulated card must answer, as a real one would
            log.exception("virtual card failed on APDU %s", payload[:16].hex())
            return SW_INTERNAL_ERROR


class CardRemoved(Exception):
    """Raised by a virtual card's ``process_apdu`` to simulate removal in the middle of a command."""


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        # Debian's vpcd writes the length and the APDU in two segments without TCP_NODELAY, so the second
        # waits for our ACK of the first; Linux delays that ACK by 40 ms unless asked not to (it clears
        # the flag after each receive, hence every time).
        if hasattr(socket, "TCP_QUICKACK"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_message(sock: socket.socket) -> bytes | None:
    head = _recv_exact(sock, 2)
    if head is None:
        return None
    (length,) = struct.unpack(">H", head)
    return _recv_exact(sock, length) if length else b""
