"""The audit log a gate writes: transactions with their steps and decisions, and every officer or technician
action, appended to the hash chain (see :mod:`gatectl.audit.chain`) in an SQLite store that refuses UPDATE and
DELETE. Each append is one SQLite transaction committed with ``synchronous=FULL``: once a method returns, the
record survives a power loss.

Record kinds and their bodies:
- ``transaction_begin``: ``tx``, ``gate_id``
- ``step``: ``tx``, ``step``, ``started``, ``ended`` (as given: wall-clock seconds since the epoch),
  ``duration_s``, ``result``
- ``transaction_close``: ``tx``, ``decision``, ``reasons``, ``summary``
- ``action``: ``actor``, ``role``, ``action``, ``reason``, ``tx``, ``detail``
- ``event``: ``event``, ``detail`` (gate-level happenings: start-up, out of service, fire alarm, ...)
Bodies pass :func:`gatectl.audit.content.check_body` first: no images, templates or personal data in clear.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time as _time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from gatectl.audit.chain import (
    GENESIS_HASH,
    MIN_KEY_BYTES,
    canonical_json,
    head_seal,
    keyed_document_hash,
    record_hash,
    record_seal,
)
from gatectl.audit.content import check_body
from gatectl.audit.errors import AuditError
from gatectl.audit.export import export_records
from gatectl.audit.schema import open_writable
from gatectl.audit.verify import AuditVerifyResult, verify_connection

DECISIONS = ("admit", "refer", "refuse", "interrupted", "abandoned")
INTERRUPTED_REASON = {
    "code": "interrupted",
    "message": "The transaction was open when the controller stopped; closed at the next start-up.",
    "rule": None,
}


def format_time(epoch_s: float) -> str:
    """ISO 8601 UTC with microseconds; sorts as text in time order."""
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    """Append-only, hash-chained audit store. Safe to share between threads of one process."""

    def __init__(self, path: str | Path, key: bytes, clock: Callable[[], float] = _time.time):
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
            raise AuditError(f"the audit key must be at least {MIN_KEY_BYTES} bytes")
        self.path = Path(path)
        self._key = bytes(key)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = open_writable(self.path)

    # -- appending -------------------------------------------------------------------------------------
    def _append(self, kind: str, body: dict[str, Any], on_commit: Callable[[int], None] | None = None) -> int:
        check_body(body)
        text = canonical_json(body)
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                last = conn.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                when = format_time(self._clock())
                digest = record_hash(seq, when, kind, text, prev)
                conn.execute(
                    "INSERT INTO records(seq, time, kind, body, prev_hash, hash, seal) VALUES (?,?,?,?,?,?,?)",
                    (seq, when, kind, text, prev, digest, record_seal(self._key, digest)),
                )
                conn.execute(
                    "INSERT INTO head(id, seq, hash, seal) VALUES (1, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, seal = excluded.seal",
                    (seq, digest, head_seal(self._key, seq, digest)),
                )
                if on_commit:
                    on_commit(seq)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise AuditError(f"audit record not written: {exc}") from exc
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return seq

    def _require_open(self, tx: str) -> None:
        """Called inside the append's SQLite transaction, so check and append are atomic."""
        row = self._conn.execute("SELECT closed_seq FROM transactions WHERE tx = ?", (tx,)).fetchone()
        if row is None:
            raise AuditError(f"unknown transaction {tx}")
        if row[0] is not None:
            raise AuditError(f"transaction {tx} is already closed")

    def begin_transaction(self, gate_id: str) -> str:
        """Open a transaction; returns its globally unique id (uuid4, 32 hex digits)."""
        tx = uuid.uuid4().hex

        def index(seq: int) -> None:
            self._conn.execute("INSERT INTO transactions(tx, gate_id, begun_seq) VALUES (?,?,?)", (tx, gate_id, seq))

        self._append("transaction_begin", {"tx": tx, "gate_id": gate_id}, index)
        return tx

    def record_step(self, tx: str, step: str, started: float, ended: float, result: dict[str, Any]) -> int:
        """One step of a transaction: when it started and ended (``time.time()`` seconds) and its result."""
        body = {"tx": tx, "step": step, "started": started, "ended": ended,
                "duration_s": round(ended - started, 6), "result": result}
        return self._append("step", body, lambda _seq: self._require_open(tx))

    def close_transaction(self, tx: str, decision: str, reasons: list[dict[str, Any]], summary: dict[str, Any]) -> int:
        """Close a transaction with its decision and reasons; a transaction is closed once."""
        if decision not in DECISIONS:
            raise AuditError(f"unknown decision {decision!r} (one of {', '.join(DECISIONS)})")

        def close(seq: int) -> None:
            self._require_open(tx)
            cur = self._conn.execute(
                "UPDATE transactions SET closed_seq = ? WHERE tx = ? AND closed_seq IS NULL", (seq, tx))
            if cur.rowcount != 1:
                raise AuditError(f"transaction {tx} is already closed")

        body = {"tx": tx, "decision": decision, "reasons": list(reasons), "summary": summary}
        return self._append("transaction_close", body, close)

    def record_action(self, actor: str, role: str, action: str, reason: str, tx: str | None = None,
                      detail: dict[str, Any] | None = None) -> int:
        """An officer's or technician's action (admit, refuse, door opened by hand, maintenance, ...)."""
        def known(_seq: int) -> None:
            if tx is not None and self._conn.execute("SELECT 1 FROM transactions WHERE tx = ?", (tx,)).fetchone() is None:
                raise AuditError(f"unknown transaction {tx}")

        body = {"actor": actor, "role": role, "action": action, "reason": reason, "tx": tx, "detail": detail or {}}
        return self._append("action", body, known)

    def record_event(self, event: str, detail: dict[str, Any] | None = None) -> int:
        """A gate-level event that belongs to no transaction (start-up, out of service, fire alarm, ...)."""
        return self._append("event", {"event": event, "detail": detail or {}})

    def open_transactions(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT tx FROM transactions WHERE closed_seq IS NULL ORDER BY begun_seq")
            return [r[0] for r in rows]

    def close_interrupted(self) -> list[str]:
        """At start-up: close every open transaction as ``interrupted``; returns their ids."""
        closed = []
        for tx in self.open_transactions():
            self.close_transaction(tx, "interrupted", [dict(INTERRUPTED_REASON)], {})
            closed.append(tx)
        return closed

    # -- keyed hashes, verification, export ------------------------------------------------------------
    def document_hash(self, number: str) -> str:
        """The only form in which a document number is stored: HMAC-SHA256 (hex) under the audit key."""
        return keyed_document_hash(self._key, number)

    def verify(self) -> AuditVerifyResult:
        with self._lock:
            return verify_connection(self._conn, self._key)

    def export(self, start: dt.date, end: dt.date, fmt: str, out: TextIO) -> int:
        with self._lock:
            return export_records(self._conn, start, end, fmt, out)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
