"""Gate configuration: one TOML file, validated by pydantic before any device is touched.

Every problem is reported with the key's dotted name and what was expected, all of them at once, so a
technician fixes a file in one pass (:class:`ConfigError`; the CLI exits 2). Types are strict (``"5"`` is not
a number), unknown keys are refused, and ranges are checked: timeouts are finite and above zero, counts are
not negative. Strings may use ``${VAR}`` or ``${VAR:-default}`` from the environment (the simulated gate uses
it for its run directory). Relative paths are taken from the configuration file's folder.

Sections that belong to another module are that module's own class, plugged in here:
``[biometrics]`` is :class:`biometrics.settings.BiometricSettings`, ``[policy]`` is
:class:`gatectl.policy.PolicySettings` (a pydantic model of its own), ``[timeouts]`` and ``[retries]`` are
:class:`gatectl.machine.Timeouts` and :class:`gatectl.machine.Retries` (the state table names which timeout
bounds which state). A stdlib dataclass gets a strict pydantic model built from its fields
(:func:`dataclass_section`), so those packages need no pydantic.

A gate without trust material could verify no document: ``trust.paths`` must name at least one existing file
or folder. ``gate.simulated = true`` marks the simulated gate: its trust store and audit key are created by
the rig in its run directory, so they need not exist when the file is loaded.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from biometrics.settings import BiometricSettings
from gatectl.machine import Retries, Timeouts
from gatectl.policy import PolicySettings

BUILTIN_SIMULATED = "builtin:simulated"
MAX_CONFIG_BYTES = 1 << 20  # a gate configuration is a few kilobytes
MAX_NESTING = 16  # tables and arrays; a gate configuration needs four levels
NAME_MAX = 255  # bytes in one path component (Linux)
PATH_MAX = 4096  # bytes in a whole path (Linux)
AUDIT_KEY_MIN_BYTES = 16  # gatectl.audit refuses shorter keys
MAX_RETRIES = 10  # a retry bound is a bound: more would keep a traveller at the gate for minutes


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid configuration\n" + "\n".join(f"  - {p}" for p in problems))


# -- value types ---------------------------------------------------------------------------------------


def _show(path: str | Path, limit: int = 80) -> str:
    text = str(path)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _resolve_path(value: Any, info: ValidationInfo) -> Path:
    """``~`` expanded, relative paths taken from the configuration file's folder; unusable paths refused."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a path (a string), got {_describe(value)}")
    if "\0" in value:
        raise ValueError("a path cannot contain a NUL character")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~nosuchuser/..."
        user = value[1:].split("/", 1)[0]
        raise ValueError(f"cannot expand {_show(value)}: there is no user {user!r}") from None
    if not path.is_absolute():
        path = Path((info.context or {}).get("base", Path.cwd())) / path
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > NAME_MAX or len(os.fsencode(str(path))) > PATH_MAX:
        raise ValueError(f"path {_show(path)} is too long (at most {NAME_MAX} bytes a component, {PATH_MAX} in all)")
    return path


def _must_exist(path: Path, info: ValidationInfo) -> Path:
    """Exists now; on the simulated gate the rig creates its files when it starts, so that is not asked."""
    if (info.context or {}).get("simulated"):
        return path
    try:
        found = path.exists()
    except OSError as exc:
        raise ValueError(f"path {_show(path)} cannot be used: {exc.strerror or exc}") from None
    if not found:
        raise ValueError(f"path {_show(path)} does not exist")
    return path


ConfigPath = Annotated[Path, BeforeValidator(_resolve_path)]
ExistingPath = Annotated[Path, BeforeValidator(_resolve_path), AfterValidator(_must_exist)]
Seconds = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
Address = Annotated[int, Field(ge=0, le=0xFFFF)]


