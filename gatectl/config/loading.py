"""Reading a configuration: the file (bounded, UTF-8), TOML, ``${VAR}`` expansion, then validation."""

from __future__ import annotations

import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gatectl.config.errors import ConfigError
from gatectl.config.problems import dotted, problem
from gatectl.config.sections import GateConfig
from gatectl.config.values import describe

BUILTIN_SIMULATED = "builtin:simulated"
MAX_CONFIG_BYTES = 1 << 20  # a gate configuration is a few kilobytes
MAX_NESTING = 16  # tables and arrays; a gate configuration needs four levels

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand_environment(data: dict[str, Any], problems: list[str], too_deep: list[str]) -> dict[str, Any]:
    """``${VAR}`` and ``${VAR:-default}`` in every string value, in place; walks without recursion, and notes
    in ``too_deep`` the tables nested too deeply for anything recursive to look at."""
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(data, (), 0)]
    while stack:
        node, loc, depth = stack.pop()
        if depth > MAX_NESTING:
            too_deep.append(f"{dotted(loc[:1])}: tables and arrays nested deeper than {MAX_NESTING} levels")
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                node[key] = _expand(value, dotted((*loc, key)), problems)
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
        raise ConfigError(source, [f"expected a table, got {describe(data)}"])
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
        problems += [problem(err) for err in exc.errors(include_url=False)]
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
