"""Presentation-attack detection figures in ISO/IEC 30107-3 terms.

Simulated presentations (streams of frames) are scored at the capture decision and at the end of the PAD
time budget; APCER per attack type and BPCER are counted at the configured threshold. Still images in two
folders (bona fide, attack) are scored one frame each: failures to acquire apart, APCER and BPCER of the
fused score and of its parts (learned model alone, cues alone)."""

from __future__ import annotations

import fnmatch
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from biometrics.capture import CaptureSession
from biometrics.images import ImageError, decode_image
from biometrics.pad import PadResult, evaluate, fused_score, noisy_or
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
                "parts": _part_errors(scored, kind != bona_fide, threshold),
            }
        row["no_decision"] = sum(p.at_decision is None for p in items)
        out[kind] = row
    return out


def _part_errors(scored: Sequence[PadResult], attack: bool, threshold: float) -> dict[str, object]:
    """What the learned model alone and the cues alone would have decided (results with the evidence)."""
    parts = [part_scores(r) for r in scored if r.evidence]
    out: dict[str, object] = {}
    for name in ("model", "cues"):
        values = [p[name] for p in parts]
        flagged = sum(v >= threshold for v in values)
        out[name] = {"errors": (len(values) - flagged) if attack else flagged,
                     "scores": [round(v, 3) for v in values]}
    return out


# ------------------------------------------------------------------------------ still images in folders

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm")
# BSI TR-03121-3: at most 2 % of bona fide presentations falsely flagged.
MAX_BPCER = 0.02
SCORERS = ("fused", "model", "cues")


@dataclass(frozen=True)
class ImageScore:
    """One still image (one frame): the PAD result, or None when no usable face was found (FTA)."""

    name: str
    result: PadResult | None

    @property
    def acquired(self) -> bool:
        return self.result is not None and self.result.deciding_cue not in ("no_face", "not_scored")


