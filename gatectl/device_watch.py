"""Watches the card reader, the camera and the MRZ reader for the controller, in one thread.

Posts ``("card", present, first)`` when a card arrives on or leaves the reader (``first`` for the state
found at start: a card left on the reader is not a traveller arriving), and ``("device", kind, ok, detail)``
when a device stops answering or comes back (the I/O board is watched by :mod:`gatectl.io_watch`). A device
counts as lost only after ``grace_s`` of failing, so one slow answer does not close the gate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.base import DeviceError

log = logging.getLogger(__name__)

Post = Callable[[tuple[Any, ...]], None]
CARD_POLL_S = 0.15
HEALTH_POLL_S = 0.5


class DeviceWatch:
    def __init__(self, reader: Any, camera: Any, mrz: Any, post: Post, grace_s: float = 2.0) -> None:
        self.reader = reader
        self.camera = camera
        self.mrz = mrz
        self.post = post
        self.grace_s = grace_s
        self.card: bool | None = None
        self.ok: dict[str, bool] = {}
        self._failing_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="device-watch", daemon=True)

    def start(self) -> DeviceWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        next_health = 0.0
        while not self._stop.is_set():
            self._poll_card()
            now = time.monotonic()
            if now >= next_health:
                next_health = now + HEALTH_POLL_S
                for kind, device in (("camera", self.camera), ("mrz", self.mrz)):
                    if device is not None:
                        self._poll_health(kind, device)
            self._stop.wait(CARD_POLL_S)

    def _poll_card(self) -> None:
        if self.reader is None:
            return
        try:
            present = bool(self.reader.card_present())
        except DeviceError as exc:
            self._report("reader", False, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - the watch must survive anything a driver does
            self._report("reader", False, f"{type(exc).__name__}: {exc}")
            return
        self._report("reader", True, "reader answering")
        if present != self.card:
            first = self.card is None
            self.card = present
            self.post(("card", present, first))

    def _poll_health(self, kind: str, device: Any) -> None:
        try:
            health = device.health()
            ok, detail = bool(health.ok), str(health.detail)
        except Exception as exc:  # noqa: BLE001
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        self._report(kind, ok, detail)

    def _report(self, kind: str, ok: bool, detail: str) -> None:
        now = time.monotonic()
        if ok:
            self._failing_since.pop(kind, None)
        else:
            since = self._failing_since.setdefault(kind, now)
            if now - since < self.grace_s and self.ok.get(kind) is not False:
                return
        if self.ok.get(kind) != ok:
            self.ok[kind] = ok
            self.post(("device", kind, ok, detail))
