"""How fast the audit store appends (each record committed with synchronous=FULL) and verifies."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from gatectl.audit.file import verify_file
from gatectl.audit.log import AuditLog

STEPS_PER_TRANSACTION = 5  # begin + 5 steps + close = 7 records, like a traveller's transaction
_STEP_RESULT = {"document_type": "P", "issuer": "D", "passive_authentication": True, "face_distance": 0.41,
                "face_threshold": 0.54, "pad_score": 0.1, "list_versions": {"sltd": "1", "watchlist": "7"}}
_REASONS = [{"code": "cleared", "message": "All required checks passed.", "rule": None}]


def _transaction(log: AuditLog, timings: list[float]) -> None:
    t = time.perf_counter()
    tx = log.begin_transaction("BENCH-1")
    timings.append(time.perf_counter() - t)
    for i in range(STEPS_PER_TRANSACTION):
        t = time.perf_counter()
        log.record_step(tx, f"step_{i}", 1.0, 2.0, _STEP_RESULT)
        timings.append(time.perf_counter() - t)
    t = time.perf_counter()
    log.close_transaction(tx, "admit", _REASONS, {"random_referral": False})
    timings.append(time.perf_counter() - t)


def run_audit_bench(transactions: int, directory: str | None = None) -> dict[str, float | int]:
    """Append ``transactions`` transactions to a fresh store, then verify it with and without the key."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = Path(tmp) / "audit.sqlite"
        key = os.urandom(32)
        timings: list[float] = []
        with AuditLog(path, key) as log:
            started = time.perf_counter()
            for _ in range(transactions):
                _transaction(log, timings)
            append_s = time.perf_counter() - started
        t = time.perf_counter()
        keyed = verify_file(path, key)
        keyed_s = time.perf_counter() - t
        t = time.perf_counter()
        unkeyed = verify_file(path)
        unkeyed_s = time.perf_counter() - t
        size = path.stat().st_size
    timings.sort()
    return {
        "records": len(timings), "ok": keyed.ok and unkeyed.ok,
        "append_ms_p50": round(statistics.median(timings) * 1000, 3),
        "append_ms_p99": round(timings[int(0.99 * (len(timings) - 1))] * 1000, 3),
        "appends_per_s": round(len(timings) / append_s),
        "verify_s_with_key": round(keyed_s, 3), "verify_s_without_key": round(unkeyed_s, 3),
        "verify_records_per_s": round(len(timings) / keyed_s), "bytes_per_record": round(size / len(timings)),
    }
