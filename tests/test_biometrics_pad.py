"""Presentation-attack detection: bona fide presentations against printed photos and phone replays of the
simulated camera, and the cues on their own."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import shared_data

from biometrics.capture import CaptureSession, PadSample
from biometrics.images import decode_image, to_gray
from biometrics.pad import (
    PadResult,
    blink_depth,
    canonical_face,
    evaluate,
    frame_repetition,
    periodic_peaks,
    planar_residual,
)
from biometrics.settings import BiometricSettings

pytestmark = pytest.mark.lfw
PERSON = "Tony_Blair"
FRAMES = 30  # two seconds at 15 fps


def presentation(scenario: str, seed: int = 1) -> list[PadSample]:
    from hardware_mocks.camera.scenarios import render_scenario

    faces = shared_data("lfw", "images")
    session = CaptureSession()
    for frame in itertools.islice(
        render_scenario(scenario, faces_dir=faces, person=PERSON, seed=seed), FRAMES
    ):
        session.feed(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), frame.t)
    assert len(session.pad_samples) >= FRAMES // 2, "the face was not found often enough"
    return list(session.pad_samples)


@pytest.fixture(scope="module")
def samples() -> dict[str, list[PadSample]]:
    return {name: presentation(name) for name in ("bona_fide", "print_attack", "replay_attack")}


@pytest.fixture(scope="module")
def results(samples: dict[str, list[PadSample]]) -> dict[str, PadResult]:
    return {name: evaluate(s, BiometricSettings().pad_threshold) for name, s in samples.items()}


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


def test_every_cue_is_reported(results: dict[str, PadResult]) -> None:
    for r in results.values():
        assert set(r.cues) == {
            "blink_depth", "planar_residual", "frame_repetition", "spectral_peaks", "black_level",
            "model_margin",
        }
        assert set(r.evidence) == {"learned_model", "spectral_peaks", "no_blink"}
        assert r.deciding_cue in r.evidence and r.model_frames > 0
        assert 0.0 <= r.cues["frame_repetition"] <= 1.0
        assert 0.0 <= r.cues["planar_residual"] < 0.2


def test_canonical_face_removes_the_motion_of_the_face(samples: dict[str, list[PadSample]]) -> None:
    s = samples["bona_fide"][0]
    crop = canonical_face(s)
    assert crop is not None and crop.shape == (32, 32)
    dx, dy = 7, 5  # the same picture a few pixels further right and down: the crop does not change
    moved = PadSample(s.timestamp, s.points + (dx, dy), s.eye_aspect_ratio, s.face_gray,
                      (s.origin[0] + dx, s.origin[1] + dy))
    again = canonical_face(moved)
    assert again is not None and float(np.abs(again - crop).mean()) < 1e-3


def test_frame_repetition_counts_repeated_frames(samples: dict[str, list[PadSample]]) -> None:
    live = samples["bona_fide"]
    assert frame_repetition(live) < 0.2
    # a 10 frames/s clip seen by a 15 frames/s camera: every second content frame is shown twice
    replayed = [live[k * 2 // 3] for k in range(len(live))]
    assert frame_repetition(replayed) > 0.25
    assert frame_repetition(live[:4]) == 0.0  # too few pairs to tell


def test_planar_residual_is_zero_for_a_plane_and_grows_with_parallax(
    samples: dict[str, list[PadSample]],
) -> None:
    base = samples["bona_fide"][0].points.astype(np.float64)
    rng = np.random.default_rng(5)
    plane = []
    for k in range(20):  # the same landmarks on a rigid plane, tilted and moved: exact homographies
        h = np.array([[1 + 0.01 * k, 0.004 * k, 3.0 * k], [-0.003 * k, 1 - 0.005 * k, 2.0 * k],
                      [1e-5 * k, -1e-5 * k, 1.0]])
        plane.append(cv2.perspectiveTransform(base.reshape(-1, 1, 2), h).reshape(-1, 2))
    assert planar_residual(plane) < 1e-3
    iod = float(np.linalg.norm(base[42:48].mean(0) - base[36:42].mean(0)))
    parallax = [p + rng.normal(0, 0.03 * iod, p.shape) for p in plane]
    assert planar_residual(parallax) > 0.015


def test_error_rates_count_apcer_per_attack_and_bpcer() -> None:
    from biometrics.bench_pad import PresentationScores, error_rates

    def scored(*scores: float, decided: bool = True) -> list[PresentationScores]:
        out = []
        for s in scores:
            r = PadResult(s, 0.5, {"spectral_peaks": 2 * s}, 30)
            out.append(PresentationScores(r if decided else None, r, 150))
        return out

    rates = error_rates(
        {
            "bona_fide": scored(0.0, 0.3, 0.6, 0.1),
            "print_attack": scored(1.0, 0.4, decided=False),
            "replay_attack": scored(0.9, 0.95),
        },
        "bona_fide",
        0.5,
    )
    bona, prints, replay = rates["bona_fide"], rates["print_attack"], rates["replay_attack"]
    assert bona["decision"]["metric"] == "BPCER" and bona["decision"]["rate"] == 0.25
    assert prints["budget"]["metric"] == "APCER" and prints["budget"]["rate"] == 0.5
    assert prints["no_decision"] == 2 and prints["decision"]["rate"] == 0.5  # scored at the budget
    assert replay["budget"]["errors"] == 0
    assert abs(bona["budget"]["cue_means"]["spectral_peaks"] - 0.5) < 1e-9
