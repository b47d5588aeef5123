"""The gate camera: OpenCV VideoCapture behind a reader thread that keeps only the newest frame.

URLs:
    camera://0                    a local camera by index (V4L2 on Linux); ?width=1280&height=720&fps=15
    http://host:port/stream.mjpg  an IP camera's MJPEG stream (also https://, rtsp://), read by OpenCV's
                                  FFmpeg backend with open and read timeouts
    file:///path/video.mp4        a video file (a plain path works too), played at its own frame rate and
                                  looped; ?loop=0 plays it once

The reader thread reconnects by itself, with exponential backoff, when the stream ends, fails or stalls (no
frame for ``stall_s``). Callers never block on the device: ``latest()`` returns at once, ``wait_frame()`` and
``close()`` are bounded by their timeouts.

Network streams use OpenCV's FFmpeg backend (opencv-python-headless ships it; it reads HTTP
multipart/x-mixed-replace MJPEG) with CAP_PROP_OPEN_TIMEOUT_MSEC = ``timeout_s`` and
CAP_PROP_READ_TIMEOUT_MSEC = ``stall_s``, so a stalled stream ends the blocked read and the reader reconnects.
A local camera (V4L2) has no such per-call timeout in OpenCV: a stalled device read lasts until the V4L2
backend's own select timeout (OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT, 10 s by default); ``health()`` reports the
stall from the frame age meanwhile.
"""

from __future__ import annotations

import collections
import contextlib
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np

from devices.base import DeviceError, DeviceTimeout, DeviceURL, Health

NETWORK_SCHEMES = ("http", "https", "rtsp", "rtsps")


@dataclass(frozen=True)
class Frame:
    """One camera frame: BGR pixels, when it arrived (wall clock and monotonic) and its sequence number.

    ``seq`` counts frames received by this Camera, 1, 2, 3, ... across reconnects. ``image`` is shared
    by every caller and read-only: copy it before drawing on it.
    """

    image: np.ndarray
    timestamp: float
    seq: int
    monotonic: float

    @property
    def age(self) -> float:
        return time.monotonic() - self.monotonic

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True)
class _Source:
    kind: str                # "index", "network", "file"
    target: str | int
    loop: bool = True
    width: int = 0
    height: int = 0
    fps: float = 0.0


def _parse_source(url: str) -> _Source:
    if not url:
        raise DeviceError("camera URL is empty")
    parts = urlsplit(url)
    if not parts.scheme or (len(parts.scheme) == 1 and url[1:3] == ":\\"):  # plain path
        path = Path(url).expanduser()
        if not path.is_file():
            raise DeviceError(f"camera video file not found: {path}")
        return _Source("file", str(path))
    try:
        parsed = DeviceURL.parse(url)
        if parsed.scheme == "camera":
            index_text = parsed.netloc or parsed.path.strip("/")
            try:
                index = int(index_text)
            except ValueError as exc:
                raise DeviceError(f"camera URL {url!r}: the device index must be an integer, like camera://0")\
                    from exc
            return _Source("index", index, width=parsed.int_param("width", 0),
                           height=parsed.int_param("height", 0), fps=parsed.float_param("fps", 0.0))
        if parsed.scheme == "file":
            path = Path(unquote(parts.path))
            if not path.is_file():
                raise DeviceError(f"camera video file not found: {path}")
            return _Source("file", str(path), loop=parsed.int_param("loop", 1) != 0)
    except ValueError as exc:
        raise DeviceError(f"camera URL {url!r}: {exc}") from exc
    if parts.scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise DeviceError(f"camera URL {url!r} has no host")
        return _Source("network", url)
    raise DeviceError(f"camera URL {url!r}: unsupported scheme {parts.scheme!r} "
                      "(use camera://N, http(s)://.../stream.mjpg, rtsp://..., file:///path or a file path)")


def _describe_http_failure(url: str, timeout: float) -> str:
    """Why an HTTP stream did not open, as far as a quick request can tell (for the error message)."""
    import requests

    try:
        with requests.get(url, stream=True, timeout=(timeout, timeout)) as resp:
            ctype = resp.headers.get("Content-Type", "")
            if resp.status_code != 200:
                return f"HTTP {resp.status_code} {resp.reason}"
            if "multipart" not in ctype and "video" not in ctype and "image" not in ctype:
                return f"not a video stream (Content-Type {ctype or 'missing'})"
            return "the stream answered but OpenCV could not decode it"
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        return "connection refused" if "refused" in text.lower() else f"cannot connect ({text[:120]})"
    except requests.exceptions.Timeout:
        return f"no answer within {timeout:.1f} s"
    except requests.exceptions.RequestException as exc:
        return str(exc)[:160]


