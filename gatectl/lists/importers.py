"""Readers for list files. Each validates every row and either returns all records or raises
:class:`ListImportError` naming every bad line (never its content): an import applies all or nothing.

- Watchlist CSV with the columns of the project's list data: ``full_name`` (or ``first_name``/``last_name``),
  optional ``id``, ``first_name``, ``middle_name``, ``last_name``, ``gender``, ``date_of_birth`` (``YYYY``,
  ``YYYY-MM`` or ``YYYY-MM-DD``), ``place_of_birth``, ``nationality`` (country name or ISO 3166 code; several
  separated by ``;``).
- FollowTheMoney JSON lines as OpenSanctions publishes them: ``Person`` entities become entries (``name``,
  ``alias``, ``birthDate``, ``nationality``/``citizenship``/``country``); other schemas are skipped.
- Stolen and lost travel documents CSV: ``issuer``, ``document_type``, ``number``.
- Trusted travellers CSV: ``issuer``, ``document_number``, ``enrolment_expiry`` (``YYYY-MM-DD``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

from gatectl.lists.countries import UnknownCountry, country_code
from gatectl.lists.dates import parse_partial_date
from gatectl.lists.names import name_forms
from gatectl.lists.records import DocumentRecord, ListImportError, WatchlistRecord

DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{1,20}")
DOCUMENT_TYPES = {"PASSPORT": "P", "ID": "I", "ID CARD": "I", "IDENTITY CARD": "I", "VISA": "V"}


def read_text(data: bytes) -> str:
    """The file as UTF-8 text (a byte-order mark allowed); ListImportError naming the first bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListImportError([(line, "not UTF-8 text")]) from None
    if not text.strip():
        raise ListImportError([(1, "the file is empty")])
    return text


def normalise_document_number(value: str) -> str:
    return re.sub(r"[\s<-]", "", value).upper()


def document_type_code(value: str) -> str:
    """One-letter ICAO document code (P, I, A, C, V) of a type written as a code or a word."""
    key = value.strip().strip("<").upper()
    return DOCUMENT_TYPES.get(key, key[:1])


def _rows(text: str, required: tuple[str, ...], any_of: tuple[str, ...] = ()) -> Iterator[tuple[int, dict]]:
    """CSV rows with their line numbers, after checking the header."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if any_of and not any(c in header for c in any_of):
        missing.append(" or ".join(any_of))
    if missing:
        raise ListImportError([(1, f"missing column {c}") for c in missing])
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            yield reader.line_num, {"__bad__": f"{len(header)} columns expected"}
            continue
        if not any((v or "").strip() for v in row.values()):
            continue  # blank line
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}


def _collect(rows: Iterator[tuple[int, dict]], parse: Callable[[dict, int], object]) -> list:
    records, problems = [], []
    for line, row in rows:
        if "__bad__" in row:
            problems.append((line, row["__bad__"]))
            continue
        try:
            records.append(parse(row, line))
        except ValueError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise ListImportError(problems)
    if not records:
        raise ListImportError([(1, "the file has no entries")])
    return records


def _countries(value: str, column: str) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(country_code(v) for v in value.split(";") if v.strip()))
    except UnknownCountry:
        raise ValueError(f"{column}: unknown country") from None


def _date(value: str, column: str) -> str:
    try:
        return parse_partial_date(value)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


def _watchlist_row(row: dict, line: int) -> WatchlistRecord:
    full = row.get("full_name", "")
    if not full:
        full = " ".join(row.get(c, "") for c in ("first_name", "middle_name", "last_name") if row.get(c))
    if not full:
        raise ValueError("full_name: empty")
    if not name_forms(full):
        raise ValueError("full_name: no letters")
    birth = row.get("date_of_birth", "")
    nationality = row.get("nationality", "")
    return WatchlistRecord(
        entry_id=row.get("id") or f"line-{line}",
        full_name=full,
        birth_dates=(_date(birth, "date_of_birth"),) if birth else (),
        nationalities=_countries(nationality, "nationality") if nationality else (),
        gender=row.get("gender", ""),
    )


def read_watchlist_csv(data: bytes) -> list[WatchlistRecord]:
    text = read_text(data)
    seen: set[str] = set()

    def parse(row: dict, line: int) -> WatchlistRecord:
        record = _watchlist_row(row, line)
        if record.entry_id in seen:
            raise ValueError("id: duplicate")
        seen.add(record.entry_id)
        return record

    return _collect(_rows(text, (), ("full_name", "last_name")), parse)


def _issuer(row: dict) -> str:
    codes = _countries(row["issuer"], "issuer")
    if len(codes) != 1:
        raise ValueError("issuer: expected one country" if codes else "issuer: empty")
    return codes[0]


def _sltd_row(row: dict, line: int) -> DocumentRecord:
    if not row["document_type"]:
        raise ValueError("document_type: empty")
    return DocumentRecord(
        issuer=_issuer(row),
        number=_document_number(row.get("number") or row.get("document_number", "")),
        document_type=document_type_code(row["document_type"]),
    )


def _trusted_row(row: dict, line: int) -> DocumentRecord:
    expiry = row["enrolment_expiry"]
    if len(expiry) != 10:
        raise ValueError("enrolment_expiry: expected YYYY-MM-DD")
    return DocumentRecord(
        issuer=_issuer(row),
        number=_document_number(row.get("document_number") or row.get("number", "")),
        document_type=document_type_code(row.get("document_type", "")),
        expiry=_date(expiry, "enrolment_expiry"),
    )


def _document_number(value: str) -> str:
    number = normalise_document_number(value)
    if not DOCUMENT_NUMBER.fullmatch(number):
        raise ValueError("document number: expected 1-20 letters or digits")
    return number


def read_sltd_csv(data: bytes) -> list[DocumentRecord]:
    text = read_text(data)
    return _collect(_rows(text, ("issuer", "document_type"), ("number", "document_number")), _sltd_row)


def read_trusted_csv(data: bytes) -> list[DocumentRecord]:
    text = read_text(data)
    return _collect(_rows(text, ("issuer", "enrolment_expiry"), ("document_number", "number")), _trusted_row)
