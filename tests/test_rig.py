"""The whole simulated gate: `egate diag` against it over the real protocols, and `egate rig up/down`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware_mocks.rig import RigOptions, SimulatedGate

pytestmark = pytest.mark.pcsc


def egate(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gatectl.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env})


@pytest.fixture
def rig(tmp_path: Path, pcscd: None, vpcd_slot: int) -> Iterator[tuple[SimulatedGate, dict[str, str]]]:
    gate = SimulatedGate(RigOptions(rig_dir=tmp_path / "rig", camera_port=0, control_port=0,
                                    vpcd_slot=vpcd_slot)).start()
    assert gate.camera is not None
    env = {"EGATE_RIG_DIR": str(tmp_path / "rig"), "EGATE_CAMERA_PORT": str(gate.camera.port)}
    try:
        yield gate, env
    finally:
        gate.stop()


def control(gate: SimulatedGate, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{gate.control_port}{path}", method=method,
                                 data=json.dumps(body or {}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def test_diag_all_devices_healthy_then_camera_fault(
    rig: tuple[SimulatedGate, dict[str, str]], vpcd_slot: int
) -> None:
    gate, env = rig
    if vpcd_slot:
        pytest.skip("the built-in configuration names slot 0's reader")
    from devices.pcsc_reader import PcscReader

    with PcscReader("pcsc://Virtual PCD 00 00") as reader:
        # pcscd sees cards come and go at its next poll (~0.4 s): start from an empty reader, so that the
        # card waited for is this test's and not the last one of an earlier test
        assert reader.wait_for_removal(10)
        control(gate, "POST", "/passport", {"doc": "sample"})
        assert reader.wait_for_card(10)
    out = egate("diag", "--json", env=env)
    report = json.loads(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    by_kind = {d["device"]: d for d in report["devices"]}
    assert set(by_kind) == {"reader", "io", "camera", "mrz"}
    assert by_kind["reader"]["metrics"]["card_present"] is True
    assert by_kind["camera"]["metrics"]["fps"] > 0
    assert by_kind["io"]["metrics"]["requests"] >= 1
    assert gate.camera is not None
    gate.camera.stop()
    out = egate("diag", "--json", "--device", "camera", "--device", "io", env=env)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert [d["ok"] for d in report["devices"]] == [True, False]


def test_control_api_plays_a_traveller(rig: tuple[SimulatedGate, dict[str, str]]) -> None:
    gate, _ = rig
    status = control(gate, "GET", "/status")
    assert status["reader"]["inserted"] is False
    answer = control(gate, "POST", "/passport", {"doc": "sample"})
    assert len(answer["mrz"]) == 2 and answer["mrz"][0].startswith("P<D<<")
    assert control(gate, "GET", "/status")["reader"]["inserted"] is True
    control(gate, "DELETE", "/passport")
    assert control(gate, "GET", "/status")["reader"]["inserted"] is False
    generated = control(gate, "POST", "/passport", {"person": "Hans_Blix"})
    assert generated["passport"] == "generated:Hans_Blix" and generated["mrz"][0].startswith("P<UTOBLIX<<HANS")
    assert (Path(generated["trust"]) / "UT_CSCA.cer").is_file()
    with pytest.raises(urllib.error.HTTPError) as err:
        control(gate, "POST", "/passport", {"person": "Nobody_Here"})
    assert err.value.code == 400
    assert control(gate, "POST", "/camera", {"scenario": "approach"})["scenario"] == "approach"
    assert "walker" in control(gate, "POST", "/io", {"command": "enter entry"})["answer"]
    with pytest.raises(urllib.error.HTTPError) as err:
        control(gate, "POST", "/camera", {"scenario": "no-such-scenario"})
    assert err.value.code == 400


def test_rig_up_and_down_cli(tmp_path: Path, pcscd: None, vpcd_slot: int) -> None:
    if vpcd_slot:
        pytest.skip("`egate rig up` uses slot 0")
    rig_dir = tmp_path / "bg"
    env = {"EGATE_RIG_DIR": str(rig_dir)}
    up = egate("rig", "up", env=env)
    try:
        assert up.returncode == 0, up.stderr
        assert "simulated gate up" in up.stdout
        assert (rig_dir / "io-board").exists() and (rig_dir / "mrz-reader").exists()
        status = egate("rig", "status", env=env)
        assert json.loads(status.stdout)["running"] is True
        again = egate("rig", "up", env=env)
        assert again.returncode == 1 and "already runs" in again.stderr
    finally:
        down = egate("rig", "down", env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not (rig_dir / "io-board").exists()
    assert egate("rig", "status", env=env).returncode == 1
