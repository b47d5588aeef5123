"""Value types of the configuration: paths taken from the file's folder, seconds, counts, addresses, and the
strict :class:`Section` base, including sections made from another package's stdlib dataclass."""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
)
from pydantic.fields import FieldInfo

NAME_MAX = 255  # bytes in one path component (Linux)
PATH_MAX = 4096  # bytes in a whole path (Linux)

# Each stdlib dataclass plugged in as a section, with the pydantic model that validates it.
DATACLASS_MODELS: dict[type, type[BaseModel]] = {}


def show_path(path: str | Path, limit: int = 80) -> str:
    text = str(path)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def describe(value: Any) -> str:
    kind = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "table"}
    if isinstance(value, float) and not math.isfinite(value):
        return f"number {value!r}"
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{kind.get(type(value), type(value).__name__)} {shown}"


def resolve_path(value: Any, info: ValidationInfo) -> Path:
    """``~`` expanded, relative paths taken from the configuration file's folder; unusable paths refused."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a path (a string), got {describe(value)}")
    if "\0" in value:
        raise ValueError("a path cannot contain a NUL character")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~nosuchuser/..."
        user = value[1:].split("/", 1)[0]
        raise ValueError(f"cannot expand {show_path(value)}: there is no user {user!r}") from None
    if not path.is_absolute():
        path = Path((info.context or {}).get("base", Path.cwd())) / path
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > NAME_MAX or len(os.fsencode(str(path))) > PATH_MAX:
        raise ValueError(f"path {show_path(path)} is too long (at most {NAME_MAX} bytes a component, {PATH_MAX} in all)")
    return path


def must_exist(path: Path, info: ValidationInfo) -> Path:
    """Exists now; on the simulated gate the rig creates its files when it starts, so that is not asked."""
    if (info.context or {}).get("simulated"):
        return path
    try:
        found = path.exists()
    except OSError as exc:
        raise ValueError(f"path {show_path(path)} cannot be used: {exc.strerror or exc}") from None
    if not found:
        raise ValueError(f"path {show_path(path)} does not exist")
    return path


ConfigPath = Annotated[Path, BeforeValidator(resolve_path)]
ExistingPath = Annotated[Path, BeforeValidator(resolve_path), AfterValidator(must_exist)]
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
    DATACLASS_MODELS[cls] = model

    def build(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, cls):
            return value
        instance = cls(**dict(model.model_validate(value, context=info.context)))
        if check:
            check(instance)
        return instance

    return Annotated[cls, BeforeValidator(build)]
