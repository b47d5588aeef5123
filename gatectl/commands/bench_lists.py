"""``egate bench lists``: watchlist recall and false-hit rate on the dev data, query time at 1,000,000
entries (gatectl/lists/benchmark.py says how)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lists"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "lists",
        help="watchlist recall/false hits on the dev lists and query time at a million entries",
        description="Screen altered dev positives (reordered, typos, missing middle names, Cyrillic "
        "transcription, MRZ form, birth year off by one, combined) and the 50,000 dev negatives against the "
        "positives as a watchlist at the threshold; then time screenings against a synthetic list of "
        "--entries people (takes minutes at 1,000,000).",
    )
    p.add_argument("--positives", type=Path, default=DEFAULT_DATA / "positives_us_congress_untreated.csv")
    p.add_argument("--negatives", type=Path, default=DEFAULT_DATA / "negatives_us.csv")
    p.add_argument("--threshold", type=float, help="match threshold (default: the configured one)")
    p.add_argument("--config", help="gate configuration whose [lists] watchlist_threshold to use")
    p.add_argument(
        "--entries", type=int, default=1_000_000, help="size of the synthetic list (default 1,000,000)"
    )
    p.add_argument("--queries", type=int, default=4000, help="screenings timed at that size (default 4000)")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--no-speed", action="store_true", help="only recall and false hits")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatectl.commands.lists import UsageError, _settings
    from gatectl.lists.benchmark import run_quality, run_speed

    for path in (args.positives, args.negatives):
        if not path.is_file():
            print(f"egate bench lists: {path} not found (see ../shared/data/README.md)", file=sys.stderr)
            return 2
    try:
        _, threshold = _settings(args)
    except UsageError as exc:
        print(f"egate bench lists: {exc}", file=sys.stderr)
        return 2
    result = {"quality": run_quality(args.positives, args.negatives, threshold, args.seed)}
    if not args.no_speed:
        result["speed"] = run_speed(
            args.positives, args.negatives, args.entries, args.queries, threshold, args.seed
        )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_text(result)
    return 0


def _print_text(result: dict) -> None:
    q = result["quality"]
    for part, r in q["at_threshold"].items():
        print(f"{part:9s} threshold {r['threshold']}: recall {r['recall']:.2%} of {r['positive_queries']} queries, "
              f"false hits {r['false_hits']} of {r['negatives']} ({r['false_hit_rate']:.4%})")  # fmt: skip
    print(
        "recall by kind (all):",
        ", ".join(f"{k} {v:.1%}" for k, v in q["at_threshold"]["all"]["recall_by_kind"].items()),
    )
    print(
        "tuning sweep:",
        "; ".join(f"{r['threshold']}: {r['recall']:.2%}/{r['false_hits']}" for r in q["tuning_sweep"]),
    )
    print(f"best tuning threshold within {q['false_hit_goal']:.2%} false hits: {q['best_tuning_threshold']}")
    s = result.get("speed")
    if s:
        print(f"{s['entries']:,} entries (built in {s['build_s']} s, {s['db_mb']} MB): p50 {s['p50_ms']} ms, "
              f"p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms over {s['queries']} screenings; "
              f"recall at this size {s['recall_at_size']:.2%}; CPU time p50 {s['cpu_p50_ms']} ms, "
              f"p99 {s['cpu_p99_ms']} ms (load average {s['load_average']})")  # fmt: skip
