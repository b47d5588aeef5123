"""Verification of the chain: names the first altered, inserted or deleted record.

Each record is checked in sequence order: its number follows the previous one (a gap is a deletion), its
``prev_hash`` is the previous record's hash (a record that links to the one before its predecessor shows that
predecessor was inserted), its hash matches its content (an alteration), and, with the key, its seal. Then the
sealed head must name the last record: fewer records than the head means the newest were deleted, more means
records were appended behind the store's back.

Limits: without the key, a forger who rewrites a record and recomputes every later hash and the head is not
detected (the seals are what stop that); with or without it, replacing the whole file by an older copy of
itself is only detected against a head hash kept elsewhere (``egate audit verify`` prints it for that).
"""

from __future__ import annotations

import hmac
import sqlite3
from dataclasses import dataclass

from gatectl.audit.chain import GENESIS_HASH, head_seal, record_hash, record_seal
from gatectl.audit.schema import PROTECTING_TRIGGERS


@dataclass(frozen=True)
class AuditVerifyResult:
    ok: bool
    records: int
    first_bad: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None
    sealed: bool = False  # seals were checked (the key was given)
    warnings: tuple[str, ...] = ()  # the store's protections were weakened (records may still be intact)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok, "records": self.records, "first_bad": self.first_bad, "problem": self.problem,
            "head_seq": self.head_seq, "head_hash": self.head_hash, "seals_checked": self.sealed,
            "warnings": list(self.warnings),
        }


class _Bad(Exception):
    def __init__(self, seq: int, problem: str):
        self.seq = seq
        self.problem = problem


def _check_link(seq: int, prev_hash: str, content_ok: bool, hashes: tuple[str, str | None]) -> None:
    last, before_last = hashes
    if prev_hash == last:
        return
    if seq == 1:
        raise _Bad(1, "record 1 was altered (it does not start the chain)")
    if before_last is not None and prev_hash == before_last:
        raise _Bad(seq - 1, f"record {seq - 1} was inserted (record {seq} links to the record before it)")
    if content_ok:
        raise _Bad(seq - 1, f"record {seq - 1} was altered (its hash no longer links to record {seq})")
    raise _Bad(seq, f"record {seq} was altered, or records before it were deleted (chain broken)")


def _check_records(conn: sqlite3.Connection, key: bytes | None) -> tuple[int, str]:
    """Walk the chain; return (last seq, last hash) or raise :class:`_Bad`."""
    expected, hashes = 1, (GENESIS_HASH, None)
    rows = conn.execute("SELECT seq, time, kind, body, prev_hash, hash, seal FROM records ORDER BY seq")
    for seq, time, kind, body, prev_hash, stored_hash, seal in rows:
        if seq != expected:
            missing = f"record {expected}" if seq == expected + 1 else f"records {expected}-{seq - 1}"
            raise _Bad(expected, f"{missing} deleted (sequence jumps from {expected - 1} to {seq})")
        content_ok = isinstance(body, str) and record_hash(seq, time, kind, body, prev_hash) == stored_hash
        _check_link(seq, prev_hash, content_ok, hashes)
        if not content_ok:
            raise _Bad(seq, f"record {seq} was altered (its hash does not match its content)")
        if key is not None and not (seal and hmac.compare_digest(seal, record_seal(key, stored_hash))):
            raise _Bad(seq, f"record {seq} was altered or inserted (its seal does not match the key)")
        hashes = (stored_hash, hashes[0])
        expected += 1
    return expected - 1, hashes[0]


def _check_head(conn: sqlite3.Connection, key: bytes | None, last_seq: int, last_hash: str) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash, seal FROM head WHERE id = 1").fetchone()
    if row is None:
        if last_seq == 0:
            return 0, GENESIS_HASH
        raise _Bad(last_seq, "the head record is missing (deletion of the newest records cannot be ruled out)")
    head_seq, head_hash, seal = row
    if head_seq > last_seq:
        raise _Bad(last_seq + 1, f"records {last_seq + 1}-{head_seq} deleted (the head names record {head_seq})")
    if head_seq < last_seq:
        raise _Bad(head_seq + 1, f"record {head_seq + 1} was inserted after the head (record {head_seq})")
    if head_hash != last_hash:
        raise _Bad(last_seq, f"record {last_seq} was altered (it does not match the head)")
    if key is not None and not (seal and hmac.compare_digest(seal, head_seal(key, head_seq, head_hash))):
        raise _Bad(last_seq, "the head's seal does not match the key (head or newest records replaced)")
    return head_seq, head_hash


def _missing_triggers(conn: sqlite3.Connection) -> tuple[str, ...]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = [t for t in PROTECTING_TRIGGERS if t not in present]
    return (f"append-only triggers missing: {', '.join(missing)}",) if missing else ()


def verify_connection(conn: sqlite3.Connection, key: bytes | None = None) -> AuditVerifyResult:
    """Verify the chain in ``conn``; with ``key``, the seals as well."""
    total = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    sealed = key is not None
    warnings = _missing_triggers(conn)
    try:
        last_seq, last_hash = _check_records(conn, key)
        head_seq, head_hash = _check_head(conn, key, last_seq, last_hash)
    except _Bad as bad:
        return AuditVerifyResult(False, total, bad.seq, bad.problem, sealed=sealed, warnings=warnings)
    return AuditVerifyResult(True, total, head_seq=head_seq, head_hash=head_hash, sealed=sealed, warnings=warnings)
