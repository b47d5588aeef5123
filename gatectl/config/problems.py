"""Pydantic's errors as a technician reads them: ``dotted.key: what was expected, got what``."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel

from gatectl.config.sections import GateConfig
from gatectl.config.values import DATACLASS_MODELS, describe


def dotted(loc: tuple[str | int, ...] | list[Any]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


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
            return DATACLASS_MODELS.get(tp, tp) if isinstance(tp, type) else tp


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


def problem(err: Mapping[str, Any]) -> str:
    """One pydantic error as ``dotted.key: what was expected, got what``."""
    loc = tuple(err["loc"])
    key, kind, value, ctx = dotted(loc), err["type"], err.get("input"), err.get("ctx") or {}
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
        key = dotted(loc[:-1])
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"{key}: unknown key" + (f" (expected one of: {choices})" if kind == "literal_error" else "")
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"{key}: expected one of {choices}, got {describe(value)}"
    if kind in _BOUND:
        bound = next(iter(ctx.values()))
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{key}: expected a number {_BOUND[kind]} {shown}, got {value!r}"
    if kind in _EXPECTED:
        return f"{key}: expected {_EXPECTED[kind]}, got {describe(value)}"
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{key}: {message}" if key else message
