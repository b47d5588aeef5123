"""The capture loop on the simulated camera: instructions while the traveller is not ready, best-frame
selection once they are, and the kept frames matching the traveller's other photograph."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import shared_data

from biometrics.capture import CaptureSession, analyse_frame, capture
from biometrics.matcher import verify
from biometrics.portrait import portrait_template
from biometrics.quality import Instruction
from biometrics.settings import BiometricSettings

pytestmark = pytest.mark.lfw
PERSON = "Colin_Powell"


def frames(
    scenario: str, fps: float, seconds: float, person: str = PERSON
) -> Iterator[tuple[float, np.ndarray]]:
    from hardware_mocks.camera.scenarios import render_scenario

    faces = shared_data("lfw", "images")
    stream = render_scenario(scenario, faces_dir=faces, person=person, fps=fps, seed=3)
    for f in itertools.islice(stream, int(seconds * fps)):
        yield f.t, cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)


def test_empty_gate_asks_to_step_in_front() -> None:
    for _, frame in frames("empty", 5, 0.4):
        assert analyse_frame(frame).instruction == Instruction.STEP_IN_FRONT


def test_approach_asks_to_come_closer_then_captures() -> None:
    seen = [(t, analyse_frame(frame)) for t, frame in frames("approach", 2, 6.0)]
    far = [a for t, a in seen if t < 2.2 and a.faces]  # inter-eye distance below 120 px until ~3.3 s
    assert far and all(a.instruction == Instruction.COME_CLOSER for a in far)
    assert any(a.good for t, a in seen if t >= 4.5)


def test_turned_head_asks_to_look_at_the_camera() -> None:
    t, frame = next(frames("turn", 5, 0.2))
    analysis = analyse_frame(frame)
    assert analysis.faces, "the turned face should still be found"
    assert {c.instruction for c in analysis.faces[0].quality.failed} & {
        Instruction.LOOK_AT_CAMERA,
        Instruction.STRAIGHTEN_HEAD,
    }


def test_second_person_near_the_gate_asks_to_come_alone() -> None:
    instructions = [(t, analyse_frame(frame).instruction) for t, frame in frames("two_people", 2, 3.5)]
    assert all(i != Instruction.COME_ALONE for t, i in instructions if t < 1.5)
    assert any(i == Instruction.COME_ALONE for t, i in instructions if t >= 2.5)


def test_best_frames_are_kept_in_memory_and_match_the_traveller() -> None:
    settings = BiometricSettings(frames_kept=2)
    session = capture(frames("bona_fide", 15, 2.0), settings, timeout_s=2.0)
    assert session.ready
    kept = session.best()
    assert len(kept) == 2
    assert kept[0].face.quality.score >= kept[1].face.quality.score
    assert all(
        c.analysis.good and c.face.landmarks.eye_distance >= settings.min_eye_distance_px for c in kept
    )
    assert "image" not in repr(kept[0])
    other_photo = Path(shared_data("lfw", "images", PERSON, f"{PERSON}_0049.jpg")).read_bytes()
    reference = portrait_template(other_photo)
    decision = verify(reference, [c.template() for c in kept], settings.match_threshold, "mean")
    assert decision.match, decision.reasons()
    impostor = portrait_template(
        Path(shared_data("lfw", "images", "Tony_Blair", "Tony_Blair_0018.jpg")).read_bytes()
    )
    assert not verify(impostor, [c.template() for c in kept], settings.match_threshold).match
    session.clear()
    assert session.best() == [] and not session.pad_samples


def test_session_reports_the_latest_instruction() -> None:
    session = CaptureSession()
    session.feed(np.full((720, 1280, 3), 90, np.uint8), 0.0)
    assert session.instruction == Instruction.STEP_IN_FRONT and not session.ready