def folder_images(folder: Path, include: Sequence[str] = ()) -> list[Path]:
    """The image files of ``folder`` (sorted), only those whose name matches one of ``include`` if given."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if include:
        files = [p for p in files if any(fnmatch.fnmatch(p.name, pat) for pat in include)]
    return files


def read_upright(path: Path) -> np.ndarray:
    """An image file as RGB, turned upright as its EXIF orientation says (photographs from phones and
    cameras are often stored sideways); ImageError if it is not an image."""
    data = path.read_bytes()
    rgb = decode_image(data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            orientation = int(img.getexif().get(EXIF_ORIENTATION, 1))
    except (OSError, ValueError, SyntaxError):
        orientation = 1
    return np.ascontiguousarray(_orient(rgb, orientation))


EXIF_ORIENTATION = 0x0112


def _orient(rgb: np.ndarray, orientation: int) -> np.ndarray:
    if orientation in (5, 6, 7, 8):
        rgb = np.rot90(rgb, k=-1 if orientation in (5, 6) else 1)
        if orientation in (5, 7):
            rgb = rgb[:, ::-1]
    elif orientation == 2:
        rgb = rgb[:, ::-1]
    elif orientation == 3:
        rgb = rgb[::-1, ::-1]
    elif orientation == 4:
        rgb = rgb[::-1]
    return rgb


def score_image(rgb: np.ndarray, settings: BiometricSettings) -> PadResult | None:
    """PAD on one still image as on a one-frame capture window; None when it shows no single face."""
    session = CaptureSession(settings)
    session.feed(rgb, 0.0)
    if not session.pad_samples:
        return None
    result = evaluate(session.pad_samples, settings.pad_threshold)
    session.clear()
    return result


def score_folder(
    folder: Path, settings: BiometricSettings, include: Sequence[str] = ()
) -> list[ImageScore]:
    """Every image of a folder scored; an unreadable file counts as a failure to acquire."""
    out = []
    for path in folder_images(folder, include):
        try:
            result = score_image(read_upright(path), settings)
        except ImageError:
            result = None
        out.append(ImageScore(path.name, result))
    return out


def part_scores(result: PadResult) -> dict[str, float]:
    """The fused PAD score and what the learned model alone and the cues alone would score (each a noisy
    OR of its own evidence, as ``pad.fused_score`` combines them)."""
    e = result.evidence
    cues = noisy_or({k: v for k, v in e.items() if k != "learned_model"})
    return {"fused": result.score, "model": e["learned_model"], "cues": cues}


def threshold_for_bpcer(bona_scores: Sequence[float], max_bpcer: float = MAX_BPCER) -> float:
    """The lowest threshold that flags at most ``max_bpcer`` of the bona fide scores (a score flags when
    it is at or above the threshold)."""
    s = np.sort(np.asarray(bona_scores, dtype=np.float64))[::-1]
    if s.size == 0:
        return 0.5
    allowed = int(np.floor(max_bpcer * s.size + 1e-9))
    if allowed >= s.size:
        return 0.0
    return float(np.nextafter(s[allowed], np.inf))


def distribution(scores: Sequence[float]) -> dict[str, float | int]:
    q = np.percentile(scores, [0, 5, 25, 50, 75, 95, 100]) if len(scores) else [np.nan] * 7
    keys = ("min", "p5", "p25", "median", "p75", "p95", "max")
    return {"n": len(scores), **{k: round(float(v), 4) for k, v in zip(keys, q, strict=True)}}


def rates(bona: Sequence[float], attack: Sequence[float], threshold: float) -> dict[str, float | None]:
    return {
        "threshold": threshold,
        "apcer": float(np.mean(np.asarray(attack) < threshold)) if len(attack) else None,
        "bpcer": float(np.mean(np.asarray(bona) >= threshold)) if len(bona) else None,
    }


def folder_report(
    bona: Sequence[ImageScore],
    attack: Sequence[ImageScore],
    threshold: float,
    chosen: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """ISO/IEC 30107-3 figures over still images: counts, failures to acquire (not scored, counted apart),
    APCER and BPCER of the fused score at ``threshold``; per scorer (fused, model alone, cues alone) the
    rates at ``threshold``, at the threshold that gives BPCER <= 2 % on these images, and at ``chosen``
    thresholds (set on other, development data), and the score distributions."""
    scored = {
        kind: [part_scores(i.result) for i in items if i.acquired and i.result is not None]
        for kind, items in (("bona_fide", bona), ("attack", attack))
    }
    fused = rates([s["fused"] for s in scored["bona_fide"]], [s["fused"] for s in scored["attack"]], threshold)
    report: dict[str, object] = {
        "bona_fide": len(bona),
        "attack": len(attack),
        "fta": {"bona_fide": sum(not i.acquired for i in bona), "attack": sum(not i.acquired for i in attack)},
        "threshold": threshold,
        "apcer": fused["apcer"],
        "bpcer": fused["bpcer"],
    }
    per_scorer: dict[str, object] = {}
    distributions: dict[str, object] = {}
    for name in SCORERS:
        b = [s[name] for s in scored["bona_fide"]]
        a = [s[name] for s in scored["attack"]]
        row = {"at_threshold": rates(b, a, threshold), "at_bpcer_2pct": rates(b, a, threshold_for_bpcer(b))}
        if chosen is not None:
            row["at_chosen"] = rates(b, a, chosen[name])
        per_scorer[name] = row
        distributions[name] = {"bona_fide": distribution(b), "attack": distribution(a)}
    report["scorers"] = per_scorer
    report["scores"] = distributions
    report["deciding_cues"] = _deciding_counts(bona, attack)
    return report


def _deciding_counts(bona: Sequence[ImageScore], attack: Sequence[ImageScore]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind, items in (("bona_fide", bona), ("attack", attack)):
        counts: dict[str, int] = {}
        for i in items:
            if i.acquired and i.result is not None and i.result.attack:
                counts[i.result.deciding_cue] = counts.get(i.result.deciding_cue, 0) + 1
        out[kind] = counts
    return out


def choose_model_centre(bona: Sequence[ImageScore], threshold: float, max_bpcer: float = MAX_BPCER) -> float:
    """The largest ``pad.MODEL_CENTRE`` (0.05 steps) at which the fused score flags at most ``max_bpcer``
    of these bona fide images at ``threshold``: the learned cue's operating point, set on development
    data. The fused score rises with the centre, so the largest admissible one flags the most attacks."""
    cues = [i.result.cues for i in bona if i.acquired and i.result is not None]
    best = CENTRE_GRID[0]
    for centre in CENTRE_GRID:
        flagged = sum(
            fused_score(c["model_margin"], c["spectral_peaks"], c["blink_depth"], centre) >= threshold
            for c in cues
        )
        if cues and flagged > max_bpcer * len(cues) + 1e-9:
            break
        best = float(centre)
    return round(best, 2)


CENTRE_GRID = np.arange(-12.0, 12.0001, 0.05)
