"""Gate configuration: one TOML file, validated before any device is touched.

The ``[biometrics]`` section is :class:`biometrics.settings.BiometricSettings` itself, so its keys and
defaults live in one place. Every problem is reported with the key's dotted name and what was expected; all of them at once, so a
technician fixes a file in one pass. Strings may use ``${VAR}`` or ``${VAR:-default}`` from the
environment (the simulated gate uses it for its run directory). Relative paths are taken from the
configuration file's folder.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from biometrics.settings import BiometricSettings

BUILTIN_SIMULATED = "builtin:simulated"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid configuration\n" + "\n".join(f"  - {p}" for p in problems))


class ExistingPath(type(Path())):  # type: ignore[misc]
    """A path that must exist when the configuration is loaded."""


def _default_coils() -> dict[str, int]:
    return {"entry_lock": 0, "exit_lock": 1, "light_green": 2, "light_red": 3, "buzzer": 4}


def _default_inputs() -> dict[str, int]:
    return {
        "entry_door_closed": 0,
        "exit_door_closed": 1,
        "presence_entry": 2,
        "presence_inside": 3,
        "presence_exit": 4,
        "tailgating_beam": 5,
        "fire_alarm_loop": 6,
    }


@dataclass
class GateSection:
    id: str = "gate-1"
    mode: Literal["one-step", "two-step"] = "one-step"
    location: str = ""


@dataclass
class ReaderSection:
    url: str = "pcsc://Virtual PCD 00 00"
    timeout_s: float = 5.0


@dataclass
class IoSection:
    url: str = "modbus-rtu:///dev/ttyUSB0?baud=19200&unit=1"
    timeout_s: float = 0.5
    retries: int = 3
    poll_interval_s: float = 0.1
    coils: dict[str, int] = field(default_factory=_default_coils)
    inputs: dict[str, int] = field(default_factory=_default_inputs)


@dataclass
class CameraSection:
    url: str = "camera://0"
    timeout_s: float = 5.0


@dataclass
class MrzSection:
    url: str = "mrz-serial:///dev/ttyACM0?baud=9600"
    timeout_s: float = 5.0


@dataclass
class DevicesSection:
    reader: ReaderSection = field(default_factory=ReaderSection)
    io: IoSection = field(default_factory=IoSection)
    camera: CameraSection = field(default_factory=CameraSection)
    mrz: MrzSection = field(default_factory=MrzSection)


@dataclass
class TimeoutsSection:
    document_s: float = 30.0
    chip_read_s: float = 15.0
    face_capture_s: float = 7.0
    face_capture_pad_s: float = 10.0
    exit_pass_s: float = 20.0
    door_s: float = 5.0
    officer_s: float = 300.0


@dataclass
class TrustSection:
    paths: list[ExistingPath] = field(default_factory=list)


@dataclass
class ListsSection:
    watchlist: ExistingPath | None = None
    sltd: ExistingPath | None = None
    trusted_travellers: ExistingPath | None = None


@dataclass
class UiSection:
    host: str = "127.0.0.1"
    port: int = 8080
    languages: list[str] = field(default_factory=lambda: ["en"])


@dataclass
class AuditSection:
    path: str = "egate-audit.sqlite"


@dataclass
class Config:
    gate: GateSection = field(default_factory=GateSection)
    devices: DevicesSection = field(default_factory=DevicesSection)
    timeouts: TimeoutsSection = field(default_factory=TimeoutsSection)
    biometrics: BiometricSettings = field(default_factory=BiometricSettings)
    trust: TrustSection = field(default_factory=TrustSection)
    lists: ListsSection = field(default_factory=ListsSection)
    ui: UiSection = field(default_factory=UiSection)
    audit: AuditSection = field(default_factory=AuditSection)
    source: str = field(default="", metadata={"internal": True})


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: str, key: str, problems: list[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        problems.append(f"{key}: environment variable {name} is not set")
        return ""

    return _ENV.sub(sub, value)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is float:
        return "a number"
    if tp is int:
        return "an integer"
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    if tp is ExistingPath:
        return "a path to an existing file or folder"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict:
        return "a table of names to integers"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _describe(value: Any) -> str:
    kind = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "table"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}"


def _convert(tp: Any, value: Any, key: str, base: Path, problems: list[str]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value, key, base, problems)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{key}: expected a table, got {_describe(value)}")
            return tp()
        return _build(tp, value, key, base, problems)
    if origin is Literal:
        if value not in typing.get_args(tp):
            problems.append(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
        return value
    if origin is list:
        if not isinstance(value, list):
            problems.append(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
            return []
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{key}[{i}]", base, problems) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{key}: expected {_type_name(tp)}, got {_describe(value)}")
            return {}
        _, vt = typing.get_args(tp)
        return {k: _convert(vt, v, f"{key}.{k}", base, problems) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(f"{key}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{key}: expected an integer, got {_describe(value)}")
            return 0
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{key}: expected a number, got {_describe(value)}")
            return 0.0
        if value < 0:
            problems.append(f"{key}: expected a number >= 0, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.append(f"{key}: expected a string, got {_describe(value)}")
            return ""
        return _expand(value, key, problems)
    if tp is ExistingPath:
        if not isinstance(value, str):
            problems.append(f"{key}: expected a path, got {_describe(value)}")
            return None
        path = Path(_expand(value, key, problems)).expanduser()
        if not path.is_absolute():
            path = base / path
        if not path.exists():
            problems.append(f"{key}: path {str(path)!r} does not exist")
        return ExistingPath(path)
    raise TypeError(f"unsupported configuration type {tp!r}")


def _build(cls: type, data: dict[str, Any], prefix: str, base: Path, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            problems.append(f"{dotted}: unknown key (expected one of: {', '.join(fields)})")
            continue
        kwargs[key] = _convert(hints[key], value, dotted, base, problems)
    return cls(**kwargs)


def _check_semantics(cfg: Config, problems: list[str]) -> None:
    io = cfg.devices.io
    for name, table in (("coils", io.coils), ("inputs", io.inputs)):
        addrs = list(table.values())
        if len(addrs) != len(set(addrs)):
            problems.append(f"devices.io.{name}: two names share one address ({addrs})")
        for key, addr in table.items():
            if isinstance(addr, int) and not 0 <= addr <= 0xFFFF:
                problems.append(f"devices.io.{name}.{key}: address {addr} outside 0..65535")
    required_inputs = set(_default_inputs())
    missing = required_inputs - set(io.inputs)
    if missing:
        problems.append(f"devices.io.inputs: missing {', '.join(sorted(missing))}")
    missing = {"entry_lock", "exit_lock"} - set(io.coils)
    if missing:
        problems.append(f"devices.io.coils: missing {', '.join(sorted(missing))}")
    if not 0 < cfg.biometrics.match_threshold < 2:
        problems.append("biometrics.match_threshold: expected a distance between 0 and 2")
    if not 0 <= cfg.biometrics.pad_threshold <= 1:
        problems.append("biometrics.pad_threshold: expected a score between 0 and 1")
    if not 0 < cfg.ui.port < 65536:
        problems.append(f"ui.port: expected a TCP port 1..65535, got {cfg.ui.port}")
    if not cfg.ui.languages:
        problems.append("ui.languages: expected at least one language")


def parse_config(text: str, source: str = "<string>", base: Path | None = None) -> Config:
    """Parse and validate configuration text; raises :class:`ConfigError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    cfg = _build(Config, data, "", base or Path.cwd(), problems)
    if not problems:
        _check_semantics(cfg, problems)
    if problems:
        raise ConfigError(source, problems)
    cfg.source = source
    return cfg


def builtin_simulated_text() -> str:
    return resources.files("gatectl").joinpath("simulated_gate.toml").read_text(encoding="utf-8")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load a gate configuration file, or the built-in simulated gate when ``path`` is None."""
    if path is None or str(path) == BUILTIN_SIMULATED:
        return parse_config(builtin_simulated_text(), BUILTIN_SIMULATED, Path.cwd())
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [f"cannot read the file: {exc.strerror or exc}"]) from None
    return parse_config(text, str(p), p.resolve().parent)
