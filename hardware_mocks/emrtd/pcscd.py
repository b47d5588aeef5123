"""Start ``pcscd`` (with Debian's vpcd virtual reader) when it is not already running.

Tests and the rig call :func:`ensure_pcscd`. A pcscd that this process started runs in the foreground as a
child and is stopped by :meth:`PcscdProcess.stop`; one that was already running is left alone.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

PCSCD_SOCKET = "/run/pcscd/pcscd.comm"


def pcscd_running() -> bool:
    if not os.path.exists(PCSCD_SOCKET):
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1)
        s.connect(PCSCD_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


def vpcd_listening(port: int = 35963) -> bool:
    """True if something listens on TCP ``port``; read from /proc so no card is "inserted" by a probe."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


@dataclass
class PcscdProcess:
    proc: subprocess.Popen[bytes] | None  # None when pcscd was already running

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


class PcscdUnavailable(RuntimeError):
    pass


def ensure_pcscd(timeout: float = 10.0, port: int = 35963) -> PcscdProcess:
    """Make sure pcscd is up with the vpcd reader listening on ``port``; start it if needed."""
    if pcscd_running() and _wait(lambda: vpcd_listening(port), 2.0):
        return PcscdProcess(None)
    exe = shutil.which("pcscd") or "/usr/sbin/pcscd"
    if not os.path.exists(exe):
        raise PcscdUnavailable("pcscd is not installed (Debian package pcscd)")
    if not os.path.exists("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"):
        raise PcscdUnavailable("the vpcd driver is not installed (Debian package vsmartcard-vpcd)")
    if pcscd_running():
        raise PcscdUnavailable(f"pcscd is running but no vpcd reader listens on 127.0.0.1:{port}")
    proc = subprocess.Popen(
        [exe, "--foreground", "--error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if not _wait(lambda: pcscd_running() and vpcd_listening(port), timeout):
        proc.terminate()
        raise PcscdUnavailable(f"pcscd did not come up with vpcd on port {port} within {timeout:.0f} s")
    return PcscdProcess(proc)


def _wait(cond, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()
