"""Configuration: the built-in simulated gate loads; every kind of mistake is named with its key."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biometrics.settings import BiometricSettings
from gatectl.config import ConfigError, GateConfig, config_from_data, load_config, parse_config
from gatectl.machine import Retries, Timeouts
from gatectl.policy import PolicySettings

HOSTILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "hostile"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
KEY = "00112233445566778899aabbccddeeff"
# What every real gate needs besides the defaults: trust material and the audit key.
ESSENTIALS = f"[trust]\npaths = ['.']\n[audit]\nkey = '{KEY}'\n"


def test_builtin_simulated_gate_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGATE_RIG_DIR", "/tmp/rig-x")
    cfg = load_config()
    assert cfg.source == "builtin:simulated" and cfg.gate.simulated
    assert cfg.gate.id == "SIM-01"
    assert cfg.devices.io.url.startswith("modbus-rtu:///tmp/rig-x/io-board")
    assert cfg.devices.io.inputs["fire_alarm_loop"] == 6
    assert cfg.timeouts.face_capture_s == 7.0 and cfg.retries.document == 2
    assert cfg.trust.paths == [Path("/tmp/rig-x/trust")]
    assert cfg.audit.key_file == Path("/tmp/rig-x/audit.key") and cfg.audit.generate_key
    assert cfg.lists.db == Path("/tmp/rig-x/lists.sqlite")


def test_sections_are_their_modules_own_classes() -> None:
    cfg = parse_config(ESSENTIALS + "[timeouts]\nchip_read_s = 12\n[retries]\nface = 1\n")
    assert type(cfg.biometrics) is BiometricSettings and cfg.biometrics == BiometricSettings()
    assert type(cfg.timeouts) is Timeouts and cfg.timeouts.chip_read_s == 12.0
    assert type(cfg.retries) is Retries and cfg.retries == Retries(face=1)
    assert type(cfg.policy) is PolicySettings and cfg.policy == PolicySettings()


def test_policy_problems_by_key() -> None:
    probs = problems_of(
        "[policy]\nminimum_age = -1\n[policy.on_failure]\nminor = 'ignore'\nbogus = 'refer'\n"
        "[[policy.rules]]\nname = 'r'\nwhen = { issuer = ['D'], colour = 'red' }\n"
    )
    assert "policy.minimum_age: expected a number >= 0, got -1" in probs
    assert "policy.on_failure.minor: expected one of 'refer', 'refuse', got string 'ignore'" in probs
    assert any(p.startswith("policy.on_failure.bogus: unknown key (expected one of: ") for p in probs)
    assert any(p.startswith("policy.rules[0].when.colour: unknown key (expected one of: issuer,") for p in probs)
    assert len(probs) == 4


def problems_of(text: str, base: Path | None = None, essentials: bool = True) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config((ESSENTIALS if essentials else "") + text, "t.toml", base)
    return info.value.problems


def test_unknown_key_named_with_alternatives() -> None:
    (p,) = problems_of("[gate]\nmdoe = 'one-step'\n")
    assert p.startswith("gate.mdoe: unknown key") and "mode" in p
    (p,) = problems_of("[biometrics]\nframes = 3\n")
    assert p.startswith("biometrics.frames: unknown key") and "frames_kept" in p


def test_wrong_types_all_reported() -> None:
    probs = problems_of(
        "[gate]\nmode = 'three-step'\n[devices.io]\ntimeout_s = 'fast'\nretries = 2.5\n[ui]\nport = 'x'\n"
        "[biometrics]\nmatch_threshold = '0.5'\n"
    )
    assert "gate.mode: expected one of 'one-step', 'two-step', got string 'three-step'" in probs
    assert "devices.io.timeout_s: expected a number, got string 'fast'" in probs
    assert "devices.io.retries: expected an integer, got number 2.5" in probs
    assert "ui.port: expected an integer, got string 'x'" in probs
    assert "biometrics.match_threshold: expected a number, got string '0.5'" in probs
    assert len(probs) == 5


def test_ranges_all_reported() -> None:
    probs = problems_of(
        "[timeouts]\nchip_read_s = 0\ndocument_s = -1\nface_capture_s = nan\nofficer_s = inf\n"
        "[retries]\ndocument = -1\n[devices.io]\nretries = -2\npoll_interval_s = 0.0\n"
        "[biometrics]\nframes_kept = -1\npad_threshold = 1.5\n[lists]\nwatchlist_threshold = 0\n"
    )
    assert probs == [
        "devices.io.retries: expected a number >= 0, got -2",
        "devices.io.poll_interval_s: expected a number > 0, got 0.0",
        "timeouts.document_s: expected a number > 0, got -1",
        "timeouts.chip_read_s: expected a number > 0, got 0",
        "timeouts.face_capture_s: expected a finite number, got number nan",
        "timeouts.officer_s: expected a finite number, got number inf",
        "retries.document: expected a number >= 0, got -1",
        "biometrics.pad_threshold: expected a number <= 1, got 1.5",
        "biometrics.frames_kept: expected a number >= 1, got -1",
        "lists.watchlist_threshold: expected a number > 0, got 0",
    ]
    (p,) = problems_of("[biometrics]\nmin_face_luma = 200\nmax_face_luma = 60\n")
    assert p == "biometrics: min_face_luma (200) must be below max_face_luma (60)"


def test_paths_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "ml").mkdir()
    cfg = parse_config(f"[trust]\npaths = ['ml']\n[audit]\nkey = '{KEY}'\npath = 'a.sqlite'\n", "t.toml", tmp_path)
    assert cfg.trust.paths == [tmp_path / "ml"] and cfg.audit.path == tmp_path / "a.sqlite"
    (p,) = problems_of("[trust]\npaths = ['nope.ml']\n", tmp_path, essentials=False)[:1]
    assert p == f"trust.paths[0]: path {str(tmp_path / 'nope.ml')!r} does not exist"


def test_gate_without_trust_paths_is_rejected() -> None:
    audit = f"[audit]\nkey = '{KEY}'\n"
    (p,) = problems_of(audit, essentials=False)
    assert p.startswith("trust.paths: required key missing: a gate needs at least one trust path")
    (p,) = problems_of(audit + "[trust]\npaths = []\n", essentials=False)
    assert p.startswith("trust.paths: expected at least 1 entry")


def test_unverified_master_lists_allowed_only_among_trust_paths(tmp_path: Path) -> None:
    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "XX.ml").write_bytes(b"")
    (tmp_path / "other.ml").write_bytes(b"")
    base = f"[audit]\nkey = '{KEY}'\n[trust]\npaths = ['ml']\n"
    cfg = parse_config(base + "allow_unverified_master_lists = ['ml/XX.ml']\n", "t.toml", tmp_path)
    assert cfg.trust.allow_unverified_master_lists == [tmp_path / "ml" / "XX.ml"]
    (p,) = problems_of(base + "allow_unverified_master_lists = ['other.ml']\n", tmp_path, essentials=False)
    assert p.startswith("trust.allow_unverified_master_lists:") and "not among trust.paths" in p


def test_trust_store_from_the_section(tmp_path: Path) -> None:
    from hardware_mocks.emrtd.pki import make_test_pki

    make_test_pki("UT").write_trust_store(tmp_path / "trust")
    cfg = parse_config(f"[trust]\npaths = ['trust']\n[audit]\nkey = '{KEY}'\n", "t.toml", tmp_path)
    store = cfg.trust.open_store()
    assert len(store.cscas) == 1


def test_audit_key_rules(tmp_path: Path) -> None:
    trust = "[trust]\npaths = ['.']\n"
    (p,) = problems_of(trust, tmp_path, essentials=False)
    assert p.startswith("audit: a key for the hashes of document numbers is needed")
    (p,) = problems_of(trust + "[audit]\nkey = 'abcd'\n", tmp_path, essentials=False)
    assert p == "audit.key: the audit key has 2 bytes; at least 16 are needed"
    (p,) = problems_of(trust + "[audit]\nkey_file = 'k'\ngenerate_key = true\n", tmp_path, essentials=False)
    assert p.startswith("audit: generate_key is for the simulated gate only")
    (p,) = problems_of(trust + "[audit]\nkey_file = 'k'\n", tmp_path, essentials=False)
    assert p.startswith("audit: cannot read the audit key file") and "No such file" in p
    (tmp_path / "k").write_text(KEY + "\n")
    cfg = parse_config(trust + "[audit]\nkey_file = 'k'\n", "t.toml", tmp_path)
    assert cfg.audit.load_key() == bytes.fromhex(KEY)
    assert KEY not in repr(parse_config(ESSENTIALS))


def test_simulated_gate_generates_its_audit_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGATE_RIG_DIR", str(tmp_path / "run"))
    cfg = load_config()
    key = cfg.audit.load_key()
    assert len(key) == 32 and cfg.audit.load_key() == key
    assert stat.S_IMODE((tmp_path / "run" / "audit.key").stat().st_mode) == 0o600


def test_io_map_semantics() -> None:
    probs = problems_of("[devices.io.coils]\nentry_lock = 0\nexit_lock = 0\n")
    assert any(p.startswith("devices.io.coils: two names share one address") for p in probs)
    probs = problems_of("[devices.io.inputs]\nentry_door_closed = 0\n")
    assert any(p.startswith("devices.io.inputs: missing") and "fire_alarm_loop" in p for p in probs)
    (p,) = problems_of("[devices.io.coils]\nentry_lock = 0\nexit_lock = 70000\n")
    assert p == "devices.io.coils.exit_lock: expected a number <= 65535, got 70000"


def test_env_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER", "ACS 00")
    monkeypatch.setenv("EGATE_TEST_KEY", KEY)
    cfg = parse_config(
        "[devices.reader]\nurl = 'pcsc://${READER}'\n[devices.mrz]\nurl='${NOPE:-x}'\n"
        "[trust]\npaths = ['.']\n[audit]\nkey = '${EGATE_TEST_KEY}'\n"
    )
    assert cfg.devices.reader.url == "pcsc://ACS 00" and cfg.devices.mrz.url == "x"
    assert cfg.audit.key == bytes.fromhex(KEY)
    monkeypatch.delenv("NOPE", raising=False)
    (p,) = problems_of("[devices.mrz]\nurl='${NOPE}'\n")
    assert p == "devices.mrz.url: environment variable NOPE is not set"


def test_not_toml() -> None:
    (p,) = problems_of("[gate\n", essentials=False)
    assert p.startswith("not valid TOML")
    (p,) = problems_of("a = " + "[" * 20 + "]" * 20 + "\n", essentials=False)
    assert p == "a: tables and arrays nested deeper than 16 levels"


def hostile(name: str, tmp_path: Path) -> Path:
    path = tmp_path / "gate.toml"
    path.write_bytes(bytes.fromhex((HOSTILE / name).read_text().strip()))
    return path


def load_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


@pytest.mark.lfw
def test_hostile_configs_end_in_config_error(tmp_path: Path) -> None:
    assert load_problems(hostile("config_crash4_UnicodeDecodeError.hex", tmp_path)) == [
        "not UTF-8 text (byte 0x97 at offset 0)"
    ]
    for name in ("config_crash1_RecursionError.hex", "config_crash2_RecursionError.hex"):
        assert load_problems(hostile(name, tmp_path)) == ["not valid TOML: tables or arrays nested too deeply"]
    probs = load_problems(hostile("config_crash0_OSError.hex", tmp_path))
    assert probs[0].startswith("trust.paths[0]: path") and "is too long" in probs[0]
    # The ~nosuchuser seed used a key that no longer exists; its value under today's path keys:
    path = hostile("config_crash3_RuntimeError.hex", tmp_path)
    assert any(p.startswith("lists.sltd: unknown key") for p in load_problems(path))
    value = path.read_text().split("=", 1)[1]
    path.write_text(f"[trust]\npaths = [{value}]\n[lists]\ndb = {value}\n[audit]\nkey_file = {value}\n")
    assert load_problems(path) == [
        f"{key}: cannot expand '~nosuchuser/ml': there is no user 'nosuchuser'"
        for key in ("trust.paths[0]", "lists.db", "audit.key_file")
    ]


def test_unreadable_files(tmp_path: Path) -> None:
    assert load_problems(tmp_path) == ["cannot read the file: Is a directory"]
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (2 << 20))
    assert load_problems(big) == ["the file is larger than 1024 KiB"]


def test_docs_name_every_key() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = []
    for section, field in GateConfig.model_fields.items():
        names = _keys(field.annotation)
        missing += [f"{section}.{n}" for n in names if f"`{section}.{n}`" not in text]
    assert not missing, f"docs/configuration.md does not describe {missing}"


def _keys(tp: object) -> list[str]:
    import dataclasses

    if dataclasses.is_dataclass(tp):
        return [f.name for f in dataclasses.fields(tp)]
    fields = getattr(tp, "model_fields", {})
    out = []
    for name, field in fields.items():
        sub = _keys(field.annotation)
        out += [f"{name}.{s}" for s in sub] if sub else [name]
    return out


def test_cli_rejects_invalid_config_without_touching_devices(tmp_path: Path) -> None:
    bad = tmp_path / "gate.toml"
    bad.write_text("[devices.io]\nurl = 'modbus-rtu:///dev/ttyS99'\ntimeout_s = -1\n[gate]\nid = 3\n")
    out = subprocess.run(
        [sys.executable, "-m", "gatectl.cli", "diag", "--config", str(bad)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "devices.io.timeout_s: expected a number > 0, got -1" in out.stderr
    assert "gate.id: expected a string, got integer 3" in out.stderr
    assert "trust.paths: required key missing" in out.stderr
    assert "ttyS99" not in out.stdout  # nothing was opened or reported


def test_cli_missing_file(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gatectl.cli", "diag", "--config", str(tmp_path / "none.toml")],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2 and "cannot read the file" in out.stderr


def test_cli_reports_a_configuration_error_from_any_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gatectl.commands.diag as diag
    from gatectl.cli import main

    def broken(args: object) -> int:
        raise ConfigError("x.toml", ["gate.id: expected a string, got integer 3"])

    monkeypatch.setattr(diag, "run", broken)
    assert main(["diag"]) == 2
    assert "x.toml: invalid configuration\n  - gate.id: expected a string" in capsys.readouterr().err


# -- fuzzing: any input ends in a configuration or ConfigError -------------------------------------------

def _all_names() -> list[str]:
    names: set[str] = set()
    for section, field in GateConfig.model_fields.items():
        names.add(section)
        for key in _keys(field.annotation):
            names.update(key.split("."))
    return sorted(names)


_SCALARS = (
    st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["~nosuchuser/x", "b" * 300, "${NOPE_EGATE}", ".", "a\0b", "P", "D<<", "refer"])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_all_names()) | st.text(max_size=8),
                                                                 inner, max_size=4),
    max_leaves=25,
)


@given(st.dictionaries(st.sampled_from(_all_names()), _VALUES, max_size=6))
def test_fuzz_any_structure_ends_in_config_or_config_error(data: dict) -> None:
    try:
        config_from_data(data, "fuzz", Path("/nonexistent-egate"))
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@given(st.text(max_size=200) | st.sampled_from(["a = " + "[" * 40 + "]" * 40, "[gate]\nid = 'x'\n" * 2]))
def test_fuzz_any_text_ends_in_config_or_config_error(text: str) -> None:
    try:
        parse_config(text, "fuzz", Path("/nonexistent-egate"))
    except ConfigError as exc:
        assert exc.problems
