"""The audit database: tables, append-only triggers, and how a connection is opened.

``records`` is the chain (append-only: triggers refuse UPDATE and DELETE). ``head`` holds the last record's
sequence number and hash, sealed under the key, so that deleting the newest records is detected too.
``transactions`` indexes which transactions are open; a row may only go from open to closed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gatectl.audit.errors import AuditError

SCHEMA_VERSION = 1
PROTECTING_TRIGGERS = ("records_no_update", "records_no_delete", "head_no_delete", "head_forward_only",
                       "transactions_no_delete", "transactions_close_once")

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    seal TEXT
);
CREATE INDEX IF NOT EXISTS records_time ON records(time);
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE refused'); END;

CREATE TABLE IF NOT EXISTS head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    seal TEXT
);
CREATE TRIGGER IF NOT EXISTS head_no_delete BEFORE DELETE ON head
BEGIN SELECT RAISE(ABORT, 'audit head may not be deleted'); END;
CREATE TRIGGER IF NOT EXISTS head_forward_only BEFORE UPDATE ON head WHEN NEW.seq <= OLD.seq
BEGIN SELECT RAISE(ABORT, 'audit head only moves forward'); END;

CREATE TABLE IF NOT EXISTS transactions (
    tx TEXT PRIMARY KEY,
    gate_id TEXT NOT NULL,
    begun_seq INTEGER NOT NULL,
    closed_seq INTEGER
);
CREATE INDEX IF NOT EXISTS transactions_open ON transactions(closed_seq) WHERE closed_seq IS NULL;
CREATE TRIGGER IF NOT EXISTS transactions_no_delete BEFORE DELETE ON transactions
BEGIN SELECT RAISE(ABORT, 'audit transactions may not be deleted'); END;
CREATE TRIGGER IF NOT EXISTS transactions_close_once BEFORE UPDATE ON transactions
WHEN OLD.closed_seq IS NOT NULL OR NEW.tx IS NOT OLD.tx OR NEW.gate_id IS NOT OLD.gate_id
     OR NEW.begun_seq IS NOT OLD.begun_seq
BEGIN SELECT RAISE(ABORT, 'an audit transaction is closed once'); END;

CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def open_writable(path: str | Path) -> sqlite3.Connection:
    """Open (creating if absent) for appending: WAL journal, synchronous=FULL so a commit survives power loss."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    except sqlite3.Error as exc:
        raise AuditError(f"cannot open the audit store {path}: {exc}") from exc
    return conn


def open_readonly(path: str | Path) -> sqlite3.Connection:
    """Open an existing store without changing it (verification, export)."""
    p = Path(path)
    if not p.is_file():
        raise AuditError(f"no audit store at {path}")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise AuditError(f"cannot read the audit store {path}: {exc}") from exc
    if "records" not in tables:
        conn.close()
        raise AuditError(f"{path} is not an egate audit store (no records table)")
    return conn
