"""A simulated IP camera: serves a scenario (hardware_mocks.camera.scenarios) as MJPEG over HTTP.

Endpoints:
    GET  /stream.mjpg   multipart/x-mixed-replace; one JPEG part per frame, each with Content-Length
    GET  /snapshot.jpg  the newest frame
    GET  /status        JSON: scenario, person, fps, size, frame sequence, stream clients, drop state
    POST /scenario      JSON {"name": ..., "person": ..., "seed": ...}: switch scenario (restarts its clock)
    POST /drop          JSON {"seconds": N, "mode": "close"|"freeze"|"refuse"}: simulate a network drop

Drop modes: ``close`` closes every stream connection and holds new ones without an answer until the drop
ends, then serves them; ``freeze`` keeps connections open but sends nothing (a stalled stream); ``refuse``
closes streams and answers new ones 503 until the drop ends. The ``stream_drop`` scenario plays
``bona_fide`` and drops (``close``) for ``drop_seconds`` every ``drop_every`` seconds.

Frames are rendered only while someone watches (a stream client, or a snapshot asked for in the last
seconds), so an idle server costs no CPU and the scenario clock waits.

    python -m hardware_mocks.camera.server --port 18554 --scenario approach
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2

from hardware_mocks.camera.scenarios import (
    DEFAULT_SIZE,
    SCENARIOS,
    FaceSourceError,
    ScenarioFrame,
    UnknownScenario,
    default_faces_dir,
    render_scenario,
)
from hardware_mocks.json_http import JsonHandler

BOUNDARY = "egateframe"
DROP_MODES = ("close", "freeze", "refuse")
_IDLE_AFTER_SNAPSHOT_S = 1.5


class CameraServer:
    """An MJPEG camera on ``http://host:port``; ``url`` is the stream URL a driver opens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, scenario: str = "empty", fps: float = 15.0, *,
                 person: str | None = None, faces_dir: str | Path | None = None,
                 size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0, jpeg_quality: int = 85,
                 drop_every: float = 10.0, drop_seconds: float = 3.0) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.host = host
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.seed = seed
        self.jpeg_quality = int(jpeg_quality)
        self.drop_every = float(drop_every)
        self.drop_seconds = float(drop_seconds)
        self.faces_dir = Path(faces_dir) if faces_dir is not None else default_faces_dir()
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)
        self._jpeg: bytes | None = None
        self._seq = 0
        self._frame_time = 0.0
        self._frame_index = 0
        self._clients: set[socket.socket] = set()
        self._generation = 0            # bumped by every drop: streams of an older generation end
        self._drop_until = 0.0
        self._drop_mode = "close"
        self._want_until = 0.0          # a snapshot asked for a frame: render until then
        self._scenario_started = 0.0
        self._next_auto_drop = 0.0
        self._stopping = threading.Event()
        self._frames: Iterator[ScenarioFrame] | None = None
        self.scenario = ""
        self.person: str | None = None
        self.set_scenario(scenario, person)
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._serve_thread: threading.Thread | None = None
        self._render_thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------ Python API

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The MJPEG stream URL."""
        return f"{self.base_url}/stream.mjpg"

    @property
    def snapshot_url(self) -> str:
        return f"{self.base_url}/snapshot.jpg"

    def start(self) -> CameraServer:
        if self._serve_thread is None:
            self._serve_thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                                  name="camera-http", daemon=True)
            self._render_thread = threading.Thread(target=self._render_loop, name="camera-render", daemon=True)
            self._serve_thread.start()
            self._render_thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._new_frame.notify_all()
            clients = list(self._clients)
        for sock in clients:
            _shutdown(sock)
        if self._serve_thread is not None:
            self._httpd.shutdown()
            self._serve_thread.join(timeout=5)
        self._httpd.server_close()
        if self._render_thread is not None:
            self._render_thread.join(timeout=5)

    close = stop

    def __enter__(self) -> CameraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_scenario(self, name: str, person: str | None = None, seed: int | None = None) -> None:
        """Switch to scenario ``name`` (its clock restarts). Raises UnknownScenario / FaceSourceError."""
        frames = render_scenario(name, faces_dir=self.faces_dir, person=person, fps=self.fps,
                                 seed=self.seed if seed is None else seed, size=self.size)
        with self._lock:
            self._frames = frames
            self.scenario = name
            self.person = person
            self._frame_index = 0
            self._scenario_started = time.monotonic()
            self._next_auto_drop = self._scenario_started + self.drop_every

    def drop(self, seconds: float, mode: str = "close") -> None:
        """Simulate a network drop for ``seconds`` (see the module docstring for the modes)."""
        if mode not in DROP_MODES:
            raise ValueError(f"drop mode must be one of {DROP_MODES}, not {mode!r}")
        if not 0 <= seconds <= 3600:
            raise ValueError("drop seconds must be between 0 and 3600")
        with self._lock:
            self._drop_until = time.monotonic() + seconds
            self._drop_mode = mode
            self._generation += 1
            clients = list(self._clients) if mode != "freeze" else []
            self._new_frame.notify_all()
        for sock in clients:
            _shutdown(sock)

    def status(self) -> dict[str, Any]:
        with self._lock:
            remaining = max(self._drop_until - time.monotonic(), 0.0)
            return {
                "scenario": self.scenario,
                "person": self.person,
                "fps": self.fps,
                "width": self.size[0],
                "height": self.size[1],
                "seq": self._seq,
                "clients": len(self._clients),
                "dropped": remaining > 0,
                "drop_mode": self._drop_mode if remaining > 0 else None,
                "drop_remaining_s": round(remaining, 3),
                "scenarios": sorted(SCENARIOS),
            }

    # ------------------------------------------------------------------------------------- internals

    def _dropped(self) -> str | None:
        """The drop mode in force, or None."""
        return self._drop_mode if time.monotonic() < self._drop_until else None

    def _render_loop(self) -> None:
        period = 1.0 / self.fps
        next_t = time.monotonic()
        while not self._stopping.is_set():
            now = time.monotonic()
            with self._lock:
                watched = bool(self._clients) or now < self._want_until
                frames = self._frames
                auto_drop = self.scenario == "stream_drop" and now >= self._next_auto_drop
                if auto_drop:
                    self._next_auto_drop = now + self.drop_every + self.drop_seconds
            if auto_drop:
                self.drop(self.drop_seconds, "close")
            if not watched or frames is None:
                self._stopping.wait(0.05)
                next_t = time.monotonic()
                continue
            try:
                frame = next(frames)
            except Exception as exc:  # a broken scenario must not kill the camera: show it and go on
                print(f"camera scenario failed: {exc}", file=sys.stderr)
                with self._lock:
                    if self._frames is frames:
                        self._frames = render_scenario("empty", fps=self.fps, seed=self.seed, size=self.size)
                        self.scenario = "empty"
                continue
            ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            if ok:
                with self._lock:
                    if self._frames is frames:
                        self._jpeg = buf.tobytes()
                        self._seq += 1
                        self._frame_time = time.time()
                        self._new_frame.notify_all()
            next_t += period
            delay = next_t - time.monotonic()
            if delay < -period:  # fell behind (slow machine): do not try to catch up
                next_t = time.monotonic()
            elif delay > 0:
                self._stopping.wait(delay)

    def _snapshot(self, timeout: float = 5.0) -> bytes | None:
        deadline = time.monotonic() + timeout
        with self._lock:
            self._want_until = time.monotonic() + _IDLE_AFTER_SNAPSHOT_S
            fresh = self._jpeg is not None and time.time() - self._frame_time < 2.0 / self.fps
            if fresh:
                return self._jpeg
            seq = self._seq
            while self._seq == seq and not self._stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._new_frame.wait(left)
            return self._jpeg

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        sock = handler.connection
        while not self._stopping.is_set():  # a new connection during a drop waits, or is refused
            mode = self._dropped()
            if mode is None:
                break
            if mode == "refuse":
                handler.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "camera stream dropped")
                return
            time.sleep(0.05)
        handler.send_response(HTTPStatus.OK)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache, no-store")
        handler.send_header("Pragma", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        with self._lock:
            self._clients.add(sock)
            generation = self._generation
            last_seq = self._seq
        try:
            while not self._stopping.is_set():
                with self._lock:
                    while self._seq == last_seq and self._generation == generation and not self._stopping.is_set():
                        self._new_frame.wait(0.5)
                    if self._generation != generation:
                        if self._drop_mode != "freeze":
                            return
                        generation = self._generation
                    frozen = time.monotonic() < self._drop_until and self._drop_mode == "freeze"
                    jpeg, last_seq, stamp = self._jpeg, self._seq, self._frame_time
                if frozen or jpeg is None:
                    continue
                part = (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n"
                        f"X-Frame-Seq: {last_seq}\r\nX-Timestamp: {stamp:.6f}\r\n\r\n").encode("ascii")
                handler.wfile.write(part + jpeg + b"\r\n")
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return
        finally:
            with self._lock:
                self._clients.discard(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _make_handler(server: CameraServer) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        protocol_version = "HTTP/1.0"
        server_version = "egate-sim-camera/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            if path in ("/stream.mjpg", "/video", "/mjpg/video.mjpg"):
                server._stream(self)
            elif path == "/snapshot.jpg":
                if server._dropped() in ("close", "refuse"):
                    self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "camera stream dropped")
                    return
                jpeg = server._snapshot()
                if jpeg is None:
                    self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "no frame yet")
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(jpeg)))
                self.send_header("Cache-Control", "no-cache, no-store")
                self.end_headers()
                self.wfile.write(jpeg)
            elif path == "/status":
                self._json(200, server.status())
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            try:
                body = self._body()
                if path == "/scenario":
                    name = body.get("name")
                    if not isinstance(name, str):
                        raise ValueError("'name' (a scenario name) is required")
                    seed = body.get("seed")
                    server.set_scenario(name, body.get("person"), int(seed) if seed is not None else None)
                elif path == "/drop":
                    server.drop(float(body.get("seconds", 3.0)), str(body.get("mode", "close")))
                else:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
            except (ValueError, TypeError, UnknownScenario, FaceSourceError) as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, server.status())

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware_mocks.camera.server",
                                     description="Simulated MJPEG IP camera playing a gate scenario.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18554)
    parser.add_argument("--scenario", default="empty", choices=sorted(SCENARIOS))
    parser.add_argument("--person", default=None, help="person (LFW folder name, file stem or path)")
    parser.add_argument("--faces-dir", default=None, help="face photos (default: ../shared/data/lfw/images)")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--width", type=int, default=DEFAULT_SIZE[0])
    parser.add_argument("--height", type=int, default=DEFAULT_SIZE[1])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality")
    args = parser.parse_args(argv)
    try:
        server = CameraServer(args.host, args.port, args.scenario, args.fps, person=args.person,
                              faces_dir=args.faces_dir, size=(args.width, args.height), seed=args.seed,
                              jpeg_quality=args.quality)
    except (UnknownScenario, FaceSourceError, OSError, ValueError) as exc:
        print(f"camera server: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"camera: {server.url} (scenario {server.scenario})", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
