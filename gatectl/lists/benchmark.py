"""``egate bench lists``: watchlist recall and false hits on the dev data, query time at a million entries.

Quality: the dev positives (``positives_us_congress_untreated.csv``) are imported as the watchlist; each
person is screened once per alteration kind of :mod:`gatectl.lists.evaluation` and counts as found when
their own entry scores at or above the threshold. Every dev negative (``negatives_us.csv``: name, birth date,
nationality) is screened as a traveller; any hit is a false hit. People are split by a hash of their name
into a tuning part and a held-out part (30 %); the threshold sweep reads the tuning part only.

Speed: a temporary store holds the positives plus synthetic people up to ``entries`` (see
:func:`gatectl.lists.evaluation.synthetic_entries`); a sample of positive queries and negatives is screened
against it after a warm-up, timing each screening (candidates, prefilter, scoring) on one core: wall-clock
time, and the process's CPU time, which a busy machine disturbs less.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from gatectl.lists.evaluation import (
    VARIANT_KINDS,
    Query,
    held_out,
    negative_queries,
    positive_queries,
    read_rows,
    synthetic_entries,
)
from gatectl.lists.importers import read_watchlist_csv
from gatectl.lists.store import ListStore

SWEEP = [round(0.80 + 0.01 * i, 2) for i in range(16)]
FALSE_HIT_GOAL = 0.0001  # 0.01 %
WARM_UP_QUERIES = 200


def _entry_id(row: int) -> str:
    return f"line-{row + 1}"  # the CSV importer's id for data row ``row`` (line 1 is the header)


def score_queries(store: ListStore, positives: list[Query], negatives: list[Query]) -> tuple[list, list]:
    """(query, score of the person's own entry) for positives, (query, best score) for negatives."""
    pos = []
    for q in positives:
        want = _entry_id(q.row)
        hits = store.score_watchlist(q.name, q.birth, q.nationality)
        pos.append((q, max((h.score for h in hits if h.entry_id == want), default=0.0)))
    neg = []
    for q in negatives:
        hits = store.score_watchlist(q.name, q.birth, q.nationality)
        neg.append((q, hits[0].score if hits else 0.0))
    return pos, neg


def rates(pos: list, neg: list, threshold: float) -> dict:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for q, s in pos:
        by_kind[q.kind].append(s)
    found = sum(s >= threshold for _, s in pos)
    false_hits = sum(s >= threshold for _, s in neg)
    return {
        "threshold": threshold,
        "positive_queries": len(pos),
        "recall": round(found / len(pos), 5) if pos else None,
        "recall_by_kind": {k: round(sum(s >= threshold for s in v) / len(v), 4) for k, v in by_kind.items()},
        "negatives": len(neg),
        "false_hits": false_hits,
        "false_hit_rate": round(false_hits / len(neg), 6) if neg else None,
    }


def run_quality(positives_csv: Path, negatives_csv: Path, threshold: float, seed: int) -> dict:
    pos_rows, neg_rows = read_rows(positives_csv), read_rows(negatives_csv)
    with tempfile.TemporaryDirectory(prefix="egate-bench-lists-") as tmp:
        store = ListStore(Path(tmp) / "lists.sqlite", threshold)
        report = store.import_file("watchlist", positives_csv, "dev-positives")
        started = time.perf_counter()
        pos, neg = score_queries(store, positive_queries(pos_rows, seed), negative_queries(neg_rows))
        elapsed = time.perf_counter() - started
        store.close()
    held = {n for n, r in enumerate(pos_rows, start=1) if held_out(r["full_name"])}
    split = {
        "tuning": ([p for p in pos if p[0].row not in held], [n for n in neg if not held_out(n[0].name)]),
        "held_out": ([p for p in pos if p[0].row in held], [n for n in neg if held_out(n[0].name)]),
        "all": (pos, neg),
    }
    tuning_pos, tuning_neg = split["tuning"]
    sweep = [rates(tuning_pos, tuning_neg, t) for t in SWEEP]
    within_goal = [r for r in sweep if r["false_hit_rate"] <= FALSE_HIT_GOAL]
    best = (
        max(within_goal, key=lambda r: (r["recall"], -r["threshold"]))["threshold"] if within_goal else None
    )
    return {
        "list_version": report.version,
        "variant_kinds": list(VARIANT_KINDS),
        "seed": seed,
        "screenings_per_second": round((len(pos) + len(neg)) / elapsed, 1),
        "at_threshold": {name: rates(p, n, threshold) for name, (p, n) in split.items()},
        "tuning_sweep": [
            {k: r[k] for k in ("threshold", "recall", "false_hits", "false_hit_rate")} for r in sweep
        ],
        "best_tuning_threshold": best,
        "false_hit_goal": FALSE_HIT_GOAL,
    }


def run_speed(
    positives_csv: Path, negatives_csv: Path, entries: int, queries: int, threshold: float, seed: int
) -> dict:
    pos_rows, neg_rows = read_rows(positives_csv), read_rows(negatives_csv)
    listed = read_watchlist_csv(positives_csv.read_bytes())
    with tempfile.TemporaryDirectory(prefix="egate-bench-lists-") as tmp:
        path = Path(tmp) / "lists.sqlite"
        store = ListStore(path, threshold)
        started = time.perf_counter()
        records = listed + list(synthetic_entries(neg_rows, max(0, entries - len(listed)), seed))
        store.apply("watchlist", "synthetic", records, b"synthetic", "synthetic")
        build_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        all_pos = positive_queries(pos_rows, seed)
        step = max(1, len(all_pos) // max(1, queries // 2))
        sample_pos = all_pos[::step][: queries // 2]
        sample_neg = negative_queries(neg_rows)[:: max(1, len(neg_rows) // max(1, queries // 2))][
            : queries // 2
        ]
        for q in sample_neg[:WARM_UP_QUERIES]:
            store.watchlist_hits(q.name, q.birth, q.nationality)
        times: list[float] = []
        cpu: list[float] = []
        found: dict[str, list[bool]] = defaultdict(list)
        for q in sample_pos + sample_neg:
            t0, c0 = time.perf_counter(), time.process_time()
            hits = store.watchlist_hits(q.name, q.birth, q.nationality)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            if q.row > 0:
                found[q.kind].append(any(h.entry_id == _entry_id(q.row) for h in hits))
        store.close()
    ms = sorted(t * 1000 for t in times)
    cpu_ms = sorted(t * 1000 for t in cpu)
    return {
        "entries": len(records),
        "build_s": round(build_s, 1),
        "db_mb": round(size_mb, 1),
        "queries": len(times),
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
        "p99_ms": round(ms[int(len(ms) * 0.99)], 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "cpu_p50_ms": round(cpu_ms[len(cpu_ms) // 2], 2),
        "cpu_p99_ms": round(cpu_ms[int(len(cpu_ms) * 0.99)], 2),
        "load_average": round(os.getloadavg()[0], 1),
        "recall_at_size": round(sum(map(sum, found.values())) / len(sample_pos), 4) if sample_pos else None,
        "recall_at_size_by_kind": {k: round(sum(v) / len(v), 4) for k, v in found.items()},
        "positive_queries": len(sample_pos),
    }
