"""The gate controller on the simulated gate, over the real protocols: pcscd + vpcd (slot 0), Modbus RTU on a
pty, the MJPEG camera, the MRZ reader on a pty. Policy, lists and audit are the real ones."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.pcsc

TRAVELLER = "Tony_Blair"  # the sample face whose simulated live presentation passes the capture criteria
OTHER = "David_Beckham"


class Gate:
    """The rig, its configuration and (once started) a controller."""

    def __init__(self, rig: Any, cfg: Any, env: dict[str, str]) -> None:
        self.rig, self.cfg, self.env = rig, cfg, env
        self.ctl: Any = None

    def start_controller(self) -> Any:
        from gatectl.controller import GateController

        self.ctl = GateController.from_config(self.cfg).start()
        assert self.ctl.wait_for_state("idle", timeout=10)
        return self.ctl

    def traveller(self, passport_of: str, staying: bool = False) -> None:
        board = self.rig.io_board
        board.person_enters(stop_at="inside" if staying else None)
        board.wait_for(lambda s: "inside" in s.people.values(), timeout_s=5)
        self.rig.present_passport(person=passport_of)

    def audit_records(self) -> list[dict[str, Any]]:
        from gatectl.audit import AuditLog

        out = io.StringIO()
        with AuditLog(self.cfg.audit.path, self.cfg.audit.load_key()) as log:
            today = dt.date.today()
            log.export(today - dt.timedelta(days=1), today + dt.timedelta(days=1), "jsonl", out)
        return [json.loads(line) for line in out.getvalue().splitlines()]

    def closed(self, tx: str) -> dict[str, Any]:
        found = [r["body"] for r in self.audit_records()
                 if r["kind"] == "transaction_close" and r["body"]["tx"] == tx]
        assert len(found) == 1, f"transaction {tx} closed {len(found)} times"
        return found[0]


@pytest.fixture
def gate(tmp_path: Path, pcscd: None, vpcd_slot: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    if vpcd_slot:
        pytest.skip("the simulated gate's configuration names slot 0's reader")
    from conftest import _wait_until_reader_empty

    from gatectl.config import load_config
    from gatectl.lists import ListStore
    from hardware_mocks.rig import RigOptions, SimulatedGate

    _wait_until_reader_empty()  # pcscd sees the last test's card leave only at its next poll
    rig_dir = tmp_path / "rig"
    rig = SimulatedGate(RigOptions(rig_dir=rig_dir, camera_port=0, control_port=0, vpcd_slot=0,
                                   camera_scenario="bona_fide", camera_person=TRAVELLER)).start()
    assert rig.camera is not None
    env = {"EGATE_RIG_DIR": str(rig_dir), "EGATE_CAMERA_PORT": str(rig.camera.port)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cfg = load_config()
    (tmp_path / "sltd.csv").write_text("issuer,document_type,number\nDEU,P,X00000001\n")
    (tmp_path / "watchlist.csv").write_text("full_name,date_of_birth,nationality\nJohn Q Nobody,1950-01-01,US\n")
    store = ListStore(cfg.lists.db)
    store.import_file("sltd", tmp_path / "sltd.csv")
    store.import_file("watchlist", tmp_path / "watchlist.csv")
    store.close()
    g = Gate(rig, cfg, env)
    try:
        yield g
    finally:
        if g.ctl is not None:
            g.ctl.stop()
        rig.stop()


def test_genuine_traveller_passes_and_the_gate_resets(gate: Gate) -> None:
    ctl = gate.start_controller()
    from ui_kiosk.app import create_app

    page = create_app(gate.cfg, gate=ctl).test_client()
    assert page.get("/technician/api/gate").get_json()["state"] == "idle"
    assert "stateDiagram-v2" in page.get("/technician/api/diagram").get_data(as_text=True)
    with ctl.events.subscribe() as sub:
        gate.traveller(TRAVELLER)
        opened = sub.wait_for(lambda e: e.kind == "state" and e.data["state"] in ("exit_open", "referred"), 40)
        assert opened is not None and opened.data["state"] == "exit_open", [e.as_dict() for e in
                                                                             ctl.events.recent(["referral"])]
        assert gate.rig.io_board.state().coils["exit_lock"] is True
        decision = sub.wait_for(lambda e: e.kind == "decision", 20)
    assert decision is not None and decision.data["outcome"] == "admit"
    assert ctl.wait_for_state("idle", timeout=5)
    board = gate.rig.io_board.wait_for(lambda s: not s.coils["exit_lock"] and s.doors["exit"]["locked"], 5)
    assert board.passed == 1
    record = gate.closed(decision.data["transaction"])
    assert record["decision"] == "admit"
    steps = {r["body"]["step"] for r in gate.audit_records() if r["kind"] == "step"}
    assert {"chip_read", "document_check", "face_verify", "decision", "passage"} <= steps


def test_impostor_is_referred_and_the_exit_stays_locked(gate: Gate) -> None:
    ctl = gate.start_controller()
    with ctl.events.subscribe(["referral", "state"]) as sub:
        gate.traveller(OTHER, staying=True)  # another person's passport, Tony Blair's face on camera
        referral = sub.wait_for(lambda e: e.kind == "referral", 40)
    assert referral is not None
    codes = {r["code"] for r in referral.data["reasons"]}
    assert "face_mismatch" in codes, codes
    assert referral.data["evidence"]["face"]["face_match"] is False
    assert "image" not in json.dumps(referral.data)
    board = gate.rig.io_board.state()
    assert board.coils["exit_lock"] is False and board.coils["entry_lock"] is True
    result = ctl.command("refuse", actor="officer-12", role="officer", reason="face does not match")
    assert result.accepted and ctl.wait_for_state("idle", timeout=5)
    actions = [r["body"] for r in gate.audit_records() if r["kind"] == "action"]
    assert actions[-1]["actor"] == "officer-12" and actions[-1]["reason"] == "face does not match"
    assert gate.closed(referral.data["transaction"])["decision"] == "refuse"


def test_fire_alarm_mid_transaction_releases_every_door(gate: Gate) -> None:
    ctl = gate.start_controller()
    gate.traveller(TRAVELLER, staying=True)
    assert ctl.wait_for_state("capturing_face", "verifying_face", "checking_lists", "exit_open", timeout=30)
    gate.rig.io_board.fire_alarm(True)
    board = gate.rig.io_board.wait_for(lambda s: s.coils["entry_lock"] and s.coils["exit_lock"], 2)
    assert board.fire_alarm
    assert ctl.wait_for_state("emergency", timeout=2)
    assert not ctl.command("door", "tech-1", "technician", "test", door="exit", release=False).accepted
    gate.rig.io_board.fire_alarm(False)
    assert ctl.wait_for_state("idle", timeout=3)
    gate.rig.io_board.wait_for(lambda s: not s.coils["exit_lock"], 2)
    closes = [r["body"] for r in gate.audit_records() if r["kind"] == "transaction_close"]
    assert closes[-1]["decision"] == "interrupted"


def test_two_step_second_person_in_the_mantrap_is_referred(gate: Gate) -> None:
    gate.cfg.gate.mode = "two-step"
    ctl = gate.start_controller()
    with ctl.events.subscribe(["referral"]) as sub:
        gate.rig.io_board.tailgate()  # two people close together at the entry door
        gate.rig.present_passport(person=TRAVELLER)
        referral = sub.wait_for(lambda e: True, 40)
    assert referral is not None
    assert "second_person_entering" in [r["code"] for r in referral.data["reasons"]]
    board = gate.rig.io_board.state()
    assert board.beam_breaks == 2 and not board.coils["exit_lock"] and board.doors["exit"]["locked"]


def test_io_link_lost_takes_the_gate_out_of_service_until_it_returns(gate: Gate) -> None:
    ctl = gate.start_controller()
    link = gate.rig.io_board.link
    with ctl.events.subscribe(["state", "device"]) as sub:
        link.unplug()
        out = sub.wait_for(lambda e: e.kind == "state" and e.data["state"] == "out_of_service", 10)
        assert out is not None and out.data["problem"] == "io_not_answering"
        link.plug()
        assert sub.wait_for(lambda e: e.kind == "state" and e.data["state"] == "idle", 10) is not None
    # the doors are written again once the board answers
    gate.rig.io_board.wait_for(lambda s: s.coils["entry_lock"] and not s.coils["exit_lock"], 3)


def test_restart_after_a_crash_closes_the_interrupted_transaction_with_doors_safe(gate: Gate) -> None:
    env = {**os.environ, **gate.env}
    proc = subprocess.Popen([sys.executable, "-m", "gatectl.cli", "run", "--config", "builtin:simulated"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        board = gate.rig.io_board
        board.wait_for(lambda s: s.coils["entry_lock"], 30)  # the controller is up: doors written
        gate.traveller(TRAVELLER, staying=True)
        board.wait_for(lambda s: s.coils["exit_lock"], 40)  # exit open, traveller still inside
    except TimeoutError:
        proc.send_signal(signal.SIGKILL)
        pytest.fail("the gate did not open: " + proc.communicate(timeout=10)[0][-20000:])
    proc.send_signal(signal.SIGKILL)
    output = proc.communicate(timeout=10)[0]
    assert "Traceback" not in output, output
    from gatectl.audit import AuditLog

    with AuditLog(gate.cfg.audit.path, gate.cfg.audit.load_key()) as log:
        interrupted = log.open_transactions()
    assert len(interrupted) == 1
    assert gate.rig.io_board.state().coils["exit_lock"] is True  # nobody locked it: the process died
    ctl = gate.start_controller()
    assert not gate.rig.io_board.state().coils["exit_lock"]
    assert gate.closed(interrupted[0])["decision"] == "interrupted"
    assert ctl.state == "idle"


def test_bad_input_gives_reasons_and_safe_states(gate: Gate, caplog: pytest.LogCaptureFixture) -> None:
    ctl = gate.start_controller()
    rig = gate.rig
    with ctl.events.subscribe() as sub:
        # garbage from the MRZ reader: the kiosk asks to scan again, nothing else happens
        rig.mrz.present(["P<UTOGARBAGE<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "1234567890<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"])
        assert sub.wait_for(lambda e: e.kind == "instruction" and e.data["key"] == "rescan_passport", 5)
        assert ctl.state == "idle"
        # a Modbus CRC storm: the driver retries; past its budget the gate is out of service, then back
        rig.io_board.link.corrupt_responses(40)
        lost = sub.wait_for(lambda e: e.kind == "state" and e.data["state"] == "out_of_service", 10)
        assert lost is not None and lost.data["problem"] == "io_not_answering"
        assert sub.wait_for(lambda e: e.kind == "state" and e.data["state"] == "idle", 20)
        # a card pulled in the middle of DG2: re-place the passport
        rig.io_board.person_enters(stop_at="inside")
        rig.present_passport(person=TRAVELLER, faults=["remove:2:2000"])
        assert sub.wait_for(lambda e: e.kind == "instruction" and e.data["key"] == "replace_passport", 30)
        # ... and then it is a cloned chip: the chip fails to prove its key, the traveller is referred
        rig.remove_passport()
        time.sleep(1.0)  # pcscd sees the card leave at its next poll
        rig.present_passport(person=TRAVELLER, faults=["cloned"])
        referral = sub.wait_for(lambda e: e.kind == "referral", 40)
    assert referral is not None, [(e.kind, e.data) for e in ctl.events.recent() if e.kind != "door"][-25:]
    assert "chip_authenticity_failed" in {r["code"] for r in referral.data["reasons"]}
    assert referral.data["evidence"]["document"]["chip_authenticity"] == "failed"
    assert not rig.io_board.state().coils["exit_lock"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("gatectl")]
