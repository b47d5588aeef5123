"""Verification error rates from genuine and impostor distances (smaller distance = more alike).

A failure to acquire is an infinite distance: it never matches, so it counts as a false non-match in a
genuine pair and as a correct rejection in an impostor pair (ISO/IEC 19795-1 "FNMR including FTA").
"""

from __future__ import annotations

import numpy as np

FMR_TARGETS = {"1e-2": 1e-2, "1e-3": 1e-3, "1e-4": 1e-4}


def fmr_fnmr(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:
    """(FMR, FNMR) when a pair matches if its distance <= threshold."""
    fmr = float(np.mean(impostor <= threshold)) if impostor.size else float("nan")
    fnmr = float(np.mean(genuine > threshold)) if genuine.size else float("nan")
    return fmr, fnmr


def threshold_for_fmr(impostor: np.ndarray, target: float) -> float:
    """The largest threshold whose FMR on these impostors is at most ``target``."""
    imp = np.sort(impostor[np.isfinite(impostor)])
    if imp.size == 0:
        return float("inf")
    allowed = int(np.floor(target * impostor.size))  # impostor false matches allowed
    if allowed >= imp.size:
        return float(imp[-1])
    return float(np.nextafter(imp[allowed], -np.inf))


def fnmr_at_fmr(genuine: np.ndarray, impostor: np.ndarray, target: float) -> dict[str, float] | None:
    """FNMR at the threshold giving FMR <= target; None when there are fewer than 1/target impostors."""
    if impostor.size * target < 1.0:
        return None
    t = threshold_for_fmr(impostor, target)
    fmr, fnmr = fmr_fnmr(genuine, impostor, t)
    return {"threshold": t, "fmr": fmr, "fnmr": fnmr}


def det_curve(
    genuine: np.ndarray, impostor: np.ndarray, points: int = 400
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, FMR, FNMR) over the range of finite distances."""
    finite = np.concatenate([genuine[np.isfinite(genuine)], impostor[np.isfinite(impostor)]])
    thresholds = np.quantile(finite, np.linspace(0.0, 1.0, points)) if finite.size else np.array([0.0])
    imp = np.sort(impostor)
    gen = np.sort(genuine)
    fmr = np.searchsorted(imp, thresholds, side="right") / max(1, imp.size)
    fnmr = 1.0 - np.searchsorted(gen, thresholds, side="right") / max(1, gen.size)
    return thresholds, fmr, fnmr


def eer(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Equal error rate (mean of FMR and FNMR where they cross)."""
    _, fmr, fnmr = det_curve(genuine, impostor, points=2000)
    i = int(np.argmin(np.abs(fmr - fnmr)))
    return float((fmr[i] + fnmr[i]) / 2.0)


def summary(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> dict[str, object]:
    """The metrics block of ``egate bench match --json``."""
    fmr, fnmr = fmr_fnmr(genuine, impostor, threshold)
    return {
        "genuine": int(genuine.size),
        "impostor": int(impostor.size),
        "threshold": threshold,
        "fmr": fmr,
        "fnmr": fnmr,
        "eer": eer(genuine, impostor),
        "fnmr_at_fmr": {key: fnmr_at_fmr(genuine, impostor, t) for key, t in FMR_TARGETS.items()},
    }