class Section(BaseModel):
    """A table of the configuration: strict types, no unknown keys, finite numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def dataclass_section(cls: type, constraints: Mapping[str, FieldInfo] | None = None,
                      default: Callable[[str, Any], FieldInfo] | None = None,
                      check: Callable[[Any], None] | None = None) -> Any:
    """An annotated type that validates a table against the stdlib dataclass ``cls`` and yields ``cls`` itself.

    A strict :class:`Section` model is built from the dataclass's fields, with ``constraints`` by field name
    (or ``default(name, type)`` for the others); its errors carry the dataclass's field names. ``check``
    looks at the instance as a whole (raises ValueError).
    """
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        rule = (constraints or {}).get(f.name) or (default(f.name, hints[f.name]) if default else Field())
        value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        fields[f.name] = (Annotated[hints[f.name], rule], value)
    model = create_model(f"{cls.__name__}Section", __base__=Section, __doc__=cls.__doc__, **fields)
    _DATACLASS_MODELS[cls] = model

    def build(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, cls):
            return value
        instance = cls(**dict(model.model_validate(value, context=info.context)))
        if check:
            check(instance)
        return instance

    return Annotated[cls, BeforeValidator(build)]


_DATACLASS_MODELS: dict[type, type[BaseModel]] = {}


def _positive_seconds(name: str, tp: Any) -> FieldInfo:
    return Field(gt=0) if tp is float else Field()


def _bounded_count(name: str, tp: Any) -> FieldInfo:
    return Field(ge=0, le=MAX_RETRIES) if tp is int else Field()


# Ranges of [biometrics]; the names and defaults are BiometricSettings' own.
BIOMETRIC_RANGES: dict[str, FieldInfo] = {
    "match_threshold": Field(gt=0, lt=2),
    "target_fmr": Field(gt=0, lt=1),
    "pad_threshold": Field(ge=0, le=1),
    "min_eye_distance_px": Field(gt=0),
    "max_yaw_deg": Field(gt=0, le=90),
    "max_pitch_deg": Field(gt=0, le=90),
    "max_roll_deg": Field(gt=0, le=90),
    "frames_kept": Field(ge=1, le=30),
    "capture_window_s": Field(gt=0),
    "detect_max_side": Field(ge=64),
    "min_sharpness": Field(ge=0),
    "min_face_luma": Field(ge=0, le=255),
    "max_face_luma": Field(ge=0, le=255),
    "min_face_contrast": Field(ge=0),
    "min_eye_aspect_ratio": Field(ge=0),
    "max_centre_offset": Field(ge=0, le=1),
    "second_face_min_ratio": Field(gt=0, le=1),
}



def _biometrics_consistent(settings: BiometricSettings) -> None:
    if settings.min_face_luma >= settings.max_face_luma:
        raise ValueError(f"min_face_luma ({settings.min_face_luma:g}) must be below max_face_luma "
                         f"({settings.max_face_luma:g})")


BiometricsSection = dataclass_section(BiometricSettings, BIOMETRIC_RANGES, check=_biometrics_consistent)
TimeoutsSection = dataclass_section(Timeouts, default=_positive_seconds)
RetriesSection = dataclass_section(Retries, default=_bounded_count)


# -- sections ------------------------------------------------------------------------------------------

REQUIRED_COILS = ("entry_lock", "exit_lock")
REQUIRED_INPUTS = (
    "entry_door_closed",
    "exit_door_closed",
    "presence_entry",
    "presence_inside",
    "presence_exit",
    "tailgating_beam",
    "fire_alarm_loop",
)


def _default_coils() -> dict[str, int]:
    return {"entry_lock": 0, "exit_lock": 1, "light_green": 2, "light_red": 3, "buzzer": 4}


def _default_inputs() -> dict[str, int]:
    return {name: address for address, name in enumerate(REQUIRED_INPUTS)}


class GateSection(Section):
    id: str = Field("gate-1", min_length=1)
    mode: Literal["one-step", "two-step"] = "one-step"
    location: str = ""
    simulated: bool = False


class ReaderSection(Section):
    url: str = "pcsc://Virtual PCD 00 00"
    timeout_s: Seconds = 5.0


def _io_map_problems(table: dict[str, int], required: tuple[str, ...]) -> dict[str, int]:
    problems = []
    missing = [name for name in required if name not in table]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    addresses = list(table.values())
    if len(addresses) != len(set(addresses)):
        problems.append(f"two names share one address ({addresses})")
    if problems:
        raise ValueError("; ".join(problems))
    return table


class IoSection(Section):
    url: str = "modbus-rtu:///dev/ttyUSB0?baud=19200&unit=1"
    timeout_s: Seconds = 0.5
    retries: Count = 3
    poll_interval_s: Seconds = 0.1
    coils: dict[str, Address] = Field(default_factory=_default_coils)
    inputs: dict[str, Address] = Field(default_factory=_default_inputs)

    @field_validator("coils")
    @classmethod
    def _coil_map(cls, table: dict[str, int]) -> dict[str, int]:
        return _io_map_problems(table, REQUIRED_COILS)

    @field_validator("inputs")
    @classmethod
    def _input_map(cls, table: dict[str, int]) -> dict[str, int]:
        return _io_map_problems(table, REQUIRED_INPUTS)


class CameraSection(Section):
    url: str = "camera://0"
    timeout_s: Seconds = 5.0


class MrzSection(Section):
    url: str = "mrz-serial:///dev/ttyACM0?baud=9600"
    timeout_s: Seconds = 5.0


class DevicesSection(Section):
    reader: ReaderSection = Field(default_factory=ReaderSection)
    io: IoSection = Field(default_factory=IoSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    mrz: MrzSection = Field(default_factory=MrzSection)


class TrustSection(Section):
    paths: list[ExistingPath] = Field(
        min_length=1,
        description="a gate needs at least one trust path (CSCA master lists, certificates, CRLs): "
        "without trust material no document can be verified",
    )
    allow_unverified_master_lists: list[ExistingPath] = Field(default_factory=list)

    @field_validator("allow_unverified_master_lists")
    @classmethod
    def _within_paths(cls, allowed: list[Path], info: ValidationInfo) -> list[Path]:
        roots = info.data.get("paths") or []
        outside = [p for p in allowed if not any(p == root or root in p.parents for root in roots)]
        if outside:
            shown = ", ".join(_show(p) for p in outside)
            raise ValueError(f"{shown} not among trust.paths (nor inside a folder of it)")
        return allowed

    def open_store(self) -> Any:
        """A :class:`passport.pki.TrustStore` with every path loaded and the allowed master lists allowed."""
        from passport.pki import TrustStore

        store = TrustStore(allow_unverified=self.allow_unverified_master_lists)
        for path in self.paths:
            store.load_path(path)
        return store


class ListsSection(Section):
    db: ConfigPath = Path("egate-lists.sqlite")
    watchlist_threshold: float = Field(0.85, gt=0, le=1)
    max_age_h: Seconds = 24.0


def _hex_key(value: Any) -> Any:
    if value is None or isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("expected the key as hexadecimal digits (a string)")
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise ValueError("expected the key as hexadecimal digits") from None


def _key_length(key: bytes | None) -> bytes | None:
    if key is not None and len(key) < AUDIT_KEY_MIN_BYTES:
        raise ValueError(f"the key has {len(key)} bytes; at least {AUDIT_KEY_MIN_BYTES} are needed")
    return key


AuditKey = Annotated[bytes | None, BeforeValidator(_hex_key), AfterValidator(_key_length)]


class AuditSection(Section):
    """The audit store and the key for the keyed hashes of document numbers (never shown in ``repr``)."""

    path: ConfigPath = Path("egate-audit.sqlite")
    key_file: ConfigPath | None = None
    key: AuditKey = Field(None, repr=False)
    generate_key: bool = False

    @model_validator(mode="after")
    def _key_source(self, info: ValidationInfo) -> AuditSection:
        simulated = bool((info.context or {}).get("simulated"))
        if self.key is not None and self.key_file is not None:
            raise ValueError("give key_file or key, not both")
        if self.generate_key and not simulated:
            raise ValueError(
                "generate_key is for the simulated gate only (gate.simulated = true): "
                "a real gate's key is provisioned by its operator, so that document hashes stay comparable"
            )
        if self.key is None and self.key_file is None:
            raise ValueError(
                "a key for the hashes of document numbers is needed: key_file (a file of "
                'hexadecimal digits) or key (e.g. key = "${EGATE_AUDIT_KEY}")'
            )
        if self.key_file is not None and not (simulated and self.generate_key):
            _read_key_file(self.key_file)
        return self

    def load_key(self) -> bytes:
        """The key; on the simulated gate with ``generate_key`` a missing key file is created (mode 0600)."""
        if self.key is not None:
            return self.key
        assert self.key_file is not None  # the validator saw to it
        if self.generate_key and not self.key_file.exists():
            _create_key_file(self.key_file)
        try:
            return _read_key_file(self.key_file)
        except ValueError as exc:
            raise ConfigError(str(self.key_file), [f"audit.key_file: {exc}"]) from None


def _read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not hexadecimal text"
        raise ValueError(f"cannot read the key file {_show(path)}: {why}") from None
    key = _key_length(_hex_key(text))
    assert key is not None
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")


class UiSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)


class GateConfig(Section):
    """A whole gate. ``source`` names where it came from (a path or ``builtin:simulated``)."""

    gate: GateSection = Field(default_factory=GateSection)
    devices: DevicesSection = Field(default_factory=DevicesSection)
    timeouts: TimeoutsSection = Field(default_factory=Timeouts)
    retries: RetriesSection = Field(default_factory=Retries)
    biometrics: BiometricsSection = Field(default_factory=BiometricSettings)
    trust: TrustSection
    policy: PolicySettings = Field(default_factory=PolicySettings)
    lists: ListsSection = Field(default_factory=ListsSection)
    audit: AuditSection
    ui: UiSection = Field(default_factory=UiSection)
    _source: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _required_tables(cls, data: Any) -> Any:
        """``[trust]`` and ``[audit]`` have keys without defaults: validate them even when the table is absent."""
        if isinstance(data, dict):
            data = {"trust": {}, "audit": {}, **data}
        return data

    @property
    def source(self) -> str:
        return self._source


Config = GateConfig  # the name the rest of egate imports


# -- loading -------------------------------------------------------------------------------------------

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _dotted(loc: tuple[str | int, ...] | list[Any]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _expand_environment(data: dict[str, Any], problems: list[str], too_deep: list[str]) -> dict[str, Any]:
    """``${VAR}`` and ``${VAR:-default}`` in every string value, in place; walks without recursion, and notes
    in ``too_deep`` the tables nested too deeply for anything recursive to look at."""
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(data, (), 0)]
    while stack:
        node, loc, depth = stack.pop()
        if depth > MAX_NESTING:
            too_deep.append(f"{_dotted(loc[:1])}: tables and arrays nested deeper than {MAX_NESTING} levels")
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                node[key] = _expand(value, _dotted((*loc, key)), problems)
            elif isinstance(value, dict | list):
                stack.append((value, (*loc, key), depth + 1))
    return data


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


def _describe(value: Any) -> str:
    kind = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "table"}
    if isinstance(value, float) and not math.isfinite(value):
        return f"number {value!r}"
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{kind.get(type(value), type(value).__name__)} {shown}"


_EXPECTED = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dataclass_type": "a table",
    "finite_number": "a finite number",
}
_BOUND = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def _unwrap(tp: Any) -> Any:
    """``Annotated`` and ``| None`` taken off; a plugged-in dataclass as its model."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return _DATACLASS_MODELS.get(tp, tp) if isinstance(tp, type) else tp


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that validates the table at ``loc`` (for the messages), through lists and optional values."""
    tp: Any = GateConfig
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            if typing.get_origin(tp) is not list:
                return None
            tp = typing.get_args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field_names(loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the table at ``loc`` (for "unknown key" messages)."""
    model = _model_at(loc)
    return list(model.model_fields) if model else []


