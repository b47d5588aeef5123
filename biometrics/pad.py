"""Presentation-attack detection from an ordinary RGB camera: a learned detector fused with passive cues
over the frames of the capture window.

Cues, each turned into evidence in [0, 1] (1 = attack):

* the learned detector (``biometrics.pad_net``, MiniFASNetV2-SE trained on CelebA-Spoof): its ``real -
  spoof`` margin on the face crop of each analysed frame, the median over the last second of frames.
* liveness (against a print): a blink, the eye aspect ratio dipping and recovering within the window;
  and parallax: a homography fitted between the landmarks of frames half a second apart leaves a residual
  for a live head (depth, non-rigid motion) and almost none for a photo or a screen moved as one plane
  (measured and reported; see ``evaluate`` for why it is not weighted).
* screen replay and print: a display's pixel grid beats with the camera's sampling into moire, and a
  print's halftone screen is periodic too: both show as isolated peaks in the high-frequency spectrum of
  the face region, which skin, hair and lens blur do not produce. A replayed clip at another frame rate
  than the camera's repeats frames (measured and reported). The black level (ink and lit displays have
  no deep blacks) is reported.

The PAD score fuses the weighted evidence as a noisy OR (``fused_score``), in [0, 1]: 0 bona fide, 1
attack; ``attack`` is ``score >= threshold``. How the fusion and its operating point were chosen on NUAA
development subjects is in docs/biometrics.md. The score is for the gate's decision and the officer,
never for the traveller's screen. Known limits (docs/biometrics.md): the learned model has seen prints and
screens of CelebA-Spoof, not this gate's camera; the cues are heuristics.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from biometrics.capture import PadSample


@dataclass(frozen=True)
class PadResult:
    """``score`` in [0, 1] (1 = attack); ``cues`` the measurements behind it, for the officer and the audit.

    ``evidence`` is each weighted cue's evidence in [0, 1] (``learned_model``, ``spectral_peaks``,
    ``no_blink``); ``deciding_cue`` names the cue the decision rests on: for an attack the one with the
    strongest weighted evidence, for a bona fide decision the learned model; ``no_face`` / ``not_scored``
    when there was nothing to score (then the score is 1: a presentation that could not be scored is never
    passed as bona fide). ``frames`` counts the samples
    the score saw, ``model_frames`` those the learned model scored."""

    score: float
    threshold: float
    cues: dict[str, float]
    frames: int
    evidence: dict[str, float] = field(default_factory=dict)
    deciding_cue: str = ""
    model_frames: int = 0

    @property
    def attack(self) -> bool:
        # Written so that a NaN score (a cue that could not be computed) counts as an attack.
        return not self.score < self.threshold

    def reasons(self) -> list[str]:
        verdict = "presentation attack suspected" if self.attack else "bona fide"
        lines = [
            f"{verdict}: PAD score {self.score:.2f} (threshold {self.threshold:.2f}, {self.frames} frames)"
        ]
        if self.deciding_cue == "no_face":
            lines.append("not scored: no frame with exactly one usable face")
        elif self.deciding_cue == "not_scored":
            lines.append("not scored: the learned model scored none of the frames (face too small or model unavailable)")
        elif self.deciding_cue:
            lines.append(f"rests on: {self.deciding_cue} (evidence {self.evidence[self.deciding_cue]:.2f})")
        if self.frames and self.model_frames < self.frames:
            lines.append(f"learned model scored {self.model_frames} of {self.frames} frames")
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


def model_evidence(margin: float, centre: float | None = None) -> float:
    """The learned detector's evidence of an attack: its spoof probability with the even point moved to
    ``centre`` (default ``MODEL_CENTRE``); the margin is a log-odds, so this is a logistic in the margin."""
    c = MODEL_CENTRE if centre is None else centre
    return float(1.0 / (1.0 + np.exp(np.clip(margin - c, -50.0, 50.0))))


def spectral_evidence(peaks: float) -> float:
    return _ramp(peaks, *PEAKS)


def no_blink_evidence(blink: float) -> float:
    return 1.0 - _ramp(blink, *BLINK)


def fused_score(
    model_margin: float | None, spectral_peaks: float, blink: float, centre: float | None = None
) -> float:
    """The PAD score from the three weighted cues (noisy OR: each cue can raise it, none can lower what
    another found). Falls with the model's margin and the blink depth, rises with the spectral peaks.
    ``model_margin`` None (nothing the model could score) gives 1: never bona fide unscored."""
    if model_margin is None:
        return 1.0
    return noisy_or(weighted_evidence(model_margin, spectral_peaks, blink, centre))


def noisy_or(evidence: dict[str, float]) -> float:
    """The noisy OR of cues' evidence, each scaled by its ``WEIGHTS`` entry; 1 if any evidence is NaN
    (degenerate landmarks or crop): never bona fide."""
    keep = 1.0
    for name, e in evidence.items():
        keep *= 1.0 - WEIGHTS[name] * e
    if not np.isfinite(keep):
        return 1.0
    return float(np.clip(1.0 - keep, 0.0, 1.0))


def weighted_evidence(
    model_margin: float, spectral_peaks: float, blink: float, centre: float | None = None
) -> dict[str, float]:
    """Each weighted cue's evidence in [0, 1], before its weight."""
    return {
        "learned_model": model_evidence(model_margin, centre),
        "spectral_peaks": spectral_evidence(spectral_peaks),
        "no_blink": no_blink_evidence(blink),
    }


