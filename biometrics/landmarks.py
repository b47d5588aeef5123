"""The 68-point landmarks (iBUG 300-W numbering) and the measures taken from them."""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np

from biometrics import models
from biometrics.detect import FaceBox
from biometrics.images import as_rgb

# Subject's right eye is on the image's left (points 36-41), subject's left eye 42-47.
RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True)
class Landmarks:
    """68 (x, y) points in full-image pixels, and the dlib shape they came from (for the encoder)."""

    points: np.ndarray
    shape: dlib.full_object_detection

    @property
    def right_eye_centre(self) -> np.ndarray:
        return self.points[RIGHT_EYE].mean(axis=0)

    @property
    def left_eye_centre(self) -> np.ndarray:
        return self.points[LEFT_EYE].mean(axis=0)

    @property
    def eye_distance(self) -> float:
        """Distance between the eye centres in pixels (ICAO/BSI "inter-eye distance")."""
        return float(np.linalg.norm(self.left_eye_centre - self.right_eye_centre))

    @property
    def roll_deg(self) -> float:
        """In-plane rotation of the eye line, positive clockwise in the image."""
        dx, dy = self.left_eye_centre - self.right_eye_centre
        return float(np.degrees(np.arctan2(dy, dx)))

    @property
    def eye_aspect_ratio(self) -> float:
        """Mean eye aspect ratio of both eyes (Soukupova & Cech 2016): ~0.3 open, < 0.2 closed."""
        return (eye_aspect_ratio(self.points[RIGHT_EYE]) + eye_aspect_ratio(self.points[LEFT_EYE])) / 2.0

    def bounding_box(self) -> tuple[float, float, float, float]:
        x0, y0 = self.points.min(axis=0)
        x1, y1 = self.points.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


def eye_aspect_ratio(eye: np.ndarray) -> float:
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = 2.0 * np.linalg.norm(eye[0] - eye[3])
    return float(vertical / horizontal) if horizontal > 0 else 0.0


def fit_landmarks(image: np.ndarray, box: FaceBox) -> Landmarks:
    """Fit the 68-point model inside ``box`` on the full-resolution image."""
    image = as_rgb(image)
    shape = models.shape_predictor_68()(image, box.to_dlib())
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return Landmarks(points, shape)
