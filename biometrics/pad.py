"""Presentation-attack detection from an ordinary RGB camera: passive cues over a short frame sequence.

Cues, each turned into evidence in [0, 1]:

* liveness (against a print): a blink, the eye aspect ratio dipping and recovering within the window;
  and non-rigid micro-motion: the 68 landmarks of a live face do not move as one plane, so the residual
  of a homography fitted between frames should stay above that of a photo, which is one plane however it
  is moved (measured and reported; see ``evaluate`` for why it is not weighted).
* screen replay and print: a display's pixel grid beats with the camera's sampling into moire, and a
  print's halftone screen is periodic too: both show as isolated peaks in the high-frequency spectrum of
  the face region, which skin, hair and lens blur do not produce. The black level (ink and lit displays
  have no deep blacks) is reported.

The attack score combines them (the artefact evidence, raised when there is no blink) and is normalised
to [0, 1]: 0 bona fide, 1 attack. It is for the gate's decision and the officer, never for the
traveller's screen. These are heuristics with known limits (docs/biometrics.md): a 3-D mask, a high-quality
print without halftone, or a replay on a high-density screen further away may pass.
"""

from __future__ import annotations

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


def nonrigid_motion(points: Sequence[np.ndarray]) -> float:
    """Median residual (in inter-eye distances) of the best homography between each frame's landmarks and
    the first frame's: ~0 for a photo or a screen moved as a plane, larger for a live face."""
    if len(points) < 3:
        return 0.0
    ref = np.asarray(points[0], dtype=np.float64)
    iod = float(np.linalg.norm(ref[42:48].mean(0) - ref[36:42].mean(0)))
    if iod <= 0:
        return 0.0
    residuals = []
    for p in points[1:]:
        p = np.asarray(p, dtype=np.float64)
        h, _ = cv2.findHomography(p, ref, 0)
        if h is None:
            continue
        proj = cv2.perspectiveTransform(p.reshape(-1, 1, 2), h).reshape(-1, 2)
        residuals.append(float(np.sqrt(np.mean(np.sum((proj - ref) ** 2, axis=1)))) / iod)
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

    Weighted: the spectral artefacts (screen grid, moire, halftone) and the absence of a blink. Reported
    but not weighted, because on the simulated scenes they do not separate (docs/biometrics.md): the
    non-rigid landmark motion and the black level.
    """
    samples = list(samples)
    if not samples:
        return PadResult(1.0, threshold, {}, 0)
    blink = blink_depth([s.eye_aspect_ratio for s in samples])
    motion = nonrigid_motion([s.points for s in samples])
    peaks = float(np.median([periodic_peaks(s.face_gray) for s in samples[-8:]]))
    black = float(np.median([dynamic_range(s.face_gray) for s in samples[-8:]]))
    cues = {"blink_depth": blink, "nonrigid_motion": motion, "spectral_peaks": peaks, "black_level": black}
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
