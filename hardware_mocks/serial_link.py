"""A simulated serial cable: two pseudo-terminals bridged by a thread, with fault injection.

The controller opens ``driver_path`` and the simulated device opens ``device_path``; bytes written on one
side come out of the other. Both pseudo-terminals are real ttys, so drivers use pyserial exactly as they
would on a USB adapter. The bridge can:

* pace each direction at a baud rate (``baud=19200``), so round trips take the time a real wire takes;
* drop, corrupt or delay the next N *frames* in one direction. A frame is a burst of bytes followed by an idle
  gap (``frame_gap_s``), which is how RTU-style protocols delimit messages; the bridge knows no protocol.
  A corrupted frame has its last byte inverted, which for Modbus RTU is a CRC byte;
* be unplugged (``unplug()``/``plug()``): bytes are discarded in both directions, as with a pulled cable.

Symlinks (``driver_link``/``device_link``) give the pseudo-terminals stable names, so a driver can reopen
the same path after the link has been recreated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Direction(StrEnum):
    """Which way bytes travel on the link."""

    TO_DEVICE = "to_device"  # driver -> device (requests)
    TO_DRIVER = "to_driver"  # device -> driver (responses)


@dataclass
class _Lane:
    """One direction of the link: source/destination masters, pending faults and the wire schedule."""

    src: int
    dst: int
    src_slave: int  # writing here makes bytes appear at ``src``, i.e. enter this lane
    drop: int = 0
    corrupt: int = 0
    delays: deque[float] = field(default_factory=deque)
    burst: bytearray = field(default_factory=bytearray)
    burst_fault: str = ""
    burst_delay: float = 0.0
    burst_deadline: float = 0.0
    queue: deque[tuple[float, bytes]] = field(default_factory=deque)
    wire_free_at: float = 0.0
    bytes_in: int = 0
    bytes_out: int = 0
    frames_dropped: int = 0
    frames_corrupted: int = 0
    frames_delayed: int = 0
    bytes_lost: int = 0


class SerialLink:
    """Two linked pseudo-terminals. Use as a context manager or call ``start()``/``stop()``."""

    def __init__(
        self,
        driver_link: str | os.PathLike[str] | None = None,
        device_link: str | os.PathLike[str] | None = None,
        *,
        baud: int | None = None,
        bits_per_char: int = 10,
        frame_gap_s: float = 0.005,
    ) -> None:
        if baud is not None and baud <= 0:
            raise ValueError(f"baud must be positive, got {baud}")
        self.driver_link = Path(driver_link) if driver_link else None
        self.device_link = Path(device_link) if device_link else None
        self.baud = baud
        self.char_time_s = bits_per_char / baud if baud else 0.0
        self.frame_gap_s = max(frame_gap_s, 3.5 * self.char_time_s)
        self._fds: list[int] = []
        self._lanes: dict[Direction, _Lane] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_r = self._stop_w = -1
        self._running = False
        self._plugged = True
        self.driver_pty = ""
        self.device_pty = ""

    # -- paths ------------------------------------------------------------------------------------------

    @property
    def driver_path(self) -> str:
        """The path the controller opens: the symlink when one was asked for, else the pty itself."""
        return str(self.driver_link) if self.driver_link else self.driver_pty

    @property
    def device_path(self) -> str:
        """The path the simulated device opens."""
        return str(self.device_link) if self.device_link else self.device_pty

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> SerialLink:
        if self._running:
            return self
        drv_master, drv_slave = os.openpty()
        dev_master, dev_slave = os.openpty()
        self._fds = [drv_master, drv_slave, dev_master, dev_slave]
        # The slaves stay open here: a master whose slave nobody holds reads EIO, and raw mode set now
        # persists, so nothing is echoed back before the real user of each end has configured it.
        for fd in (drv_slave, dev_slave):
            tty.setraw(fd)
        for fd in (drv_master, dev_master):
            os.set_blocking(fd, False)
        self.driver_pty = os.ttyname(drv_slave)
        self.device_pty = os.ttyname(dev_slave)
        self._lanes = {
            Direction.TO_DEVICE: _Lane(src=drv_master, dst=dev_master, src_slave=drv_slave),
            Direction.TO_DRIVER: _Lane(src=dev_master, dst=drv_master, src_slave=dev_slave),
        }
        self._stop_r, self._stop_w = os.pipe()
        for link, target in ((self.driver_link, self.driver_pty), (self.device_link, self.device_pty)):
            if link:
                replace_symlink(link, target)
        self._running = True
        self._thread = threading.Thread(target=self._run, name="serial-link", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the bridge, close both pseudo-terminals (the far ends then read EIO) and remove symlinks."""
        if not self._running:
            return
        self._running = False
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread:
            self._thread.join(timeout=2.0)
            self._thread = None
        for fd in [*self._fds, self._stop_r, self._stop_w]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = []
        for link, target in ((self.driver_link, self.driver_pty), (self.device_link, self.device_pty)):
            if link:
                remove_symlink_to(link, target)

    def __enter__(self) -> SerialLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    # -- fault injection --------------------------------------------------------------------------------

    def drop_frames(self, count: int = 1, direction: Direction = Direction.TO_DRIVER) -> None:
        """Silently discard the next ``count`` frames going ``direction`` (the receiver times out)."""
        with self._lock:
            self._lane(direction).drop += count

    def corrupt_frames(self, count: int = 1, direction: Direction = Direction.TO_DRIVER) -> None:
        """Invert the last byte of the next ``count`` frames going ``direction`` (a checksum error)."""
        with self._lock:
            self._lane(direction).corrupt += count

    def delay_frames(self, count: int, seconds: float, direction: Direction = Direction.TO_DRIVER) -> None:
        """Hold back the next ``count`` frames going ``direction`` by ``seconds`` (a late reply).

        Later frames queue behind a held-back one, as they would behind a slow sender on one wire.
        """
        with self._lock:
            self._lane(direction).delays.extend([seconds] * count)

    def drop_responses(self, count: int = 1) -> None:
        """Drop the next ``count`` device responses."""
        self.drop_frames(count, Direction.TO_DRIVER)

    def corrupt_responses(self, count: int = 1) -> None:
        """Corrupt the next ``count`` device responses."""
        self.corrupt_frames(count, Direction.TO_DRIVER)

    def clear_faults(self) -> None:
        with self._lock:
            for lane in self._lanes.values():
                lane.drop = lane.corrupt = 0
                lane.delays.clear()

    def pending_faults(self, direction: Direction = Direction.TO_DRIVER) -> dict[str, int]:
        with self._lock:
            lane = self._lane(direction)
            return {"drop": lane.drop, "corrupt": lane.corrupt, "delay": len(lane.delays)}

    def inject(self, data: bytes, direction: Direction = Direction.TO_DRIVER) -> None:
        """Put ``data`` on the wire as if one end had sent it (line noise, a stray frame)."""
        lane = self._lane(direction)
        os.write(lane.src_slave, data)

    def unplug(self) -> None:
        """Discard everything in both directions until ``plug()``."""
        with self._lock:
            self._plugged = False

    def plug(self) -> None:
        with self._lock:
            self._plugged = True

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                d.value: {
                    "bytes_in": lane.bytes_in,
                    "bytes_out": lane.bytes_out,
                    "frames_dropped": lane.frames_dropped,
                    "frames_corrupted": lane.frames_corrupted,
                    "frames_delayed": lane.frames_delayed,
                    "bytes_lost": lane.bytes_lost,
                }
                for d, lane in self._lanes.items()
            }

    def _lane(self, direction: Direction) -> _Lane:
        if not self._lanes:
            raise RuntimeError("the serial link is not started")
        return self._lanes[Direction(direction)]

    # -- bridge thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        lanes = list(self._lanes.values())
        by_src = {lane.src: lane for lane in lanes}
        while self._running:
            timeout = self._next_wakeup(lanes)
            try:
                ready, _, _ = select.select([self._stop_r, *by_src], [], [], timeout)
            except (OSError, ValueError):
                return
            if self._stop_r in ready:
                return
            now = time.monotonic()
            for fd in ready:
                lane = by_src[fd]
                try:
                    data = os.read(fd, 4096)
                except BlockingIOError:
                    continue
                except OSError:
                    return
                if data:
                    self._take(lane, data, now)
            now = time.monotonic()
            for lane in lanes:
                if lane.burst and now >= lane.burst_deadline:
                    self._finish_burst(lane, now)
                self._deliver_due(lane, now)

    def _next_wakeup(self, lanes: list[_Lane]) -> float | None:
        deadlines = [lane.burst_deadline for lane in lanes if lane.burst]
        deadlines += [lane.queue[0][0] for lane in lanes if lane.queue]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def _take(self, lane: _Lane, data: bytes, now: float) -> None:
        with self._lock:
            lane.bytes_in += len(data)
            if not self._plugged:
                lane.bytes_lost += len(data)
                return
            if not lane.burst:
                if lane.drop:
                    lane.drop -= 1
                    lane.burst_fault = "drop"
                elif lane.corrupt:
                    lane.corrupt -= 1
                    lane.burst_fault = "corrupt"
                elif lane.delays:
                    lane.burst_delay = lane.delays.popleft()
                    lane.burst_fault = "delay"
                else:
                    self._schedule(lane, data, now)
                    return
            lane.burst.extend(data)
            lane.burst_deadline = now + self.frame_gap_s

    def _finish_burst(self, lane: _Lane, now: float) -> None:
        with self._lock:
            frame = bytes(lane.burst)
            lane.burst.clear()
            if lane.burst_fault == "drop":
                lane.frames_dropped += 1
                lane.bytes_lost += len(frame)
                return
            if lane.burst_fault == "delay":
                lane.frames_delayed += 1
                self._schedule(lane, frame, now + lane.burst_delay)
                return
            lane.frames_corrupted += 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
            self._schedule(lane, frame, now)

    def _schedule(self, lane: _Lane, data: bytes, now: float) -> None:
        """Queue ``data`` for delivery once the (simulated) wire has carried its last byte."""
        due = max(now, lane.wire_free_at) + len(data) * self.char_time_s
        lane.wire_free_at = due
        lane.queue.append((due, data))

    def _deliver_due(self, lane: _Lane, now: float) -> None:
        while lane.queue and lane.queue[0][0] <= now:
            _, data = lane.queue.popleft()
            try:
                written = os.write(lane.dst, data)
            except BlockingIOError:
                written = 0
            except OSError as exc:
                if exc.errno not in (errno.EIO, errno.EBADF):
                    raise
                written = 0
            with self._lock:
                lane.bytes_out += written
                # Nobody is reading that end and its buffer is full: the bytes are lost, as on a wire.
                lane.bytes_lost += len(data) - written


def replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (a driver opening it never sees it missing)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def remove_symlink_to(link: Path, target: str) -> None:
    """Remove ``link`` if it still points at ``target`` (another run may have taken it over)."""
    with contextlib.suppress(OSError):
        if link.is_symlink() and os.readlink(link) == target:
            link.unlink()
