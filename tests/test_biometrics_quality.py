"""Capture quality: each criterion on real faces and on synthetic degradations of them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import shared_data

from biometrics.capture import analyse_frame
from biometrics.detect import detect_reference
from biometrics.images import ImageError, as_rgb, decode_image
from biometrics.landmarks import fit_landmarks
from biometrics.pose import head_pose
from biometrics.quality import Instruction, QualityReport, assess
from biometrics.settings import BiometricSettings

pytestmark = pytest.mark.lfw


def specimen(name: str) -> np.ndarray:
    return decode_image(Path(shared_data("specimens", "faces", name)).read_bytes())


def lfw(person: str, number: int = 1) -> np.ndarray:
    return decode_image(Path(shared_data("lfw", "images", person, f"{person}_{number:04d}.jpg")).read_bytes())


# The eye distance limit is for a gate camera; these photographs are smaller, so tests scale it.
SETTINGS = BiometricSettings(min_eye_distance_px=40.0)


def quality(image: np.ndarray, settings: BiometricSettings = SETTINGS) -> QualityReport:
    box = detect_reference(image, use_cnn=False)
    assert box is not None
    lm = fit_landmarks(image, box)
    return assess(image, box, lm, head_pose(lm, (image.shape[1], image.shape[0])), settings)


@pytest.fixture(scope="module")
def obama() -> np.ndarray:
    return specimen("examples__obama.jpg")


def test_frontal_portrait_passes_every_criterion(obama: np.ndarray) -> None:
    report = quality(obama)
    assert report.passed, [(c.name, c.value, c.limit) for c in report.failed]
    assert report.instruction is None
    assert (
        abs(report.value("yaw_deg")) < 5
        and abs(report.value("pitch_deg")) < 5
        and abs(report.value("roll_deg")) < 3
    )
    assert 0.5 < report.score <= 1.0


def test_frontal_lfw_face_passes_pose_and_image_criteria() -> None:
    report = quality(lfw("Janica_Kostelic"))
    for name in ("yaw_deg", "roll_deg", "sharpness", "face_luma_min", "face_contrast", "eye_aspect_ratio"):
        assert next(c for c in report.criteria if c.name == name).passed, name


def test_small_face_asks_to_come_closer(obama: np.ndarray) -> None:
    report = quality(obama, BiometricSettings(min_eye_distance_px=120.0))  # ~104 px in this photograph
    assert report.failed[0].name == "eye_distance_px"
    assert report.instruction == Instruction.COME_CLOSER


def test_blur_asks_to_hold_still(obama: np.ndarray) -> None:
    report = quality(cv2.GaussianBlur(obama, (0, 0), 6.0))
    assert [c.name for c in report.failed] == ["sharpness"]
    assert report.instruction == Instruction.HOLD_STILL


def test_darkness_asks_for_better_light(obama: np.ndarray) -> None:
    dark = (obama.astype(np.float32) * 0.25).astype(np.uint8)
    report = quality(dark)
    assert {"face_luma_min", "face_contrast"} <= {c.name for c in report.failed}
    assert report.instruction == Instruction.FIND_BETTER_LIGHT


def test_overexposure_asks_to_avoid_glare(obama: np.ndarray) -> None:
    bright = np.clip(obama.astype(np.float32) * 1.6 + 40, 0, 255).astype(np.uint8)
    report = quality(bright)
    assert "face_luma_max" in {c.name for c in report.failed}
    assert Instruction.AVOID_GLARE in {c.instruction for c in report.failed}


def test_rotation_asks_to_straighten_head(obama: np.ndarray) -> None:
    h, w = obama.shape[:2]
    rot = cv2.warpAffine(
        obama, cv2.getRotationMatrix2D((w / 2, h / 2), 20, 1.0), (w, h), borderMode=cv2.BORDER_REPLICATE
    )
    report = quality(rot)
    roll = next(c for c in report.criteria if c.name == "roll_deg")
    assert not roll.passed and 15 < abs(roll.value) < 25
    assert roll.instruction == Instruction.STRAIGHTEN_HEAD


def test_crop_through_the_face_asks_to_step_back(obama: np.ndarray) -> None:
    box = detect_reference(obama, use_cnn=False)
    assert box is not None
    cropped = np.ascontiguousarray(obama[:, : box.left + int(0.85 * box.width)])
    report = quality(cropped)
    assert not next(c for c in report.criteria if c.name == "face_in_frame").passed
    assert Instruction.STEP_BACK in {c.instruction for c in report.failed}


def test_off_centre_face_asks_to_move_to_centre(obama: np.ndarray) -> None:
    h, w = obama.shape[:2]
    canvas = np.full((h, 3 * w, 3), 128, np.uint8)
    canvas[:, :w] = obama
    report = quality(canvas)
    assert Instruction.MOVE_TO_CENTRE in {c.instruction for c in report.failed}


def test_sunglasses_are_told_apart_from_closed_eyes(obama: np.ndarray) -> None:
    box = detect_reference(obama, use_cnn=False)
    assert box is not None
    lm = fit_landmarks(obama, box)
    shaded = obama.copy()
    for eye in (slice(36, 42), slice(42, 48)):
        pts = lm.points[eye]
        cx, cy = pts.mean(axis=0)
        r = pts[:, 0].max() - pts[:, 0].min()
        cv2.ellipse(shaded, (int(cx), int(cy)), (int(r * 0.9), int(r * 0.65)), 0, 0, 360, (18, 18, 22), -1)
    report = quality(shaded)
    assert "eye_region_luma_ratio" in {c.name for c in report.failed}
    assert Instruction.REMOVE_SUNGLASSES in {c.instruction for c in report.failed}
    assert Instruction.OPEN_EYES not in {c.instruction for c in report.failed}


def test_turned_head_asks_to_look_at_the_camera(obama: np.ndarray) -> None:
    # A horizontal perspective squeeze of one side imitates a turned head for the landmarks.
    h, w = obama.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0, 0], [w * 0.62, h * 0.1], [w * 0.62, h * 0.9], [0, h]])
    turned = cv2.warpPerspective(
        obama, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE
    )
    report = quality(turned)
    assert Instruction.LOOK_AT_CAMERA in {c.instruction for c in report.failed}


def test_no_face_and_two_faces_in_a_frame() -> None:
    blank = np.full((720, 1280, 3), 140, np.uint8)
    assert analyse_frame(blank).instruction == Instruction.STEP_IN_FRONT
    group = specimen("examples__two_people.jpg")
    analysis = analyse_frame(group, BiometricSettings(min_eye_distance_px=20.0))
    assert len(analysis.faces) == 2
    assert analysis.instruction == Instruction.COME_ALONE


def test_gate_configuration_section_is_the_settings() -> None:
    from gatectl.config import parse_config

    essentials = "[trust]\npaths = ['.']\n[audit]\nkey = '" + "00" * 16 + "'\n"  # what every gate needs
    cfg = parse_config(essentials + "[biometrics]\nmax_yaw_deg = 4.0\nfusion = 'mean'\nframes_kept = 3\n")
    assert isinstance(cfg.biometrics, BiometricSettings)
    assert (cfg.biometrics.max_yaw_deg, cfg.biometrics.fusion, cfg.biometrics.frames_kept) == (4.0, "mean", 3)
    assert cfg.biometrics.match_threshold == BiometricSettings().match_threshold
    assert BiometricSettings.from_mapping({"max_yaw_deg": 3.0, "unknown": 1}).max_yaw_deg == 3.0


@pytest.mark.parametrize("bad", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 50])
def test_hostile_bytes_give_a_typed_error(bad: bytes) -> None:
    with pytest.raises(ImageError):
        decode_image(bad)


def test_bad_arrays_give_a_typed_error() -> None:
    for bad in (np.zeros((5, 5, 3), np.uint8), np.zeros((100, 100, 2), np.uint8), "x"):
        with pytest.raises(ImageError):
            as_rgb(bad)  # type: ignore[arg-type]
