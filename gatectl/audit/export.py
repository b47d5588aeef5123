"""Export of the records of a date range as JSON lines or CSV, with hashes so the chain can be re-checked."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Literal, TextIO

from gatectl.audit.errors import AuditError

ExportFormat = Literal["jsonl", "csv"]
CSV_COLUMNS = ["seq", "time", "kind", "tx", "decision", "body", "prev_hash", "hash"]


def _rows(conn: sqlite3.Connection, start: date, end: date) -> Iterator[tuple[int, str, str, str, str, str]]:
    """Records whose time falls on the days ``start`` to ``end`` (UTC, both included)."""
    lower = start.isoformat()
    upper = (end + timedelta(days=1)).isoformat()
    yield from conn.execute(
        "SELECT seq, time, kind, body, prev_hash, hash FROM records WHERE time >= ? AND time < ? ORDER BY seq",
        (lower, upper),
    )


def _parsed(body: str) -> object:
    """The body as JSON; a body that no longer parses (a damaged store) is exported as null beside its text."""
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


def export_records(conn: sqlite3.Connection, start: date, end: date, fmt: str, out: TextIO) -> int:
    """Write the records of ``start``..``end`` to ``out``; returns how many were written."""
    if fmt not in ("jsonl", "csv"):
        raise AuditError(f"unknown export format {fmt!r} (jsonl or csv)")
    if end < start:
        raise AuditError(f"the export range ends ({end}) before it starts ({start})")
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for seq, time, kind, body, prev_hash, record_hash in _rows(conn, start, end):
        if writer:
            parsed = _parsed(body)
            tx = parsed.get("tx", "") if isinstance(parsed, dict) else ""
            decision = parsed.get("decision", "") if isinstance(parsed, dict) else ""
            writer.writerow([seq, time, kind, tx or "", decision or "", body, prev_hash, record_hash])
        else:
            record = {"seq": seq, "time": time, "kind": kind, "body": _parsed(body),
                      "body_text": body, "prev_hash": prev_hash, "hash": record_hash}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count
