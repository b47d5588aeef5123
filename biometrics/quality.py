"""Capture quality of one face in one frame: each criterion is measured, compared with its limit, and a
failed criterion maps to exactly one instruction the kiosk can show.

Limits follow BSI TR-03121-3 for border capture (yaw and pitch within 5 degrees, roll within 8, a minimum
inter-eye distance at the capture resolution) and, for sharpness, exposure, contrast and eyes, values
measured on LFW and the specimen faces (docs/biometrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from biometrics.detect import FaceBox
from biometrics.images import as_rgb, to_gray
from biometrics.landmarks import LEFT_EYE, RIGHT_EYE, Landmarks
from biometrics.pose import HeadPose
from biometrics.settings import BiometricSettings


class Instruction(StrEnum):
    """What the kiosk asks the traveller to do; the kiosk owns the wording and its translations."""

    STEP_IN_FRONT = "step_in_front"
    COME_ALONE = "come_alone"
    COME_CLOSER = "come_closer"
    STEP_BACK = "step_back"
    MOVE_TO_CENTRE = "move_to_centre"
    LOOK_AT_CAMERA = "look_at_camera"
    LEVEL_CHIN = "level_chin"
    STRAIGHTEN_HEAD = "straighten_head"
    HOLD_STILL = "hold_still"
    FIND_BETTER_LIGHT = "find_better_light"
    AVOID_GLARE = "avoid_glare"
    REMOVE_SUNGLASSES = "remove_sunglasses"
    OPEN_EYES = "open_eyes"


@dataclass(frozen=True)
class Criterion:
    name: str
    value: float
    limit: str
    passed: bool
    instruction: Instruction | None


@dataclass(frozen=True)
class QualityReport:
    """All criteria of one face, in the order the kiosk should address them; ``score`` ranks frames."""

    criteria: tuple[Criterion, ...]
    score: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria)

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.passed)

    @property
    def instruction(self) -> Instruction | None:
        """The first instruction to show (most fundamental failure first), None if the face is good."""
        return next((c.instruction for c in self.criteria if not c.passed), None)

    def value(self, name: str) -> float:
        return next(c.value for c in self.criteria if c.name == name)


def _region(gray: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = gray.shape
    xa, xb = int(max(0, np.floor(min(x0, x1)))), int(min(w, np.ceil(max(x0, x1))))
    ya, yb = int(max(0, np.floor(min(y0, y1)))), int(min(h, np.ceil(max(y0, y1))))
    if xb - xa < 2 or yb - ya < 2:
        return np.zeros((0,), dtype=np.uint8)
    return gray[ya:yb, xa:xb]


def face_region(gray: np.ndarray, lm: Landmarks) -> np.ndarray:
    """Inner face: outer eye corners across, eyebrows to lower lip down (no hair, no background)."""
    p = lm.points
    return _region(gray, p[36, 0], min(p[19, 1], p[24, 1]), p[45, 0], p[57, 1])


def sharpness(gray: np.ndarray, lm: Landmarks) -> float:
    """1 minus the no-reference blur of Crete-Roffet et al. (2007) on the inner face: how much detail a
    9-pixel re-blur destroys. ~0.3-0.5 for a sharp face, below ~0.2 once motion or focus blur set in.

    The face is first brought to an eye distance of at most 100 px so that distant and close faces compare.
    """
    face = face_region(gray, lm).astype(np.float32)
    if face.shape[0] < 12 or face.shape[1] < 12 or lm.eye_distance < 1:
        return 0.0
    scale = 100.0 / lm.eye_distance
    if scale < 1.0:
        face = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blur_v = cv2.blur(face, (1, 9))
    blur_h = cv2.blur(face, (9, 1))
    d_fv = np.abs(np.diff(face, axis=0))
    d_fh = np.abs(np.diff(face, axis=1))
    v_v = np.maximum(0.0, d_fv - np.abs(np.diff(blur_v, axis=0)))
    v_h = np.maximum(0.0, d_fh - np.abs(np.diff(blur_h, axis=1)))
    s_fv, s_fh = float(d_fv.sum()), float(d_fh.sum())
    if s_fv <= 0 or s_fh <= 0:
        return 0.0
    blur = max((s_fv - float(v_v.sum())) / s_fv, (s_fh - float(v_h.sum())) / s_fh)
    return float(1.0 - blur)


def sunglasses_ratio(gray: np.ndarray, lm: Landmarks) -> float:
    """Mean luma around the eyes over mean luma of the cheeks just below: ~0.7-1.0 bare eyes, low behind
    dark lenses."""
    p = lm.points
    eyes = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        pts = p[eye]
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        pad = 0.25 * (x1 - x0)
        eyes.append(_region(gray, x0 - pad, y0 - 1.2 * pad, x1 + pad, y1 + 1.2 * pad))
    cheeks = _region(gray, p[36, 0], p[29, 1], p[45, 0], p[33, 1])
    eye_pixels = np.concatenate([e.ravel() for e in eyes])
    if eye_pixels.size == 0 or cheeks.size == 0:
        return 1.0
    return float(eye_pixels.mean() / max(1.0, cheeks.mean()))


SUNGLASSES_RATIO = 0.4


def assess(
    image: np.ndarray,
    box: FaceBox,
    landmarks: Landmarks,
    pose: HeadPose,
    settings: BiometricSettings | None = None,
) -> QualityReport:
    """Measure every criterion on one face of ``image`` (the full-resolution frame)."""
    s = settings or BiometricSettings()
    image = as_rgb(image)
    gray = to_gray(image)
    h, w = gray.shape
    crit: list[Criterion] = []

    def add(name: str, value: float, limit: str, passed: bool, instruction: Instruction) -> None:
        crit.append(Criterion(name, float(value), limit, bool(passed), None if passed else instruction))

    eye_d = landmarks.eye_distance
    add(
        "eye_distance_px",
        eye_d,
        f">= {s.min_eye_distance_px:g}",
        eye_d >= s.min_eye_distance_px,
        Instruction.COME_CLOSER,
    )
    x0, y0, x1, y1 = landmarks.bounding_box()
    margin = 0.02 * min(w, h)
    inside = x0 >= margin and y0 >= margin and x1 <= w - margin and y1 <= h - margin
    add("face_in_frame", 1.0 if inside else 0.0, "whole face visible", inside, Instruction.STEP_BACK)
    cx, cy = (x0 + x1) / 2 / w - 0.5, (y0 + y1) / 2 / h - 0.5
    offset = max(abs(cx), abs(cy))
    add(
        "centre_offset",
        offset,
        f"<= {s.max_centre_offset:g}",
        offset <= s.max_centre_offset,
        Instruction.MOVE_TO_CENTRE,
    )
    add(
        "yaw_deg",
        pose.yaw_deg,
        f"|yaw| <= {s.max_yaw_deg:g}",
        abs(pose.yaw_deg) <= s.max_yaw_deg,
        Instruction.LOOK_AT_CAMERA,
    )
    add(
        "pitch_deg",
        pose.pitch_deg,
        f"|pitch| <= {s.max_pitch_deg:g}",
        abs(pose.pitch_deg) <= s.max_pitch_deg,
        Instruction.LEVEL_CHIN,
    )
    add(
        "roll_deg",
        pose.roll_deg,
        f"|roll| <= {s.max_roll_deg:g}",
        abs(pose.roll_deg) <= s.max_roll_deg,
        Instruction.STRAIGHTEN_HEAD,
    )
    face = face_region(gray, landmarks)
    luma = float(face.mean()) if face.size else 0.0
    contrast = float(face.std()) if face.size else 0.0
    add(
        "face_luma_min",
        luma,
        f">= {s.min_face_luma:g}",
        luma >= s.min_face_luma,
        Instruction.FIND_BETTER_LIGHT,
    )
    add("face_luma_max", luma, f"<= {s.max_face_luma:g}", luma <= s.max_face_luma, Instruction.AVOID_GLARE)
    add(
        "face_contrast",
        contrast,
        f">= {s.min_face_contrast:g}",
        contrast >= s.min_face_contrast,
        Instruction.FIND_BETTER_LIGHT,
    )
    sharp = sharpness(gray, landmarks)
    add("sharpness", sharp, f">= {s.min_sharpness:g}", sharp >= s.min_sharpness, Instruction.HOLD_STILL)
    glasses = sunglasses_ratio(gray, landmarks)
    add(
        "eye_region_luma_ratio",
        glasses,
        f">= {SUNGLASSES_RATIO:g}",
        glasses >= SUNGLASSES_RATIO,
        Instruction.REMOVE_SUNGLASSES,
    )
    ear = landmarks.eye_aspect_ratio
    # Behind dark lenses the eye landmarks are guesses: report the sunglasses, not closed eyes.
    eyes_ok = ear >= s.min_eye_aspect_ratio or glasses < SUNGLASSES_RATIO
    add("eye_aspect_ratio", ear, f">= {s.min_eye_aspect_ratio:g}", eyes_ok, Instruction.OPEN_EYES)

    def soft(x: float) -> float:
        return float(np.clip(x, 0.0, 1.0))

    score = np.mean(
        [
            soft(eye_d / (2.0 * s.min_eye_distance_px)),
            soft(1.0 - abs(pose.yaw_deg) / (3.0 * s.max_yaw_deg)),
            soft(1.0 - abs(pose.pitch_deg) / (3.0 * s.max_pitch_deg)),
            soft(1.0 - abs(pose.roll_deg) / (3.0 * s.max_roll_deg)),
            soft(sharp / (2.0 * s.min_sharpness)),
            soft(contrast / (2.0 * s.min_face_contrast)),
            soft(1.0 - offset / (2.0 * s.max_centre_offset)),
        ]
    )
    return QualityReport(tuple(crit), float(score * (1.0 if all(c.passed for c in crit) else 0.5)))
