"""Calibration of the operating threshold for a target false match rate.

The threshold is the largest distance at which the impostor comparisons of a labelled face set match at
most ``target_fmr`` of the time. With LFW (``egate bench match --images ../shared/data/lfw/images``) every
pair of images of different people is an impostor comparison, so millions of comparisons pin down an FMR of
1e-3 or 1e-4 far better than the 2,100 impostor pairs of the View-2 protocol (docs/biometrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biometrics import metrics
from biometrics.matcher import distance_matrix


@dataclass(frozen=True)
class Calibration:
    target_fmr: float
    threshold: float
    impostor_comparisons: int
    genuine_comparisons: int
    fnmr: float  # on the genuine comparisons of the same set, at that threshold

    def as_dict(self) -> dict[str, float | int]:
        return {
            "target_fmr": self.target_fmr,
            "threshold": self.threshold,
            "impostor_comparisons": self.impostor_comparisons,
            "genuine_comparisons": self.genuine_comparisons,
            "fnmr": self.fnmr,
        }


def cross_person_scores(
    vectors: np.ndarray, people: list[str], block: int = 1024, *, keep_failures: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) distances of every unordered pair of rows, vectorised block by block.

    Rows with NaN (no face) are left out, or with ``keep_failures`` kept at an infinite distance, so that a
    failure to acquire counts as a non-match.
    """
    failed = np.isnan(vectors[:, 0])
    rows = np.ones(len(vectors), bool) if keep_failures else ~failed
    vec = np.nan_to_num(vectors[rows].astype(np.float64), nan=0.0)
    bad = failed[rows]
    labels = np.unique(np.asarray(people)[rows], return_inverse=True)[1]
    genuine, impostor = [], []
    n = len(vec)
    for start in range(0, n, block):
        stop = min(n, start + block)
        d = distance_matrix(vec[start:stop], vec[start:])
        d[bad[start:stop], :] = np.inf
        d[:, bad[start:]] = np.inf
        ri = np.arange(start, stop)[:, None]
        cj = np.arange(start, n)[None, :]
        upper = cj > ri
        same = labels[ri] == labels[cj]
        genuine.append(d[upper & same].astype(np.float32))
        impostor.append(d[upper & ~same].astype(np.float32))
    return np.concatenate(genuine), np.concatenate(impostor)


def calibrate(genuine: np.ndarray, impostor: np.ndarray, target_fmr: float) -> Calibration:
    """The threshold for ``target_fmr`` on these impostor distances (needs at least 10 / target of them)."""
    if impostor.size * target_fmr < 10:
        raise ValueError(f"{impostor.size} impostor comparisons are too few for FMR {target_fmr:g}")
    threshold = metrics.threshold_for_fmr(impostor, target_fmr)
    _, fnmr = metrics.fmr_fnmr(genuine, impostor, threshold)
    return Calibration(target_fmr, threshold, int(impostor.size), int(genuine.size), fnmr)
