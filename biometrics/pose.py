"""Head pose (yaw, pitch, roll in degrees) from the 68 landmarks with OpenCV solvePnP.

A generic 3-D face (ten points of the iBUG numbering that expressions move little: nose, eye corners, mouth
corners, chin) is fitted with a pinhole camera whose focal length is the image width, using the globally
optimal SQPnP solver (the iterative solver with the common six-point model flipped pitch on some faces).
A generic model cannot know a given person's face depth: expect a few degrees of error, mostly in pitch
(docs/biometrics.md). Roll is taken from the eye line, which is more stable than the PnP roll.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from biometrics.landmarks import Landmarks

# Millimetres, origin at the nose tip, x to the subject's left, y up, z towards the camera; approximate adult
# anthropometry (outer eye corners 90 mm apart, nose tip 35-40 mm in front of them).
MODEL_POINTS = np.array(
    [
        (0.0, 38.0, -22.0),  # 27 nasion / sellion
        (0.0, 0.0, 0.0),  # 30 nose tip
        (0.0, -12.0, -14.0),  # 33 subnasale
        (-45.0, 35.0, -42.0),  # 36 outer corner of the eye on the image's left
        (45.0, 35.0, -42.0),  # 45 outer corner of the other eye
        (-15.0, 35.0, -30.0),  # 39 inner eye corner
        (15.0, 35.0, -30.0),  # 42 inner eye corner
        (-25.0, -30.0, -30.0),  # 48 mouth corner
        (25.0, -30.0, -30.0),  # 54 mouth corner
        (0.0, -72.0, -35.0),  # 8 chin
    ],
    dtype=np.float64,
)
LANDMARK_INDICES = [27, 30, 33, 36, 45, 39, 42, 48, 54, 8]
# Subtracted from the PnP pitch; 0 because frontal specimen portraits measure within 3 degrees.
PITCH_BIAS_DEG = 0.0


@dataclass(frozen=True)
class HeadPose:
    yaw_deg: float
    pitch_deg: float
    roll_deg: float


class PoseError(ValueError):
    """solvePnP found no solution for these landmarks."""


def head_pose(landmarks: Landmarks, image_size: tuple[int, int]) -> HeadPose:
    """Yaw (positive: the face turns to the image's right), pitch (positive: chin up), roll (eye line)."""
    width, height = image_size
    focal = float(width)
    camera = np.array([[focal, 0, width / 2.0], [0, focal, height / 2.0], [0, 0, 1]], dtype=np.float64)
    image_points = landmarks.points[LANDMARK_INDICES].astype(np.float64)
    # Image y grows downwards, the model's y upwards: flip the model so both agree.
    model = MODEL_POINTS * np.array([1.0, -1.0, -1.0])
    ok, rvec, _tvec = cv2.solvePnP(model, image_points, camera, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        raise PoseError("solvePnP did not converge")
    rotation, _ = cv2.Rodrigues(rvec)
    # R = Rz(roll) Ry(yaw) Rx(pitch); extract the angles.
    sy = float(np.hypot(rotation[0, 0], rotation[1, 0]))
    pitch = float(np.degrees(np.arctan2(rotation[2, 1], rotation[2, 2])))
    yaw = float(np.degrees(np.arctan2(-rotation[2, 0], sy)))
    pitch = _wrap(pitch)
    return HeadPose(yaw_deg=yaw, pitch_deg=pitch - PITCH_BIAS_DEG, roll_deg=landmarks.roll_deg)


def _wrap(angle: float) -> float:
    """Fold an angle into (-90, 90]: the model is never seen from behind."""
    while angle > 90.0:
        angle -= 180.0
    while angle <= -90.0:
        angle += 180.0
    return angle
