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
from gatectl.audit.errors import AuditError
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


def _seal_matches(stored: object, expected: str) -> bool:
    """A seal that is not hexadecimal text (a blob or a number written into the column) does not match."""
    return isinstance(stored, str) and stored.isascii() and hmac.compare_digest(stored, expected)


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
        if not isinstance(seq, int):
            raise _Bad(expected, f"record {expected} was altered (its sequence number is not a number)")
        if seq != expected:
            missing = f"record {expected}" if seq == expected + 1 else f"records {expected}-{seq - 1}"
            raise _Bad(expected, f"{missing} deleted (sequence jumps from {expected - 1} to {seq})")
        texts = (time, kind, body, prev_hash, stored_hash)
        content_ok = all(isinstance(v, str) for v in texts) and record_hash(seq, *texts[:4]) == stored_hash
        _check_link(seq, prev_hash, content_ok, hashes)
        if not content_ok:
            raise _Bad(seq, f"record {seq} was altered (its hash does not match its content)")
        if key is not None and not _seal_matches(seal, record_seal(key, stored_hash)):
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
    if not isinstance(head_seq, int) or not isinstance(head_hash, str):
        raise _Bad(last_seq, "the head record was altered (its sequence number or hash is not well-formed)")
    if head_seq > last_seq:
        raise _Bad(last_seq + 1, f"records {last_seq + 1}-{head_seq} deleted (the head names record {head_seq})")
    if head_seq < last_seq:
        raise _Bad(head_seq + 1, f"record {head_seq + 1} was inserted after the head (record {head_seq})")
    if head_hash != last_hash:
        raise _Bad(last_seq, f"record {last_seq} was altered (it does not match the head)")
    if key is not None and not _seal_matches(seal, head_seal(key, head_seq, head_hash)):
        raise _Bad(last_seq, "the head's seal does not match the key (head or newest records replaced)")
    return head_seq, head_hash


def _missing_triggers(conn: sqlite3.Connection) -> tuple[str, ...]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = [t for t in PROTECTING_TRIGGERS if t not in present]
    return (f"append-only triggers missing: {', '.join(missing)}",) if missing else ()


def verify_connection(conn: sqlite3.Connection, key: bytes | None = None) -> AuditVerifyResult:
    """Verify the chain in ``conn``; with ``key``, the seals as well. A store SQLite cannot read to the end
    (a damaged file, a dropped table or column) raises :class:`AuditError`: it is never reported intact."""
    sealed = key is not None
    try:
        total = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        warnings = _missing_triggers(conn)
        last_seq, last_hash = _check_records(conn, key)
        head_seq, head_hash = _check_head(conn, key, last_seq, last_hash)
    except _Bad as bad:
        return AuditVerifyResult(False, total, bad.seq, bad.problem, sealed=sealed, warnings=warnings)
    except sqlite3.Error as exc:
        raise AuditError(f"the audit store cannot be read to the end, so it cannot be verified: {exc}") from None
    return AuditVerifyResult(True, total, head_seq=head_seq, head_hash=head_hash, sealed=sealed, warnings=warnings)
