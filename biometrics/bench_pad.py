"""Presentation-attack detection figures in ISO/IEC 30107-3 terms: each presentation (a stream of frames)
is scored at the capture decision and at the end of the PAD time budget; APCER per attack type and BPCER
are counted at the configured threshold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from biometrics.capture import CaptureSession
from biometrics.pad import PadResult, evaluate
from biometrics.settings import BiometricSettings


@dataclass(frozen=True)
class PresentationScores:
    """One presentation: the PAD result when the capture session was ready (None if it never was) and at
    the end of the budget."""

    at_decision: PadResult | None
    at_budget: PadResult
    frames: int


def score_presentation(
    frames: Iterable[tuple[float, np.ndarray]], settings: BiometricSettings, budget_s: float = 10.0
) -> PresentationScores:
    """Feed every RGB frame (timestamped) to a capture session until ``budget_s`` has passed."""
    session = CaptureSession(settings)
    at_decision: PadResult | None = None
    start: float | None = None
    n = 0
    for t, frame in frames:
        start = t if start is None else start
        if t - start > budget_s:
            break
        session.feed(frame, t)
        n += 1
        if at_decision is None and session.ready:
            at_decision = evaluate(session.pad_samples, settings.pad_threshold)
    at_budget = evaluate(session.pad_samples, settings.pad_threshold)
    session.clear()
    return PresentationScores(at_decision, at_budget, n)


def error_rates(
    results: Mapping[str, Sequence[PresentationScores]], bona_fide: str, threshold: float
) -> dict[str, dict[str, object]]:
    """Per presentation kind and moment ("decision", "budget"): the error rate (BPCER for ``bona_fide``,
    APCER for each attack), the counts behind it, and the mean of each cue.

    A presentation that never reached a decision is scored at the budget for the "decision" moment too
    (a gate without a capture rejects anyway, so this only matters for the figures)."""
    out: dict[str, dict[str, object]] = {}
    for kind, items in results.items():
        row: dict[str, object] = {"presentations": len(items)}
        for moment in ("decision", "budget"):
            scored = [
                (p.at_decision if moment == "decision" and p.at_decision is not None else p.at_budget)
                for p in items
            ]
            flagged = sum(r.score >= threshold for r in scored)
            errors = (len(scored) - flagged) if kind != bona_fide else flagged
            cues = sorted({k for r in scored for k in r.cues})
            row[moment] = {
                "metric": "BPCER" if kind == bona_fide else "APCER",
                "errors": errors,
                "rate": errors / len(scored) if scored else None,
                "scores": [round(r.score, 3) for r in scored],
                "cue_means": {k: float(np.mean([r.cues.get(k, np.nan) for r in scored])) for k in cues},
            }
        row["no_decision"] = sum(p.at_decision is None for p in items)
        out[kind] = row
    return out
