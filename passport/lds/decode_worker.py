"""Image decoding in a separate worker process whose address space and time are bounded.

Header checks (``codestream``) refuse what a header declares; what a decoder does with crafted entropy data
or packet headers is declared nowhere. So the pixels are decoded in a child process
(``python -m passport.lds.decode_worker``): its address space is capped with RLIMIT_AS at
``MAX_DECODE_MEMORY`` above what it holds after start-up, and the caller waits at most ``DECODE_TIMEOUT_S``
for the answer before killing it. A worker that failed in any way is replaced at the next call. One worker
serves the whole process, one image at a time; it starts at the first decode and ends with the caller.

The worker is a plain subprocess rather than ``multiprocessing``: nothing of the caller (threads, locks, its
main module) is copied or re-imported into it. Its answer is a small JSON header and raw uint8 pixels, never
a pickle, so a decoder subverted by a crafted image cannot make the caller run code. Pillow's settings are
changed only inside the worker.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np

from passport.errors import LDSError

MAX_DECODE_MEMORY = 512 * 1024 * 1024  # bytes of address space the worker may add while decoding
DECODE_TIMEOUT_S = 10.0  # a portrait decodes in well under a second on the reference machine
WORKER_START_TIMEOUT_S = 60.0
MAX_HEADER_BYTES = 4096
PILLOW_FORMATS = {"jpeg": "JPEG", "jpeg2000": "JPEG2000"}
_LEN = struct.Struct(">I")

_lock = threading.Lock()
_worker: subprocess.Popen | None = None


def decode_in_worker(data: bytes, fmt: str, size: tuple[int, int], max_pixels: int) -> np.ndarray:
    """Decode ``data`` (header-checked as ``fmt`` of ``size`` = (width, height)) to an L or RGB uint8 array."""
    with _lock:
        proc = _running_worker()
        deadline = time.monotonic() + DECODE_TIMEOUT_S
        try:
            request = {"format": fmt, "width": size[0], "height": size[1], "max_pixels": max_pixels}
            _write_frame(proc.stdin, json.dumps(request).encode())
            _write_frame(proc.stdin, data)
            reply = json.loads(_read_frame(proc.stdout, deadline, MAX_HEADER_BYTES))
            if "error" in reply:
                raise LDSError(str(reply["error"])[:300])
            shape = _checked_shape(reply.get("shape"), size)
            raw = _read_frame(proc.stdout, deadline, int(np.prod(shape)))
        except TimeoutError:
            _stop_worker()
            raise LDSError(
                f"image decoding took longer than {DECODE_TIMEOUT_S:g} s and was stopped"
            ) from None
        except (OSError, ValueError, EOFError) as exc:
            _stop_worker()
            raise LDSError("image decoder ended abnormally (memory bound reached or crash)") from exc
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape).copy()


def start_worker() -> None:
    """Start the worker now (about 0.3 s) rather than at the first decode, e.g. when a gate starts."""
    with _lock:
        _running_worker()


def _checked_shape(shape: Any, size: tuple[int, int]) -> tuple[int, ...]:
    width, height = size
    if shape not in ([height, width], [height, width, 3]):
        raise ValueError(f"decoder answered an unexpected shape {shape}")
    return tuple(shape)


def _running_worker() -> subprocess.Popen:
    global _worker
    if _worker is not None and _worker.poll() is None:
        return _worker
    _stop_worker()
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    )
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "passport.lds.decode_worker", str(MAX_DECODE_MEMORY)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True,
        )  # fmt: skip
    except OSError as exc:  # no processes or file descriptors left
        raise LDSError("image decoder worker could not be started") from exc
    try:
        if _read_frame(proc.stdout, time.monotonic() + WORKER_START_TIMEOUT_S, 16) != b"ready":
            raise ValueError("unexpected greeting")
    except (TimeoutError, OSError, ValueError, EOFError) as exc:
        proc.kill()
        proc.wait()
        raise LDSError("image decoder worker did not start") from exc
    _worker = proc
    return proc


def _stop_worker() -> None:
    global _worker
    proc, _worker = _worker, None
    if proc is None:
        return
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


def _write_frame(stream: IO[bytes] | None, payload: bytes) -> None:
    assert stream is not None
    stream.write(_LEN.pack(len(payload)) + payload)
    stream.flush()


def _read_frame(stream: IO[bytes] | None, deadline: float | None, max_len: int) -> bytes:
    """One length-prefixed frame; TimeoutError past ``deadline`` (None: wait), EOFError if the peer is gone."""
    assert stream is not None
    (length,) = _LEN.unpack(_read_exact(stream, _LEN.size, deadline))
    if length > max_len:
        raise ValueError(f"frame of {length} bytes exceeds {max_len}")
    return _read_exact(stream, length, deadline)


def _read_exact(stream: IO[bytes], n: int, deadline: float | None) -> bytes:
    fd = stream.fileno()
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# --- inside the worker ---------------------------------------------------------------------------------------


def _serve(extra_memory: int) -> None:  # pragma: no cover - runs in the child process
    """Worker loop: cap the address space, then answer decode requests until stdin closes."""
    from PIL import Image

    Image.init()
    _limit_address_space(extra_memory)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _write_frame(stdout, b"ready")
    while True:
        try:
            request = json.loads(_read_frame(stdin, None, MAX_HEADER_BYTES))
            data = _read_frame(stdin, None, 64 * 1024 * 1024)
        except (EOFError, OSError, ValueError):
            return
        try:
            pixels = _decode(data, request)
        except MemoryError:
            _write_frame(stdout, json.dumps({"error": "image decoding exceeded its memory bound"}).encode())
            continue
        except Exception as exc:  # noqa: BLE001 - any failure of a decoder fed hostile bytes becomes an answer
            message = f"undecodable {request.get('format')} image: {type(exc).__name__}: {exc}"
            _write_frame(stdout, json.dumps({"error": message[:300]}).encode())
            continue
        _write_frame(stdout, json.dumps({"shape": list(pixels.shape)}).encode())
        _write_frame(stdout, pixels.tobytes())


def _limit_address_space(extra: int) -> None:  # pragma: no cover - runs in the child process
    """RLIMIT_AS at the current size plus ``extra``; Linux reads the size from /proc (elsewhere the time
    limit alone remains)."""
    import resource

    try:
        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return
    resource.setrlimit(resource.RLIMIT_AS, (current + extra, current + extra))


def _decode(data: bytes, request: dict) -> np.ndarray:  # pragma: no cover - runs in the child process
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = int(request["max_pixels"])  # this process only
    size = (int(request["width"]), int(request["height"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[request["format"]]])
        if img.size != size:
            raise ValueError(
                f"decoder sees {img.size[0]}x{img.size[1]}, the header declared {size[0]}x{size[1]}"
            )
        img.load()
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        return np.ascontiguousarray(np.asarray(img), dtype=np.uint8)


if __name__ == "__main__":  # pragma: no cover
    _serve(int(sys.argv[1]))