def _field_description(loc: tuple[str | int, ...]) -> str | None:
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model and loc and isinstance(loc[-1], str) else None
    return field.description if field else None


def _problem(err: Mapping[str, Any]) -> str:
    """One pydantic error as ``dotted.key: what was expected, got what``."""
    loc = tuple(err["loc"])
    key, kind, value, ctx = _dotted(loc), err["type"], err.get("input"), err.get("ctx") or {}
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        names = _field_names(loc[:-1])
        return f"{key}: unknown key (expected one of: {', '.join(names)})" if names else f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: required key missing" + (f": {d}" if (d := _field_description(loc)) else "")
    if kind == "too_short":
        return f"{key}: expected at least {ctx.get('min_length')} entry" + (
            f": {d}" if (d := _field_description(loc)) else ""
        )
    if loc and loc[-1] == "[key]":  # a table whose keys are fixed names
        key = _dotted(loc[:-1])
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"{key}: unknown key" + (f" (expected one of: {choices})" if kind == "literal_error" else "")
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"{key}: expected one of {choices}, got {_describe(value)}"
    if kind in _BOUND:
        bound = next(iter(ctx.values()))
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{key}: expected a number {_BOUND[kind]} {shown}, got {value!r}"
    if kind in _EXPECTED:
        return f"{key}: expected {_EXPECTED[kind]}, got {_describe(value)}"
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{key}: {message}" if key else message


