"""`egate bench lists` runs end to end on a slice of the dev data (the full run takes minutes)."""

from __future__ import annotations

from pathlib import Path

from conftest import shared_data

from gatectl.lists.benchmark import run_quality, run_speed
from gatectl.lists.evaluation import VARIANT_KINDS, positive_queries, read_rows, synthetic_entries


def _slice(src: Path, dst: Path, rows: int) -> Path:
    dst.write_text(
        "".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[: rows + 1]), encoding="utf-8"
    )
    return dst


def test_bench_lists_on_a_slice(tmp_path: Path) -> None:
    positives = _slice(shared_data("lists", "positives_us_congress_untreated.csv"), tmp_path / "p.csv", 40)
    negatives = _slice(shared_data("lists", "negatives_us.csv"), tmp_path / "n.csv", 400)
    quality = run_quality(positives, negatives, 0.86, seed=9)
    everything = quality["at_threshold"]["all"]
    assert everything["positive_queries"] == 40 * len(VARIANT_KINDS) and everything["negatives"] == 400
    assert everything["recall"] > 0.9 and everything["false_hits"] <= 1
    assert quality["list_version"].startswith("dev-positives@") and len(quality["tuning_sweep"]) == 16
    speed = run_speed(positives, negatives, entries=3000, queries=60, threshold=0.86, seed=9)
    assert speed["entries"] == 3000 and speed["queries"] == 60 and speed["p99_ms"] > 0


def test_generated_data_is_deterministic(tmp_path: Path) -> None:
    rows = read_rows(shared_data("lists", "positives_us_congress_untreated.csv"))[:20]
    assert positive_queries(rows, seed=9) == positive_queries(rows, seed=9)
    negatives = read_rows(shared_data("lists", "negatives_us.csv"))[:200]
    assert list(synthetic_entries(negatives, 50, seed=9)) == list(synthetic_entries(negatives, 50, seed=9))
