"""Presentation-attack detection: bona fide presentations against printed photos and phone replays of the
simulated camera, and the cues on their own."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import shared_data

from biometrics.capture import CaptureSession
from biometrics.images import decode_image, to_gray
from biometrics.pad import PadResult, blink_depth, evaluate, periodic_peaks
from biometrics.settings import BiometricSettings

pytestmark = pytest.mark.lfw
PERSON = "Tony_Blair"
FRAMES = 30  # two seconds at 15 fps


def presentation(scenario: str, seed: int = 1) -> PadResult:
    from hardware_mocks.camera_scenarios import render_scenario

    faces = shared_data("lfw", "images")
    session = CaptureSession()
    for frame in itertools.islice(
        render_scenario(scenario, faces_dir=faces, person=PERSON, seed=seed), FRAMES
    ):
        session.feed(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), frame.t)
    assert len(session.pad_samples) >= FRAMES // 2, "the face was not found often enough"
    return evaluate(session.pad_samples, BiometricSettings().pad_threshold)


@pytest.fixture(scope="module")
def results() -> dict[str, PadResult]:
    return {name: presentation(name) for name in ("bona_fide", "print_attack", "replay_attack")}


def test_bona_fide_is_accepted(results: dict[str, PadResult]) -> None:
    r = results["bona_fide"]
    assert not r.attack, r.reasons()
    assert r.cues["blink_depth"] > 0.5  # the rendered blink was seen


@pytest.mark.parametrize("attack", ["print_attack", "replay_attack"])
def test_attacks_are_detected(results: dict[str, PadResult], attack: str) -> None:
    r = results[attack]
    assert r.attack, r.reasons()
    assert r.score > results["bona_fide"].score + 0.4


def test_scores_are_normalised(results: dict[str, PadResult]) -> None:
    for r in results.values():
        assert 0.0 <= r.score <= 1.0
        assert r.reasons()[0].startswith(("bona fide", "presentation attack suspected"))


def test_no_face_samples_count_as_attack() -> None:
    assert evaluate([]).score == 1.0


def test_blink_depth_on_eye_aspect_ratio_series() -> None:
    open_eyes = [0.30, 0.31, 0.29, 0.30, 0.31, 0.30, 0.29, 0.30]
    assert blink_depth(open_eyes) < 0.1
    assert blink_depth(open_eyes[:4] + [0.18, 0.08, 0.2] + open_eyes[4:]) > 0.6
    assert blink_depth(open_eyes[:4] + [0.08, 0.08, 0.08]) == 0.0  # closed at the end: not a blink


def test_periodic_peaks_of_a_screen_grid_on_a_real_face() -> None:
    face = decode_image(Path(shared_data("lfw", "images", "Tony_Blair", "Tony_Blair_0018.jpg")).read_bytes())
    gray = to_gray(face[60:190, 60:190])  # at the camera resolution, not resampled
    yy, xx = np.mgrid[0 : gray.shape[0], 0 : gray.shape[1]]
    grid = 1.0 + 0.3 * np.cos(2 * np.pi * (xx * 0.97 + yy * 0.08) / 4.3)  # display pixels beating into moire
    screen = np.clip(gray * grid, 0, 255).astype(np.uint8)
    assert periodic_peaks(gray) < 1.8 < 2.2 < periodic_peaks(screen)
    assert periodic_peaks(screen) - periodic_peaks(gray) > 0.4