def window_margin(samples: Sequence[PadSample]) -> tuple[float | None, int]:
    """The median of the learned model's margins over the last ``MODEL_FRAMES`` samples (those it
    scored), and how many it scored; (None, 0) when it scored none."""
    margins = [
        s.model_margin for s in samples[-MODEL_FRAMES:] if s.model_margin is not None and np.isfinite(s.model_margin)
    ]
    return (float(np.median(margins)) if margins else None), len(margins)


def evaluate(samples: Sequence[PadSample], threshold: float = 0.5) -> PadResult:
    """The PAD score of a sequence of face samples from a capture session (oldest first).

    Weighted: the learned detector, the spectral artefacts (screen grid, moire, halftone) and the absence
    of a blink. Measured and reported but not weighted, because on the simulated scenes they do not
    separate bona fide from attack presentations (docs/biometrics.md): the planar residual (parallax),
    repeated frames and the black level.
    """
    samples = list(samples)
    if not samples:
        return PadResult(1.0, threshold, {}, 0, {}, "no_face", 0)
    blink = blink_depth([s.eye_aspect_ratio for s in samples])
    peaks = float(np.median([periodic_peaks(s.face_gray) for s in samples[-8:]]))
    margin, scored = window_margin(samples)
    cues = {
        "blink_depth": blink,
        "planar_residual": planar_residual([s.points for s in samples]),
        "frame_repetition": frame_repetition(samples),
        "spectral_peaks": peaks,
        "black_level": float(np.median([dynamic_range(s.face_gray) for s in samples[-8:]])),
    }
    if margin is None:
        return PadResult(1.0, threshold, cues, len(samples), {}, "not_scored", 0)
    cues["model_margin"] = margin
    evidence = weighted_evidence(margin, peaks, blink)
    score = fused_score(margin, peaks, blink)
    # An attack rests on its strongest weighted evidence; a bona fide decision on the learned model: the
    # spectral cue can only find an attack or fail to, and a blink is rarely seen within the window.
    strongest = max(evidence, key=lambda k: WEIGHTS[k] * evidence[k])
    deciding = strongest if score >= threshold else "learned_model"
    return PadResult(score, threshold, cues, len(samples), evidence, deciding, scored)


# Ramps (no evidence below the first value, full evidence above the second), set on the simulated scenes
# and LFW photographs: bona fide spectral peaks 0.8-1.75, print 1.6-2.4 (median of frames ~2.1),
# replay 2.2-2.4; landmark noise alone gives blink depths up to ~0.3, a blink 0.45 and more.
BLINK = (0.35, 0.5)
PEAKS = (1.8, 2.2)
# Each weighted cue's weight in the noisy OR. Not blinking within the window is weak evidence (people
# blink every few seconds, not every second).
WEIGHTS = {"learned_model": 1.0, "spectral_peaks": 1.0, "no_blink": 0.3}
# The learned model's margins over the last second of frames (15 at 15 frames/s) are pooled by the median.
MODEL_FRAMES = 15
# Where the learned evidence is 0.5. Chosen on NUAA development subjects 0001-0005 (docs/biometrics.md).
MODEL_CENTRE = -4.8
