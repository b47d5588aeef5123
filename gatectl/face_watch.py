"""The camera side of a transaction: a thread that feeds frames to a capture session while one is open.

The controller opens a session (:meth:`FaceWatch.open`) as early as the traveller can be in front of the
camera (one-step: while the chip is read; two-step: once the mantrap is sealed) and closes it at the end of
the transaction. The thread posts ``("instruction", key, session)`` when the kiosk should show another
instruction and ``("capture_ready", session)`` once the best frames are chosen (the camera's health is
watched elsewhere, :mod:`gatectl.device_watch`). Frames and the session live in memory only; a broken frame is
counted and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.base import DeviceError

log = logging.getLogger(__name__)

Post = Callable[[tuple[Any, ...]], None]
FRAME_WAIT_S = 1.0


class FaceWatch:
    def __init__(self, camera: Any, settings: Any, post: Post) -> None:
        self.camera = camera
        self.settings = settings
        self.post = post
        self.broken_frames = 0
        self._lock = threading.Lock()
        self._session: Any = None
        self._session_id = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="face-watch", daemon=True)

    def start(self) -> FaceWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.close()

    def open(self) -> int:
        """Start a new capture session (forgetting any earlier one); returns its id."""
        from biometrics.capture import CaptureSession

        with self._lock:
            if self._session is not None:
                self._session.clear()
            self._session_id += 1
            self._session = CaptureSession(self.settings)
            self._wake.set()
            return self._session_id

    def close(self) -> None:
        """Forget the session and its frames."""
        with self._lock:
            if self._session is not None:
                self._session.clear()
            self._session = None

    def take(self, session_id: int) -> Any:
        """Hand the session over for verification; the watch stops feeding it."""
        with self._lock:
            if session_id != self._session_id or self._session is None:
                return None
            session, self._session = self._session, None
            return session

    @property
    def session_id(self) -> int | None:
        with self._lock:
            return self._session_id if self._session is not None else None

    def _run(self) -> None:
        seq, instruction = 0, None
        while not self._stop.is_set():
            try:
                seq, instruction = self._step(seq, instruction)
            except Exception:  # noqa: BLE001 - the capture thread outlives any one frame or session
                log.exception("face capture step failed")
                self._stop.wait(0.2)

    def _step(self, seq: int, instruction: str | None) -> tuple[int, str | None]:
        """One frame of the open session (or a short wait when none is open or it is complete)."""
        with self._lock:
            session, sid = self._session, self._session_id
        if session is None or session.ready:
            self._wake.wait(0.2)
            self._wake.clear()
            return seq, instruction
        try:
            frame = self.camera.wait_frame(seq, timeout=FRAME_WAIT_S)
        except DeviceError:
            return seq, instruction
        key = self._feed(session, frame)
        if key != instruction or key is None and session.ready:
            instruction = key
            self.post(("instruction", key or "hold_still", sid))
        if session.ready:
            self.post(("capture_ready", sid))
        return frame.seq, instruction

    def _feed(self, session: Any, frame: Any) -> str | None:
        try:
            analysis = session.feed(frame.image[:, :, ::-1], frame.monotonic)
        except Exception as exc:  # noqa: BLE001 - a broken frame is skipped, never fatal
            self.broken_frames += 1
            log.debug("frame skipped: %s", type(exc).__name__, exc_info=True)
            return "look_at_camera"
        return None if analysis.instruction is None else str(analysis.instruction)
