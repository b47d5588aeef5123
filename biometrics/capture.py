"""Face capture from a stream of frames: per-frame analysis and best-frame selection over a time window.

Each frame is searched on a downscaled copy (long side ``detect_max_side``), and only when that finds
nobody at full resolution (a traveller still far away); landmarks, pose and quality are measured at full
resolution. A frame is *good* when exactly one face is near the camera (other faces much
smaller than the main one are people further back and are ignored) and every quality criterion passes.
From the first good frame the session keeps collecting for ``capture_window_s`` or until ``frames_kept``
good frames are held, whichever comes first; the kept frames live in memory only.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from biometrics import pad_net
from biometrics.detect import FaceBox, detect_hog
from biometrics.images import as_rgb, to_gray
from biometrics.landmarks import Landmarks, fit_landmarks
from biometrics.matcher import EncoderOptions, Template, encode
from biometrics.pose import HeadPose, PoseError, head_pose
from biometrics.quality import Instruction, QualityReport, assess
from biometrics.settings import BiometricSettings


@dataclass(frozen=True)
class FaceObservation:
    box: FaceBox
    landmarks: Landmarks
    pose: HeadPose
    quality: QualityReport


@dataclass(frozen=True)
class FrameAnalysis:
    """What one frame showed. ``instruction`` is None when the frame is good."""

    timestamp: float
    size: tuple[int, int]
    faces: tuple[FaceObservation, ...]
    instruction: Instruction | None

    @property
    def primary(self) -> FaceObservation | None:
        return self.faces[0] if self.faces else None

    @property
    def good(self) -> bool:
        return self.instruction is None


@dataclass(frozen=True)
class CapturedFrame:
    """A good frame kept for matching (in memory only; never ``repr``-ed)."""

    image: np.ndarray = field(repr=False)
    analysis: FrameAnalysis

    @property
    def face(self) -> FaceObservation:
        assert self.analysis.primary is not None
        return self.analysis.primary

    def template(self, options: EncoderOptions | None = None) -> Template:
        f = self.face
        return encode(self.image, f.box, f.landmarks, options, source="live", quality=f.quality.score)


def analyse_frame(
    frame: np.ndarray, settings: BiometricSettings | None = None, timestamp: float = 0.0
) -> FrameAnalysis:
    """Detect, fit landmarks and measure the quality of every face near the camera in one frame."""
    s = settings or BiometricSettings()
    frame = as_rgb(frame)
    h, w = frame.shape[:2]
    boxes = detect_hog(frame, upsample=0, max_side=s.detect_max_side)
    if not boxes and max(h, w) > s.detect_max_side:
        # Nobody at the usual size: look for a traveller still far away, to ask them to come closer.
        boxes = detect_hog(frame, upsample=0)
    if not boxes:
        return FrameAnalysis(timestamp, (w, h), (), Instruction.STEP_IN_FRONT)
    main = boxes[0]
    near = [b for b in boxes if b.height >= s.second_face_min_ratio * main.height]
    faces = []
    for box in near:
        lm = fit_landmarks(frame, box)
        try:
            pose = head_pose(lm, (w, h))
        except PoseError:
            continue
        faces.append(FaceObservation(box, lm, pose, assess(frame, box, lm, pose, s)))
    if not faces:
        return FrameAnalysis(timestamp, (w, h), (), Instruction.STEP_IN_FRONT)
    if len(faces) > 1:
        return FrameAnalysis(timestamp, (w, h), tuple(faces), Instruction.COME_ALONE)
    return FrameAnalysis(timestamp, (w, h), tuple(faces), faces[0].quality.instruction)


@dataclass(frozen=True)
class PadSample:
    """Per-frame material for presentation-attack detection (landmarks and a grey face crop, in memory).

    ``points`` are in frame coordinates; ``origin`` is where the crop's top-left corner is in the frame.
    ``model_margin`` is the learned detector's ``real - spoof`` logit for this frame's face
    (``biometrics.pad_net``), None when the frame was not scored (face too small, model unavailable)."""

    timestamp: float
    points: np.ndarray = field(repr=False)
    eye_aspect_ratio: float
    face_gray: np.ndarray = field(repr=False)
    origin: tuple[int, int] = (0, 0)
    model_margin: float | None = None


class CaptureSession:
    """Feed frames in arrival order; ``ready`` once the best frames of the window are chosen."""

    def __init__(self, settings: BiometricSettings | None = None, pad_history: int = 60):
        self.settings = settings or BiometricSettings()
        self.kept: list[CapturedFrame] = []
        self.first_good_at: float | None = None
        self.last: FrameAnalysis | None = None
        self.frames_seen = 0
        self.pad_samples: deque[PadSample] = deque(maxlen=pad_history)

    def feed(self, frame: np.ndarray, timestamp: float | None = None) -> FrameAnalysis:
        t = time.monotonic() if timestamp is None else timestamp
        frame = as_rgb(frame)
        analysis = analyse_frame(frame, self.settings, t)
        self.frames_seen += 1
        self.last = analysis
        face = analysis.primary
        if face is not None and len(analysis.faces) == 1:
            self.pad_samples.append(pad_sample(frame, face, t))
        if analysis.good and not self.ready:
            if self.first_good_at is None:
                self.first_good_at = t
            self.kept.append(CapturedFrame(frame.copy(), analysis))
            self.kept.sort(key=lambda c: c.face.quality.score, reverse=True)
            del self.kept[self.settings.frames_kept :]
        return analysis

    @property
    def ready(self) -> bool:
        if self.first_good_at is None:
            return False
        if len(self.kept) >= self.settings.frames_kept:
            return True
        if self.last is None:  # a frame whose analysis did not complete
            return False
        return self.last.timestamp - self.first_good_at >= self.settings.capture_window_s

    @property
    def instruction(self) -> Instruction | None:
        """The instruction for the latest frame (None while it is good)."""
        return None if self.last is None else self.last.instruction

    def best(self) -> list[CapturedFrame]:
        """The kept frames, best quality first."""
        return list(self.kept)

    def clear(self) -> None:
        """Forget every frame (end of a transaction)."""
        self.kept.clear()
        self.pad_samples.clear()
        self.first_good_at = None
        self.last = None


def pad_sample(frame: np.ndarray, face: FaceObservation, t: float) -> PadSample:
    """The PAD material of one analysed frame: landmarks, the grey face crop, and the learned detector's
    margin on the crop around the same face box (the detection is not repeated)."""
    b = face.box
    h, w = frame.shape[:2]
    x0, y0 = max(0, b.left), max(0, b.top)
    crop = frame[y0 : min(h, b.bottom), x0 : min(w, b.right)]
    gray = to_gray(crop) if crop.size else np.zeros((1, 1), np.uint8)
    try:
        margin = pad_net.face_margin(frame, (b.left, b.top, b.right, b.bottom))
    except pad_net.PadModelError:
        margin = None  # not scored: evaluate() then refuses rather than passing the presentation
    return PadSample(
        t,
        face.landmarks.points.copy(),
        face.landmarks.eye_aspect_ratio,
        np.ascontiguousarray(gray),
        (int(x0), int(y0)),
        margin,
    )


def capture(
    frames: Iterable[tuple[float, np.ndarray]],
    settings: BiometricSettings | None = None,
    timeout_s: float = 7.0,
) -> CaptureSession:
    """Run a session over ``(timestamp, frame)`` pairs until it is ready or ``timeout_s`` has passed."""
    session = CaptureSession(settings)
    start: float | None = None
    for t, frame in frames:
        start = t if start is None else start
        session.feed(frame, t)
        if session.ready or t - start >= timeout_s:
            break
    return session
