"""The gate a scenario runs on: the simulated devices (:class:`hardware_mocks.rig.SimulatedGate`, in this
process) and the real controller from :mod:`gatectl`, either in a thread of this process or as an
``egate run`` process (for crash scenarios), with its configuration, lists and audit store in the rig's run
directory. Everything the controller publishes arrives on :attr:`ScenarioGate.events` as :class:`Seen`.
"""

from __future__ import annotations

import csv
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware_mocks.rig import RigOptions, SimulatedGate

log = logging.getLogger(__name__)

DEFAULT_DIR = "/tmp/egate-rig-scen"
_STATE_LINE = re.compile(r"^state (\w+) -> (\w+) on (\w+)(?: \((\w+)\))?$")
_DECISION_LINE = re.compile(r"^decision transaction=(\S+) outcome=(\w+)")


@dataclass(frozen=True)
class Seen:
    """One thing the controller published, with the time it arrived (time.monotonic())."""

    kind: str
    data: dict[str, Any]
    at: float


class ScenarioGate:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    def __init__(self, rig_dir: Path | str | None = None, slot: int | None = None,
                 io_timing: dict[str, float] | None = None) -> None:
        self.rig_dir = Path(rig_dir or os.environ.get("EGATE_RIG_DIR", DEFAULT_DIR))
        self.slot = int(os.environ.get("EGATE_VPCD_SLOT", "0")) if slot is None else slot
        self.io_timing = io_timing
        self.rig: SimulatedGate | None = None
        self.ctl: Any = None
        self.proc: subprocess.Popen[str] | None = None
        self.events: queue.Queue[Seen] = queue.Queue()
        self.config_path = self.rig_dir / "gate.toml"
        self._settings: tuple[str, str] = ("", "")

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> ScenarioGate:
        from hardware_mocks.emrtd.vpcd import vpcd_reader_name

        for name in ("audit.sqlite", "lists.sqlite", "audit.key"):
            (self.rig_dir / name).unlink(missing_ok=True)
        self.rig = SimulatedGate(RigOptions(rig_dir=self.rig_dir, camera_port=0, control_port=0,
                                            vpcd_slot=self.slot, io_timing=self.io_timing)).start()
        from gatectl.config import builtin_simulated_text

        assert self.rig.camera is not None
        text = (builtin_simulated_text().replace("${EGATE_RIG_DIR:-/tmp/egate-rig}", str(self.rig_dir))
                .replace("${EGATE_CAMERA_PORT:-18554}", str(self.rig.camera.port))
                .replace('"pcsc://Virtual PCD 00 00"', f'"pcsc://{vpcd_reader_name(self.slot)}"'))
        self.config_path.write_text(text)
        return self

    def stop(self) -> None:
        self.stop_controller()
        if self.rig is not None:
            self.rig.stop()
            self.rig = None

    def __enter__(self) -> ScenarioGate:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config(self, mode: str = "one-step", policy: dict[str, Any] | None = None) -> Any:
        """The rig's gate configuration, with the gate mode and [policy] keys a scenario sets."""
        from gatectl.config import load_config
        from gatectl.policy import PolicySettings

        cfg = load_config(self.config_path)
        cfg.gate.mode = mode
        if policy:
            cfg.policy = PolicySettings.model_validate({**cfg.policy.model_dump(), **policy})
        return cfg

    # -- the controller ----------------------------------------------------------------------------------

    def ensure_controller(self, kind: str = "thread", mode: str = "one-step",
                          policy: dict[str, Any] | None = None) -> None:
        """Have a controller of ``kind`` running with these settings (restarted only if they change)."""
        settings = (mode, repr(sorted((policy or {}).items())))
        if kind == "process":
            self.stop_controller()
            self.start_process()
        elif self.ctl is None or self._settings != settings or self.proc is not None:
            self.stop_controller()
            self.start_controller(mode, policy)
        self._settings = settings

    def start_controller(self, mode: str = "one-step", policy: dict[str, Any] | None = None) -> Any:
        from gatectl.controller import GateController

        ctl = GateController.from_config(self.config(mode, policy))
        ctl.events.on_event(lambda e: self.events.put(Seen(e.kind, dict(e.data), time.monotonic())))
        self.ctl = ctl.start()
        if not ctl.wait_for_state("idle", timeout=15):
            raise RuntimeError(f"the controller did not reach idle (state {ctl.state})")
        return ctl

    def start_process(self, timeout: float = 60.0) -> None:
        """``egate run`` against the rig, as a gate runs in production; its output is parsed into events."""
        env = {**os.environ, "EGATE_RIG_DIR": str(self.rig_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "gatectl.cli", "run", "--config", str(self.config_path)],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        running = threading.Event()
        threading.Thread(target=self._read_process, args=(self.proc, running), daemon=True).start()
        if not running.wait(timeout):
            self.crash_process()
            raise RuntimeError("`egate run` did not start")
        assert self.rig is not None and self.rig.io_board is not None
        self.rig.io_board.wait_for(lambda s: s.coils["entry_lock"], 10)  # doors written: the gate is idle

    def _read_process(self, proc: subprocess.Popen[str], running: threading.Event) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("gate ") and " running " in line:
                running.set()
            elif m := _STATE_LINE.match(line):
                self.events.put(Seen("state", {"state": m[2], "previous": m[1], "trigger": m[3],
                                               "problem": m[4], "transaction": None}, time.monotonic()))
            elif m := _DECISION_LINE.match(line):
                self.events.put(Seen("decision", {"transaction": m[1], "outcome": m[2], "reasons": []},
                                     time.monotonic()))
            elif "Traceback" in line:
                log.warning("egate run: %s", line)

    def crash_process(self) -> None:
        """SIGKILL the ``egate run`` process: a crash or power loss, nothing is cleaned up."""
        if self.proc is not None:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop_controller(self) -> None:
        if self.ctl is not None:
            self.ctl.stop()
            self.ctl = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.crash_process()
            self.proc = None

    @property
    def state(self) -> str | None:
        return self.ctl.state if self.ctl is not None else None

    # -- lists ---------------------------------------------------------------------------------------------

    def import_lists(self, entries: dict[str, list[dict[str, str]]]) -> None:
        """One import per list, in the rig's list store: each list is loaded (a filler row keeps an empty one
        from counting as absent)."""
        from gatectl.lists import ListStore

        columns = {"sltd": ("issuer", "document_type", "number"),
                   "watchlist": ("full_name", "date_of_birth", "nationality"),
                   "trusted": ("issuer", "document_type", "document_number", "enrolment_expiry")}
        filler = {"sltd": {"issuer": "UTO", "document_type": "P", "number": "FILLER001"},
                  "watchlist": {"full_name": "Nobody Filler Example", "date_of_birth": "1900-01-01",
                                "nationality": "UTO"},
                  "trusted": {"issuer": "UTO", "document_type": "P", "document_number": "FILLER002",
                              "enrolment_expiry": "2099-12-31"}}
        store = ListStore(self.rig_dir / "lists.sqlite")
        try:
            for kind, cols in columns.items():
                path = self.rig_dir / f"scenario-{kind}.csv"
                with path.open("w", newline="", encoding="utf-8") as f:
                    writer = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
                    writer.writeheader()
                    for row in [filler[kind], *entries.get(kind, [])]:
                        writer.writerow(row)
                store.import_file(kind, path, name=f"scenarios-{kind}")
                path.unlink()
        finally:
            store.close()

    # -- helpers for the runner ---------------------------------------------------------------------------

    def drain(self) -> None:
        while True:
            try:
                self.events.get_nowait()
            except queue.Empty:
                return

    def doors(self) -> dict[str, dict[str, bool]]:
        assert self.rig is not None and self.rig.io_board is not None
        board = self.rig.io_board.state()
        return {side: {"released": bool(board.coils[f"{side}_lock"]), "closed": bool(board.doors[side]["closed"])}
                for side in ("entry", "exit")}