class Camera:
    """A camera opened from a URL; see the module docstring.

    ``timeout_s`` bounds opening the stream and ``wait_frame``; ``stall_s`` (default ``timeout_s``) is how
    long without a frame counts as a stalled stream (reconnect, health not ok). With ``wait_open`` the
    constructor waits for the first frame and raises DeviceError if the first attempt fails; without it, the
    constructor returns at once and the reader keeps trying in the background.
    """

    device = "camera"

    def __init__(self, url: str, *, timeout_s: float = 5.0, stall_s: float | None = None,
                 backoff_min_s: float = 0.2, backoff_max_s: float = 5.0, fps_window_s: float = 2.0,
                 wait_open: bool = True) -> None:
        if timeout_s <= 0:
            raise DeviceError("camera timeout_s must be positive")
        self.url = url
        self.timeout_s = float(timeout_s)
        self.stall_s = float(stall_s) if stall_s is not None else float(timeout_s)
        self.backoff_min_s = float(backoff_min_s)
        self.backoff_max_s = max(float(backoff_max_s), self.backoff_min_s)
        self.fps_window_s = float(fps_window_s)
        self._source = _parse_source(url)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closed = threading.Event()
        self._frame: Frame | None = None
        self._seq = 0
        self._times: collections.deque[float] = collections.deque(maxlen=512)
        self._state = "connecting"
        self._last_error = ""
        self._opens = 0
        self._failed_opens = 0
        self._disconnects = 0
        self._backend = ""
        self._first_attempt = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-reader {url}", daemon=True)
        self._thread.start()
        if wait_open:
            self._await_first_frame()

    # ----------------------------------------------------------------------------------- public API

    def latest(self, max_age: float | None = None) -> Frame | None:
        """The newest frame, or None if there is none (or it is older than ``max_age`` seconds)."""
        with self._lock:
            frame = self._frame
        if frame is None or (max_age is not None and frame.age > max_age):
            return None
        return frame

    def wait_frame(self, after_seq: int = 0, timeout: float | None = None) -> Frame:
        """The first frame newer than sequence number ``after_seq``; DeviceTimeout if none in ``timeout``."""
        limit = self.timeout_s if timeout is None else float(timeout)
        deadline = time.monotonic() + limit
        with self._cond:
            while self._frame is None or self._frame.seq <= after_seq:
                if self._closed.is_set():
                    raise DeviceError(f"camera {self.url} is closed")
                left = deadline - time.monotonic()
                if left <= 0:
                    detail = f": {self._last_error}" if self._last_error else ""
                    raise DeviceTimeout(f"no frame from camera {self.url} within {limit:.1f} s "
                                        f"({self._state}{detail})")
                self._cond.wait(min(left, 0.25))
            return self._frame

    def health(self) -> Health:
        now = time.monotonic()
        with self._lock:
            frame = self._frame
            times = [t for t in self._times if now - t <= self.fps_window_s]
            state, error = self._state, self._last_error
            reconnects = max(self._opens - 1, 0)
            metrics: dict[str, object] = {
                "state": state,
                "frames": self._seq,
                "reconnects": reconnects,
                "disconnects": self._disconnects,
                "failed_opens": self._failed_opens,
                "backend": self._backend,
                "last_error": error,
            }
        fps = 0.0
        if len(times) >= 2 and times[-1] > times[0]:
            fps = (len(times) - 1) / (times[-1] - times[0])
        age = frame.age if frame is not None else None
        width, height = frame.size if frame is not None else (0, 0)
        metrics.update({"fps": round(fps, 2), "frame_age_s": None if age is None else round(age, 3),
                        "width": width, "height": height})
        ok = state == "streaming" and age is not None and age <= self.stall_s
        if ok:
            detail = f"streaming {width}x{height} at {fps:.1f} fps"
        elif state == "closed":
            detail = "closed"
        else:
            since = "no frame yet" if age is None else f"no frame for {age:.1f} s"
            detail = f"{since}; {state}" + (f": {error}" if error else "")
        return Health(device=self.device, url=self.url, ok=ok, detail=detail, metrics=metrics)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the reader, waiting at most ``timeout`` s for it. A read or open still blocked in OpenCV
        then is not waited for: the reader releases the capture itself when that call returns."""
        self._closed.set()
        with self._cond:
            self._state = "closed"
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ internals

    def _await_first_frame(self) -> None:
        deadline = time.monotonic() + self.timeout_s + 1.0
        while time.monotonic() < deadline:
            with self._cond:
                if self._frame is not None:
                    return
                self._cond.wait(0.05)
            if self._first_attempt.is_set() and self._frame is None and self._failed_opens:
                error = self._last_error
                self.close()
                raise DeviceError(f"cannot open camera {self.url}: {error}")
        error = self._last_error or "no frame"
        self.close()
        raise DeviceTimeout(f"camera {self.url}: no frame within {self.timeout_s:.1f} s ({error})")

    def _set(self, **fields: object) -> None:
        with self._cond:
            for key, value in fields.items():
                setattr(self, f"_{key}", value)
            self._cond.notify_all()

    def _open(self) -> cv2.VideoCapture:
        src = self._source
        if src.kind == "network":
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.timeout_s * 1000),
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.stall_s * 1000)]
            cap = cv2.VideoCapture(str(src.target), cv2.CAP_FFMPEG, params)
        elif src.kind == "file":
            cap = cv2.VideoCapture(str(src.target), cv2.CAP_ANY)
        else:
            api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
            cap = cv2.VideoCapture(int(src.target), api)
            if cap.isOpened():
                if src.width and src.height:
                    cap.set(cv2.CAP_PROP_FRAME_WIDTH, src.width)
                    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, src.height)
                if src.fps:
                    cap.set(cv2.CAP_PROP_FPS, src.fps)
                with contextlib.suppress(cv2.error):
                    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if not cap.isOpened():
            cap.release()
            raise DeviceError(self._open_failure())
        return cap

    def _open_failure(self) -> str:
        src = self._source
        if src.kind == "network" and str(src.target).startswith(("http://", "https://")):
            return _describe_http_failure(str(src.target), min(self.timeout_s, 2.0))
        if src.kind == "network":
            return f"OpenCV/FFmpeg could not open the stream within {self.timeout_s:.1f} s"
        if src.kind == "file":
            return "OpenCV cannot decode this video file"
        return f"no camera at index {src.target} (or it is busy)"

    def _publish(self, image: np.ndarray) -> None:
        image.flags.writeable = False  # one frame is shared by every caller: nobody may draw on it
        now = time.monotonic()
        with self._cond:
            self._seq += 1
            self._frame = Frame(image=image, timestamp=time.time(), seq=self._seq, monotonic=now)
            self._times.append(now)
            self._state = "streaming"
            self._cond.notify_all()

    def _run(self) -> None:
        backoff = self.backoff_min_s
        while not self._closed.is_set():
            try:
                cap = self._open()
            except DeviceError as exc:
                with self._cond:
                    self._failed_opens += 1
                    self._last_error = str(exc)
                    self._state = "reconnecting" if self._opens else "connecting"
                    self._cond.notify_all()
                self._first_attempt.set()
                self._closed.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            except cv2.error as exc:  # OpenCV raising on a strange URL: report, retry later
                with self._cond:
                    self._failed_opens += 1
                    self._last_error = f"OpenCV: {exc}"
                    self._cond.notify_all()
                self._first_attempt.set()
                self._closed.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            with self._cond:
                self._opens += 1
                self._backend = cap.getBackendName()
            self._first_attempt.set()
            try:
                got_frame = self._read_loop(cap)
            finally:
                cap.release()
            if self._closed.is_set():
                break
            if self._source.kind == "file" and not self._source.loop and got_frame:
                self._set(state="ended")  # a video played once stays ended
                return
            if got_frame:
                backoff = self.backoff_min_s
            with self._cond:
                self._disconnects += 1
                self._state = "reconnecting"
                self._cond.notify_all()
            self._closed.wait(backoff)
            backoff = min(backoff * 2, self.backoff_max_s)
        with self._cond:
            self._state = "closed"
            self._cond.notify_all()

    def _read_loop(self, cap: cv2.VideoCapture) -> bool:
        """Read until the stream ends, fails or stalls; True if at least one frame came."""
        src = self._source
        got = False
        period = 0.0
        if src.kind == "file":
            fps = cap.get(cv2.CAP_PROP_FPS)
            period = 1.0 / fps if fps and math.isfinite(fps) and 0 < fps < 1000 else 1.0 / 15
        next_t = time.monotonic()
        while not self._closed.is_set():
            try:
                ok, image = cap.read()
            except cv2.error as exc:
                self._set(last_error=f"OpenCV read failed: {exc}")
                return got
            if not ok or image is None or image.size == 0:
                if src.kind == "file" and src.loop and got and cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    continue
                self._set(last_error="stream ended" if src.kind == "file" else
                          f"stream lost or stalled (no frame within {self.stall_s:.1f} s)")
                return got
            got = True
            self._publish(image)
            with self._cond:
                self._last_error = ""
            if period:
                next_t += period
                delay = next_t - time.monotonic()
                if delay > 0:
                    self._closed.wait(delay)
                else:
                    next_t = time.monotonic()
        return got