def parse_config(text: str, source: str = "<string>", base: Path | None = None) -> GateConfig:
    """Parse and validate configuration text; raises :class:`ConfigError` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from None
    except RecursionError:
        raise ConfigError(source, ["not valid TOML: tables or arrays nested too deeply"]) from None
    return config_from_data(data, source, base)


def config_from_data(data: Any, source: str = "<data>", base: Path | None = None) -> GateConfig:
    """Validate parsed TOML (a dict, changed in place by the ``${VAR}`` expansion); raises :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(source, [f"expected a table, got {_describe(data)}"])
    problems: list[str] = []
    too_deep: list[str] = []
    _expand_environment(data, problems, too_deep)
    if too_deep:
        raise ConfigError(source, too_deep)
    gate = data.get("gate")
    context = {"base": base or Path.cwd(), "simulated": isinstance(gate, dict) and gate.get("simulated") is True}
    try:
        cfg = GateConfig.model_validate(data, context=context)
    except ValidationError as exc:
        problems += [_problem(err) for err in exc.errors(include_url=False)]
    if problems:
        raise ConfigError(source, list(dict.fromkeys(problems)))
    cfg._source = source
    return cfg


def builtin_simulated_text() -> str:
    return resources.files("gatectl").joinpath("simulated_gate.toml").read_text(encoding="utf-8")


def load_config(path: str | os.PathLike[str] | None = None) -> GateConfig:
    """Load a gate configuration file, or the built-in simulated gate when ``path`` is None."""
    if path is None or str(path) == BUILTIN_SIMULATED:
        return parse_config(builtin_simulated_text(), BUILTIN_SIMULATED, Path.cwd())
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
        base = p.resolve().parent
    except (OSError, RuntimeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(str(p), [f"cannot read the file: {why}"]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(str(p), [f"the file is larger than {MAX_CONFIG_BYTES // 1024} KiB"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(p), [f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]) from None
    return parse_config(text, str(p), base)
