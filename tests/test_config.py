"""Configuration: the built-in simulated gate loads; every kind of mistake is named with its key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatectl.config import ConfigError, load_config, parse_config


def test_builtin_simulated_gate_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGATE_RIG_DIR", "/tmp/rig-x")
    cfg = load_config()
    assert cfg.gate.id == "SIM-01"
    assert cfg.devices.io.url.startswith("modbus-rtu:///tmp/rig-x/io-board")
    assert cfg.devices.io.inputs["fire_alarm_loop"] == 6
    assert cfg.timeouts.face_capture_s == 7.0


def problems_of(text: str, base: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "t.toml", base)
    return info.value.problems


def test_unknown_key_named_with_alternatives() -> None:
    (p,) = problems_of("[gate]\nmdoe = 'one-step'\n")
    assert p.startswith("gate.mdoe: unknown key") and "mode" in p


def test_wrong_types_all_reported() -> None:
    probs = problems_of(
        "[gate]\nmode = 'three-step'\n[devices.io]\ntimeout_s = 'fast'\nretries = 2.5\n[ui]\nport = 'x'\n"
    )
    assert any(p.startswith("gate.mode: expected one of 'one-step', 'two-step'") for p in probs)
    assert "devices.io.timeout_s: expected a number, got string 'fast'" in probs
    assert "devices.io.retries: expected an integer, got number 2.5" in probs
    assert any(p.startswith("ui.port: expected an integer") for p in probs)


def test_missing_path_reported_relative_to_file(tmp_path: Path) -> None:
    (tmp_path / "ml").mkdir()
    cfg = parse_config("[trust]\npaths = ['ml']\n", "t.toml", tmp_path)
    assert cfg.trust.paths[0] == tmp_path / "ml"
    (p,) = problems_of("[lists]\nwatchlist = 'nope.csv'\n", tmp_path)
    assert p.startswith("lists.watchlist: path") and "does not exist" in p


def test_io_map_semantics() -> None:
    probs = problems_of("[devices.io.coils]\nentry_lock = 0\nexit_lock = 0\n")
    assert any("two names share one address" in p for p in probs)
    probs = problems_of("[devices.io.inputs]\nentry_door_closed = 0\n")
    assert any(p.startswith("devices.io.inputs: missing") and "fire_alarm_loop" in p for p in probs)


def test_env_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER", "ACS 00")
    cfg = parse_config("[devices.reader]\nurl = 'pcsc://${READER}'\n[devices.mrz]\nurl='${NOPE:-x}'\n")
    assert cfg.devices.reader.url == "pcsc://ACS 00" and cfg.devices.mrz.url == "x"
    monkeypatch.delenv("NOPE", raising=False)
    (p,) = problems_of("[devices.mrz]\nurl='${NOPE}'\n")
    assert p == "devices.mrz.url: environment variable NOPE is not set"


def test_not_toml() -> None:
    (p,) = problems_of("[gate\n")
    assert p.startswith("not valid TOML")


def test_cli_rejects_invalid_config_without_touching_devices(tmp_path: Path) -> None:
    bad = tmp_path / "gate.toml"
    bad.write_text("[devices.io]\nurl = 'modbus-rtu:///dev/ttyS99'\ntimeout_s = -1\n[gate]\nid = 3\n")
    out = subprocess.run(
        [sys.executable, "-m", "gatectl.cli", "diag", "--config", str(bad)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "devices.io.timeout_s: expected a number >= 0" in out.stderr
    assert "gate.id: expected a string, got integer 3" in out.stderr
    assert "ttyS99" not in out.stdout  # nothing was opened or reported


def test_cli_missing_file(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gatectl.cli", "diag", "--config", str(tmp_path / "none.toml")],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2 and "cannot read the file" in out.stderr
