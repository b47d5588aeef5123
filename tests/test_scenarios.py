"""Every built-in traveller scenario, played through the real controller on the simulated gate (pcscd + vpcd on
this run's slot, Modbus RTU pty, MJPEG camera, MRZ pty), with one rig for the module; plus the scenario file
format and the ``egate rig run`` command line. ``controller_restart`` runs ``egate run`` as a process and kills
it (marked slow: about 5 s of the module's ~60 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import VPCD_SLOT, shared_data

from hardware_mocks.scenarios.model import (
    ScenarioError,
    builtin,
    builtin_names,
    load_scenario,
    resolve_date,
    scenario_from_data,
)

REPO = Path(__file__).resolve().parent.parent
BUILTIN = builtin_names()
SLOW = {name for name in BUILTIN if builtin(name).slow}


def test_every_scenario_of_the_issue_is_built_in() -> None:
    assert set(BUILTIN) == {
        "genuine_traveller", "impostor", "expired_document", "altered_data_group", "cloned_chip",
        "stolen_document", "watchlist_transliterated", "trusted_traveller", "minor", "tailgating",
        "guidance_then_success", "print_attack", "replay_attack", "camera_drop", "card_pulled", "fire_alarm",
        "controller_restart", "modbus_link_lost"}


def test_a_bad_scenario_file_names_every_problem_by_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('colour = "red"\nmode = "three-step"\n[traveller]\nwalk = "fly"\n'
                    '[traveller.passport]\neye_colour = "blue"\n[[steps]]\nwhen = "later"\naction = "dance"\n'
                    '[expect]\noutcome = "maybe"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    for key in ("colour", "mode", "traveller.walk", "traveller.passport.eye_colour", "steps[0].when",
                "steps[0].action", "expect.outcome"):
        assert key in text, key
    (tmp_path / "broken.toml").write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(tmp_path / "broken.toml")


def test_relative_dates_and_defaults() -> None:
    import datetime as dt

    day = dt.date(2026, 12, 1)
    assert resolve_date("-12y", day) == "2014-12-01"
    assert resolve_date("+30d", day) == "2026-12-31"
    assert resolve_date("1961-04-12", day) == "1961-04-12"
    s = scenario_from_data({"expect": {"outcome": "admit"}, "traveller": {"passport": {"expiry_date": "-1y"}}},
                           "inline")
    assert s.person == "Colin_Powell" and s.walk == "through" and s.mode == "one-step"
    assert s.passport_fields(day) == {"expiry_date": "2025-12-01"}


class _Gate:
    def __init__(self, gate: Any) -> None:
        from hardware_mocks.scenarios.runner import ScenarioRunner

        self.gate = gate
        self.runner = ScenarioRunner(gate)


@pytest.fixture(scope="module")
def scenario_gate(tmp_path_factory: pytest.TempPathFactory, pcscd: None) -> Iterator[_Gate]:
    shared_data("lfw", "images", "Colin_Powell")
    from hardware_mocks.scenarios.gate import ScenarioGate

    gate = ScenarioGate(tmp_path_factory.mktemp("rig"), VPCD_SLOT).start()
    try:
        g = _Gate(gate)
        g.runner.prepare([builtin(n) for n in BUILTIN])
        yield g
    finally:
        gate.stop()


@pytest.mark.pcsc
def test_rig_run_command_plays_a_scenario_file(tmp_path: Path, pcscd: None) -> None:
    """Runs before the module's rig starts: the command brings up its own on the same reader slot."""
    shared_data("lfw", "images", "Colin_Powell")
    path = tmp_path / "mine.toml"
    path.write_text('name = "my_minor"\n[traveller]\nperson = "Colin_Powell"\nportrait_image = 2\nwalk = "stay"\n'
                    '[traveller.passport]\nbirth_date = "-10y"\n[expect]\noutcome = "admit"\n')
    env = {**os.environ, "EGATE_VPCD_SLOT": str(VPCD_SLOT)}
    proc = subprocess.run([sys.executable, "-m", "gatectl.cli", "rig", "run", "--file", str(path), "--json",
                           "--dir", str(tmp_path / "rig")], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr[-3000:]  # the file expects admit; a ten-year-old is referred
    (result,) = json.loads(proc.stdout)["scenarios"]
    assert result["name"] == "my_minor" and not result["passed"]
    assert result["expected"] == "admit" and result["outcome"] == "refer" and "minor" in result["reasons"]
    assert set(result) >= {"name", "passed", "expected", "outcome", "reasons", "timings", "total_s", "doors",
                           "audit_id"}
    assert result["doors"]["exit"] == "locked" and len(result["audit_id"]) == 32


@pytest.mark.pcsc
def test_bench_gate_times_a_traveller_from_passport_to_open_exit(tmp_path: Path, pcscd: None) -> None:
    """What the benchmark reports (its figures are in docs/benchmarks.md, not asserted here)."""
    shared_data("lfw", "images", "Colin_Powell")
    from hardware_mocks.scenarios.bench import Latencies, bench_gate

    lat = Latencies(apdu_s=0.005, crypto_s=0.01, mrz_s=0.1, door_open_s=0.2, door_close_s=0.2, walk_s=0.2,
                    place_s=0.1)
    result = bench_gate(1, lat, rig_dir=tmp_path / "rig", slot=VPCD_SLOT)
    assert result["travellers"] == result["admitted"] == 1
    assert 0 < result["median_s"] <= result["p95_s"] < 30
    assert result["travellers_per_hour"] > 0 and result["steps_median_s"]["reading_chip"] > 0
    assert result["latencies"]["walk_s"] == 0.2


@pytest.mark.pcsc
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in BUILTIN])
def test_builtin_scenario(scenario_gate: _Gate, name: str) -> None:
    result = scenario_gate.runner.run(builtin(name))
    assert result["passed"], json.dumps(result, indent=2)
    assert result["audit_id"] and result["total_s"] is not None
    if result["outcome"] == "admit":
        assert result["doors"]["exit"] == "released" and result["timings"].get("reading_chip", 0) > 0
    if name == "fire_alarm":
        assert result["timings"]["alarm_to_doors_released"] <= 0.1
