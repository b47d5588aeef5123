"""Presentation-attack detection from an ordinary RGB camera: passive cues over a short frame sequence.

Cues, each turned into evidence in [0, 1]:

* liveness (against a print): a blink, the eye aspect ratio dipping and recovering within the window;
  and parallax: a homography fitted between the landmarks of frames half a second apart leaves a residual
  for a live head (depth, non-rigid motion) and almost none for a photo or a screen moved as one plane
  (measured and reported; see ``evaluate`` for why it is not weighted).
* screen replay and print: a display's pixel grid beats with the camera's sampling into moire, and a
  print's halftone screen is periodic too: both show as isolated peaks in the high-frequency spectrum of
  the face region, which skin, hair and lens blur do not produce. A replayed clip at another frame rate
  than the camera's repeats frames (measured and reported). The black level (ink and lit displays have
  no deep blacks) is reported.

The attack score combines them (the artefact evidence, raised when there is no blink) and is normalised
to [0, 1]: 0 bona fide, 1 attack. It is for the gate's decision and the officer, never for the
traveller's screen. These are heuristics with known limits (docs/biometrics.md): a 3-D mask, a high-quality
print without halftone, or a replay on a high-density screen further away may pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from biometrics.capture import PadSample


@dataclass(frozen=True)
class PadResult:
    """``score`` in [0, 1] (1 = attack); ``cues`` the evidence behind it, for the officer and the audit."""

    score: float
    threshold: float
    cues: dict[str, float]
    frames: int

    @property
    def attack(self) -> bool:
        return self.score >= self.threshold

    def reasons(self) -> list[str]:
        verdict = "presentation attack suspected" if self.attack else "bona fide"
        lines = [
            f"{verdict}: PAD score {self.score:.2f} (threshold {self.threshold:.2f}, {self.frames} frames)"
        ]
        lines += [f"{k}: {v:.3f}" for k, v in sorted(self.cues.items())]
        return lines


# ------------------------------------------------------------------------------------------ features


def blink_depth(ears: Sequence[float]) -> float:
    """How far the eye aspect ratio dipped below its open-eye level and came back: 0 none, 0.5+ a blink."""
    e = np.asarray(ears, dtype=np.float64)
    if e.size < 5:
        return 0.0
    baseline = float(np.percentile(e, 75))
    if baseline <= 0:
        return 0.0
    low = int(np.argmin(e))
    recovered = bool(np.any(e[low + 1 :] > 0.85 * baseline)) and bool(np.any(e[:low] > 0.85 * baseline))
    return float(1.0 - e[low] / baseline) if recovered else 0.0


def canonical_face(sample: PadSample, iod_px: float = 16.0, size: int = 32) -> np.ndarray | None:
    """The face crop brought to a small canonical frame by the similarity transform that puts the eyes
    level, ``iod_px`` apart, at fixed places (float32, mean removed); None when the eyes are not usable.

    Downscaling first (area averaging) removes sensor and JPEG noise and makes crops of different frames
    comparable pixel for pixel whatever the face's motion in the frame."""
    g = sample.face_gray
    p = np.asarray(sample.points, dtype=np.float64) - np.asarray(sample.origin, dtype=np.float64)
    right, left = p[36:42].mean(0), p[42:48].mean(0)
    d = left - right
    iod = float(np.hypot(*d))
    if iod < 4 or min(g.shape) < 8:
        return None
    k = iod_px / iod
    small = cv2.resize(g, None, fx=min(1.0, k), fy=min(1.0, k), interpolation=cv2.INTER_AREA)
    k_small = small.shape[1] / g.shape[1]
    angle = np.degrees(np.arctan2(d[1], d[0]))
    centre = (right + left) / 2 * k_small
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle), float(k / k_small))
    m[0, 2] += size / 2 - centre[0]
    m[1, 2] += size * 0.3 - centre[1]
    out = cv2.warpAffine(small.astype(np.float32), m, (size, size), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    return out - float(out.mean())


def frame_repetition(samples: Sequence[PadSample], ratio: float = 0.35) -> float:
    """Share of consecutive sample pairs whose canonical face crops are nearly identical: the mean absolute
    difference below ``ratio`` times the median over the window.

    A replayed video seldom runs at the camera's frame rate: a 10 frames/s clip shown to a 15 frames/s
    camera repeats every other displayed frame, so about a third of consecutive camera frames show the
    same face (moved only as the phone moves, which the canonical crop removes). A live face changes a
    little in every frame. Needs consecutive camera frames: frames skipped by a busy loop hide it."""
    crops = [canonical_face(s) for s in samples]
    diffs = []
    for a, b in itertools.pairwise(crops):
        if a is not None and b is not None:
            diffs.append(float(np.mean(np.abs(a - b))))
    if len(diffs) < 6:
        return 0.0
    d = np.asarray(diffs)
    med = float(np.median(d))
    if med <= 1e-6:
        return 1.0
    return float(np.mean(d < ratio * med))


# The landmarks that a blink or a talking mouth does not move relative to the skull: brows, nose, eye
# corners, mouth corners (jaw contour points slide along the jaw and are the noisiest).
RIGID_POINTS = np.array([17, 19, 21, 22, 24, 26, 27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45, 48, 54])


def planar_residual(points: Sequence[np.ndarray], lag: int = 8, subset: np.ndarray | None = None) -> float:
    """Parallax: the median over frame pairs ``lag`` samples apart of the RMS residual of the homography
    fitted (RANSAC) between their landmarks, in inter-eye distances. A photo or a screen moved as one
    plane fits a homography up to landmark noise; a live face's points do not lie on one plane and move
    non-rigidly, so its residual is larger. Averaging over many pairs beats the landmark noise down."""
    pts = [np.asarray(p, dtype=np.float64) for p in points]
    if len(pts) <= lag:
        lag = max(1, len(pts) // 2)
    if len(pts) < 3:
        return 0.0
    idx = RIGID_POINTS if subset is None else subset
    residuals = []
    for a, b in zip(pts[:-lag], pts[lag:], strict=True):
        iod = float(np.linalg.norm(a[42:48].mean(0) - a[36:42].mean(0)))
        if iod <= 0:
            continue
        src, dst = a[idx], b[idx]
        h, _ = cv2.findHomography(src, dst, cv2.RANSAC, 0.03 * iod)
        if h is None:
            continue
        proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
        residuals.append(float(np.sqrt(np.mean(np.sum((proj - dst) ** 2, axis=1)))) / iod)
    return float(np.median(residuals)) if residuals else 0.0


def periodic_peaks(face_gray: np.ndarray) -> float:
    """Strength of isolated peaks in the high-frequency spectrum of the face (moire, pixel grid, halftone):
    the ratio of the strongest high-band magnitude to the band's median, in log10 units.

    ``face_gray`` must be at the camera's resolution (not resampled): the harmonics of JPEG's 8x8 block
    grid, which an MJPEG camera puts in every frame, sit at multiples of 1/8 cycle per pixel and are masked.
    """
    g = face_gray.astype(np.float32)
    if min(g.shape) < 32:
        return 0.0
    g = g - cv2.GaussianBlur(g, (0, 0), 3.0)  # keep texture, drop shading
    win = np.outer(np.hanning(g.shape[0]), np.hanning(g.shape[1])).astype(np.float32)
    spec = np.abs(np.fft.fftshift(np.fft.fft2(g * win)))
    h, w = spec.shape
    fy = (np.arange(h) - h // 2)[:, None] / h  # cycles per pixel
    fx = (np.arange(w) - w // 2)[None, :] / w
    r = np.hypot(fy, fx)
    near_block_grid = (np.abs(fy * 8 - np.round(fy * 8)) * h / 8 < 1.6) & (
        np.abs(fx * 8 - np.round(fx * 8)) * w / 8 < 1.6
    )
    band = spec[(r > 0.12) & (r < 0.45) & ~near_block_grid]
    if band.size == 0:
        return 0.0
    return float(np.log10(np.max(band) / max(1e-6, np.median(band))))


def dynamic_range(face_gray: np.ndarray) -> float:
    """The 2nd percentile of the face's luma: a live face in shadow gets near black, print ink and a lit
    display do not."""
    return float(np.percentile(face_gray, 2)) if face_gray.size else 0.0


# ------------------------------------------------------------------------------------------- scoring


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def evaluate(samples: Sequence[PadSample], threshold: float = 0.5) -> PadResult:
    """The PAD score of a sequence of face samples from a capture session (oldest first).

    Weighted: the spectral artefacts (screen grid, moire, halftone) and the absence of a blink. Measured
    and reported but not weighted, because on the simulated scenes they do not separate bona fide from
    attack presentations (docs/biometrics.md): the planar residual (parallax), repeated frames and the
    black level.
    """
    samples = list(samples)
    if not samples:
        return PadResult(1.0, threshold, {}, 0)
    blink = blink_depth([s.eye_aspect_ratio for s in samples])
    planar = planar_residual([s.points for s in samples])
    repeated = frame_repetition(samples)
    peaks = float(np.median([periodic_peaks(s.face_gray) for s in samples[-8:]]))
    black = float(np.median([dynamic_range(s.face_gray) for s in samples[-8:]]))
    cues = {
        "blink_depth": blink,
        "planar_residual": planar,
        "frame_repetition": repeated,
        "spectral_peaks": peaks,
        "black_level": black,
    }
    life = _ramp(blink, *BLINK)
    artefact = _ramp(peaks, *PEAKS)
    score = 1.0 - (1.0 - artefact) * (1.0 - NO_LIFE_WEIGHT * (1.0 - life))
    return PadResult(float(np.clip(score, 0.0, 1.0)), threshold, cues, len(samples))


# Ramps (no evidence below the first value, full evidence above the second), set on the simulated scenes
# and LFW photographs: bona fide spectral peaks 0.8-1.75, print 1.6-2.4 (median of frames ~2.1),
# replay 2.2-2.4; landmark noise alone gives blink depths up to ~0.3, a blink 0.45 and more.
BLINK = (0.35, 0.5)
PEAKS = (1.8, 2.2)
# Not blinking within the window is weak evidence (people blink every few seconds, not every second).
NO_LIFE_WEIGHT = 0.3
