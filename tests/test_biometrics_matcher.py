"""Templates and verification decisions on known same / different pairs; the chip portraits of the test
passports decoded and templated; nothing biometric written to disk."""

from __future__ import annotations

import builtins
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

from biometrics.bench import read_pairs
from biometrics.detect import detect_reference
from biometrics.images import decode_image
from biometrics.landmarks import fit_landmarks
from biometrics.matcher import MatchError, Template, distance, encode, verify
from biometrics.portrait import PortraitError, portrait_template, start_portrait_template
from biometrics.settings import BiometricSettings

pytestmark = pytest.mark.lfw
THRESHOLD = BiometricSettings().match_threshold


def load(*parts: str) -> np.ndarray:
    return decode_image(Path(shared_data(*parts)).read_bytes())


def template(image: np.ndarray) -> Template:
    box = detect_reference(image, allow_centred=True)
    assert box is not None
    return encode(image, box, fit_landmarks(image, box))


def chip_image_bytes(folder: str) -> bytes:
    """The JPEG or JPEG 2000 image inside DG2, found by its signature (parsing DG2 is passport's job)."""
    data = Path(shared_data("emrtd", folder, "DG2.bin")).read_bytes()
    starts = [
        i
        for i in (
            data.find(b"\xff\xd8\xff"),
            data.find(b"\x00\x00\x00\x0cjP  \r\n\x87\n"),
            data.find(b"\xff\x4f\xff\x51"),
        )
        if i >= 0
    ]
    assert starts, f"no image in {folder}/DG2.bin"
    return data[min(starts) :]


@pytest.fixture(scope="module")
def specimens() -> dict[str, Template]:
    names = {
        "obama": "examples__obama.jpg",
        "obama2": "examples__obama2.jpg",
        "biden": "examples__biden.jpg",
        "biden2": "examples__knn_examples__train__biden__biden2.jpg",
    }
    return {k: template(load("specimens", "faces", v)) for k, v in names.items()}


def test_same_person_matches_and_others_do_not(specimens: dict[str, Template]) -> None:
    assert verify(specimens["obama"], [specimens["obama2"]], THRESHOLD).match
    assert verify(specimens["biden"], [specimens["biden2"]], THRESHOLD).match
    assert not verify(specimens["obama"], [specimens["biden"]], THRESHOLD).match
    assert not verify(specimens["obama2"], [specimens["biden2"]], THRESHOLD).match


def test_lfw_pairs_of_the_first_fold() -> None:
    images = shared_data("lfw", "images")
    pairs = read_pairs(shared_data("lfw", "pairs-dev.txt"), images, folds=[1])
    assert len(pairs) == 600 and sum(p.genuine for p in pairs) == 300
    chosen = [p for p in pairs if p.genuine][:3] + [p for p in pairs if not p.genuine][:3]
    for p in chosen:
        a = template(decode_image(p.first.read_bytes()))
        b = template(decode_image(p.second.read_bytes()))
        assert verify(a, [b], THRESHOLD).match == p.genuine, (p, distance(a, b))


def test_decision_explains_itself(specimens: dict[str, Template]) -> None:
    probes = [specimens["obama2"], specimens["obama"]]
    best = verify(specimens["obama"], probes, THRESHOLD, fusion="best")
    mean = verify(specimens["obama"], probes, THRESHOLD, fusion="mean")
    assert best.distance == pytest.approx(0.0, abs=1e-6)
    assert mean.distance == pytest.approx(np.mean([f.distance for f in mean.frames]))
    text = "\n".join(mean.reasons())
    assert f"threshold {THRESHOLD:.3f}" in text and "2 frame(s)" in text and "frame 2" in text
    assert 0.0 <= mean.score <= 1.0 and (mean.score >= 0.5) == mean.match


def test_templates_never_show_their_vector(specimens: dict[str, Template]) -> None:
    assert "vector" not in repr(specimens["obama"])


def test_bad_templates_are_refused(specimens: dict[str, Template]) -> None:
    with pytest.raises(MatchError):
        distance(np.zeros(127), specimens["obama"])
    with pytest.raises(MatchError):
        verify(specimens["obama"], [], THRESHOLD)


@pytest.mark.parametrize("folder", ["bsi2008", "loes2006", "tr03105"])
def test_chip_portraits_are_decoded_and_templated(folder: str) -> None:
    data = chip_image_bytes(folder)
    assert decode_image(data).shape[2] == 3
    tpl = start_portrait_template(data).result(timeout=120)
    assert tpl.source == "chip" and tpl.vector.shape == (128,) and tpl.box is not None
    assert tpl.box.source != "centred"  # a real detection, not the fallback box


def test_jpeg2000_portrait_and_different_people() -> None:
    silver = portrait_template(Path(shared_data("emrtd", "misc", "dg2_silver.jp2")).read_bytes())
    dutch = portrait_template(chip_image_bytes("loes2006"))
    assert not verify(silver, [dutch], THRESHOLD).match


def test_broken_portrait_is_a_typed_error() -> None:
    with pytest.raises(PortraitError):
        portrait_template(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64)
    future = start_portrait_template(b"garbage")
    with pytest.raises(PortraitError):
        future.result(timeout=30)


def test_nothing_is_written_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Templating a portrait and verifying opens no file for writing and saves no image."""
    import cv2

    data = chip_image_bytes("bsi2008")
    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(c in mode for c in "wax+"):
            raise AssertionError(f"biometrics wrote to {file}")
        return real_open(file, mode, *args, **kwargs)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("biometrics saved data")

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(cv2, "imwrite", refuse)
    monkeypatch.setattr(np, "save", refuse)
    monkeypatch.setattr(Path, "write_bytes", refuse)
    ref = portrait_template(data)
    assert verify(ref, [ref], THRESHOLD).match
    # the capture path too: frames, kept frames, templates, PAD samples
    from biometrics.capture import CaptureSession
    from biometrics.pad import evaluate

    face = decode_image(data)
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[100 : 100 + face.shape[0], 400 : 400 + face.shape[1]] = face
    session = CaptureSession(BiometricSettings(max_pitch_deg=90, max_yaw_deg=90, min_eye_distance_px=20))
    for t in range(3):
        session.feed(frame, float(t))
    assert session.pad_samples
    evaluate(session.pad_samples)
    for kept in session.best():
        verify(ref, [kept.template()], THRESHOLD)
