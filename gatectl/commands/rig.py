"""``egate rig up|down|status``: the simulated gate as a background process, for test rigs and demos."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _default_dir() -> Path:
    return Path(os.environ.get("EGATE_RIG_DIR", "/tmp/egate-rig"))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rig", help="start or stop the simulated gate (all devices, real protocols)")
    rig_sub = p.add_subparsers(dest="rig_command", metavar="ACTION")
    up = rig_sub.add_parser("up", help="start every simulated device in the background")
    up.add_argument("--dir", type=Path, default=_default_dir(), help="run directory (default $EGATE_RIG_DIR "
                    "or /tmp/egate-rig): pseudo-terminal links, status, log")
    up.add_argument("--passport", help="put this test passport on the reader at start (sample, bsi2008, ...)")
    up.add_argument("--person", help="put a passport generated for this face on the reader at start, and show "
                    "the same person to the camera (e.g. Hans_Blix)")
    up.add_argument("--scenario", default="empty", help="camera scenario at start")
    up.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the rig to be ready")
    up.set_defaults(func=rig_up)
    down = rig_sub.add_parser("down", help="stop the simulated gate")
    down.add_argument("--dir", type=Path, default=_default_dir())
    down.set_defaults(func=rig_down)
    status = rig_sub.add_parser("status", help="what runs where (JSON)")
    status.add_argument("--dir", type=Path, default=_default_dir())
    status.set_defaults(func=rig_status)
    from gatectl.commands import rig_run

    rig_run.register(rig_sub)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _pid(rig_dir: Path) -> int | None:
    try:
        pid = int((rig_dir / "rig.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def rig_up(args: argparse.Namespace) -> int:
    rig_dir: Path = args.dir
    if (pid := _pid(rig_dir)) is not None:
        print(f"the simulated gate already runs (pid {pid}); `egate rig down` first", file=sys.stderr)
        return 1
    rig_dir.mkdir(parents=True, exist_ok=True)
    (rig_dir / "rig.json").unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "hardware_mocks.rig", "--dir", str(rig_dir), "--scenario", args.scenario]
    if args.passport:
        cmd += ["--passport", args.passport]
    if args.person:
        cmd += ["--person", args.person]
    log = open(rig_dir / "rig.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "EGATE_RIG_DIR": str(rig_dir)})
    (rig_dir / "rig.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"the simulated gate failed to start; see {rig_dir / 'rig.log'}:", file=sys.stderr)
            print((rig_dir / "rig.log").read_text()[-2000:], file=sys.stderr)
            return 3
        if (rig_dir / "rig.json").exists():
            status = json.loads((rig_dir / "rig.json").read_text())
            print(f"simulated gate up (pid {proc.pid})")
            print(f"  chip reader  {status['reader']['name']} (pcscd + vpcd)")
            print(f"  I/O board    modbus-rtu://{status['io_board']['path']}")
            print(f"  camera       {status['camera']['url']}")
            print(f"  MRZ reader   mrz-serial://{status['mrz_reader']['path']}")
            print(f"  control API  {status['control']}")
            print(f"  trust store  {status['trust']} (CSCA and CRL of the rig's test PKI)")
            print(f"run `egate diag` to check it; `egate rig down` to stop it (EGATE_RIG_DIR={rig_dir})")
            return 0
        time.sleep(0.2)
    proc.terminate()
    print(f"the simulated gate was not ready within {args.timeout:.0f} s", file=sys.stderr)
    return 3


def rig_down(args: argparse.Namespace) -> int:
    pid = _pid(args.dir)
    if pid is None:
        print("the simulated gate is not running")
        (args.dir / "rig.pid").unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (args.dir / "rig.pid").unlink(missing_ok=True)
    print(f"simulated gate stopped (pid {pid})")
    return 0


def rig_status(args: argparse.Namespace) -> int:
    if _pid(args.dir) is None:
        print(json.dumps({"running": False}))
        return 1
    status = json.loads((args.dir / "rig.json").read_text())
    try:
        with urllib.request.urlopen(status["control"] + "/status", timeout=5) as r:
            status = json.load(r)
    except OSError:
        pass
    print(json.dumps({"running": True, **status}, indent=2))
    return 0
