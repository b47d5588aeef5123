"""FollowTheMoney entities, one JSON object a line, as OpenSanctions publishes its data sets
(``entities.ftm.json``): ``{"id": ..., "schema": "Person", "properties": {"name": [...], ...}}``.

Persons become watchlist entries: ``name`` (the first is the entry's name, the rest aliases), ``alias``,
``previousName`` and, when there is no name, ``firstName``/``middleName``/``lastName``; ``birthDate``
(partial dates; a time part is dropped); ``nationality``, ``citizenship`` and ``country`` (ISO alpha-2,
lower case). Country codes that are not ISO 3166 (OpenSanctions' historical ``suhh``, ``csxx``, ...) are left
out rather than rejected. Entities of other schemas (companies, sanctions, addresses) are skipped and counted.
"""

from __future__ import annotations

import json

from gatectl.lists.countries import UnknownCountry, country_code
from gatectl.lists.dates import parse_partial_date
from gatectl.lists.importers import read_text
from gatectl.lists.names import name_forms
from gatectl.lists.records import ListImportError, WatchlistRecord

PERSON_SCHEMAS = frozenset({"Person"})
ALIAS_PROPS = ("alias", "previousName")
COUNTRY_PROPS = ("nationality", "citizenship", "country")


def _strings(props: dict, key: str) -> list[str]:
    values = props.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"properties.{key}: expected a list of strings")
    return [v.strip() for v in values if v.strip()]


def _countries(props: dict) -> tuple[str, ...]:
    codes: list[str] = []
    for key in COUNTRY_PROPS:
        for value in _strings(props, key):
            try:
                codes.append(country_code(value))
            except UnknownCountry:
                continue
    return tuple(dict.fromkeys(codes))


def _person(entity: dict) -> WatchlistRecord:
    props = entity.get("properties")
    if not isinstance(props, dict):
        raise ValueError("properties: expected an object")
    if not isinstance(entity.get("id"), str) or not entity["id"]:
        raise ValueError("id: missing")
    names = _strings(props, "name")
    if not names:
        parts = [" ".join(_strings(props, k)) for k in ("firstName", "middleName", "lastName")]
        names = [" ".join(p for p in parts if p)] if any(parts) else []
    names = [n for n in names if name_forms(n)]
    if not names:
        raise ValueError("properties.name: no usable name")
    aliases = [a for key in ALIAS_PROPS for a in _strings(props, key) if name_forms(a)]
    births = []
    for value in _strings(props, "birthDate"):
        try:
            births.append(parse_partial_date(value[:10]))
        except ValueError:
            raise ValueError("properties.birthDate: expected YYYY, YYYY-MM or YYYY-MM-DD") from None
    gender = _strings(props, "gender")
    return WatchlistRecord(
        entry_id=entity["id"],
        full_name=names[0],
        aliases=tuple(dict.fromkeys(names[1:] + aliases)),
        birth_dates=tuple(dict.fromkeys(births)),
        nationalities=_countries(props),
        gender=gender[0] if gender else "",
    )


def read_ftm_jsonl(data: bytes) -> tuple[list[WatchlistRecord], int]:
    """The persons of a FollowTheMoney JSON-lines file and the number of other entities skipped."""
    text = read_text(data)
    records: list[WatchlistRecord] = []
    problems: list[tuple[int, str]] = []
    skipped = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except json.JSONDecodeError:
            problems.append((line_no, "not a JSON object"))
            continue
        if not isinstance(entity, dict) or not isinstance(entity.get("schema"), str):
            problems.append((line_no, "not a FollowTheMoney entity (no schema)"))
            continue
        if entity["schema"] not in PERSON_SCHEMAS:
            skipped += 1
            continue
        try:
            records.append(_person(entity))
        except ValueError as exc:
            problems.append((line_no, str(exc)))
    if problems:
        raise ListImportError(problems)
    if not records:
        raise ListImportError([(1, "the file has no Person entities")])
    return records, skipped
