"""The learned presentation-attack detector (MiniFASNetV2-SE in OpenCV DNN), its crop, its fusion with the
cues, and ``egate bench pad`` on folders of still images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

from biometrics import pad_net
from biometrics.bench_pad import read_upright, score_image
from biometrics.capture import CaptureSession, PadSample, analyse_frame
from biometrics.pad import MODEL_CENTRE, PadResult, evaluate, fused_score
from biometrics.settings import BiometricSettings

SAMPLES = {"image_T1.jpg": "live", "image_F1.jpg": "poster", "image_F2.jpg": "tablet replay"}


def sample(name: str) -> np.ndarray:
    return read_upright(shared_data("pad", "samples", name))


def test_shipped_model_is_the_documented_file() -> None:
    import hashlib

    assert hashlib.sha256(pad_net.MODEL_PATH.read_bytes()).hexdigest() == pad_net.MODEL_SHA256
    assert (pad_net.MODEL_PATH.parent / "LICENSE").is_file()
    assert pad_net.load() is pad_net.load()  # loaded once


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_model_scores_the_samples_the_right_way_round(name: str) -> None:
    image = sample(name)
    face = analyse_frame(image).primary  # the capture loop's own detection
    assert face is not None
    b = face.box
    margin = pad_net.face_margin(image, (b.left, b.top, b.right, b.bottom))
    assert margin is not None
    if SAMPLES[name] == "live":
        assert margin > 2.0
    else:
        assert margin < -4.0
    result = score_image(image, BiometricSettings())
    assert result is not None and result.attack == (SAMPLES[name] != "live"), result.reasons()
    assert result.deciding_cue == "learned_model" and result.model_frames == 1


def test_crop_at_the_frame_edge_is_reflect_padded() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    x, y, side = pad_net.model_crop_box(-20, -30, 80, 70)  # a face box leaving the top-left corner
    assert x < 0 and y < 0
    crop = pad_net.crop_square(image, x, y, side, size=side)  # no resampling: compare pixel for pixel
    pad = max(-x, -y)
    mirrored = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")  # = BORDER_REFLECT_101
    assert np.array_equal(crop, mirrored[y + pad : y + pad + side, x + pad : x + pad + side])
    # above the frame: the frame's rows seen in a mirror (row -k shows row k), not black
    assert np.array_equal(crop[-y - 1, -x:], image[1, : side + x])
    # a face cut by the frame's edge is still scored
    live = sample("image_T1.jpg")
    face = analyse_frame(live).primary
    assert face is not None
    b = face.box
    shifted = np.ascontiguousarray(live[b.top + 10 :, b.left + 10 :])  # the face now starts at the corner
    margin = pad_net.face_margin(shifted, (-10, -10, b.right - b.left - 10, b.bottom - b.top - 10))
    assert margin is not None and np.isfinite(margin)


def test_a_crop_wider_than_the_frame_is_still_padded() -> None:
    image = np.full((40, 60, 3), 128, np.uint8)
    crop = pad_net.crop_square(image, -100, -100, 300)
    assert crop.shape == (128, 128, 3) and int(crop.min()) == 128


def test_frames_without_a_usable_face_are_not_scored() -> None:
    blank = np.full((480, 640, 3), 90, np.uint8)
    session = CaptureSession()
    session.feed(blank, 0.0)
    assert not session.pad_samples  # no face: no PAD sample
    assert score_image(blank, BiometricSettings()) is None  # a still image without a face: FTA
    empty = evaluate(session.pad_samples)
    assert empty.attack and empty.score == 1.0 and empty.deciding_cue == "no_face"
    assert "not scored" in " ".join(empty.reasons())
    assert pad_net.model_crop_box(0, 0, pad_net.MIN_FACE_PX - 1, 30) is None  # too small for the model
    points = np.zeros((68, 2))
    unscored = [PadSample(t / 15, points, 0.3, np.full((60, 60), 100, np.uint8)) for t in range(5)]
    r = evaluate(unscored)
    assert r.attack and r.score == 1.0 and r.deciding_cue == "not_scored" and r.model_frames == 0
    assert any("not scored" in line for line in r.reasons())


def test_fused_score_is_monotone_in_each_cue() -> None:
    margins = np.linspace(-15, 15, 61)
    peaks = np.linspace(0.5, 3.0, 26)
    blinks = np.linspace(0.0, 0.9, 19)
    for p in (0.8, 1.9, 2.1, 2.6):
        for b in (0.0, 0.4, 0.6):
            s = [fused_score(m, p, b) for m in margins]
            assert all(np.diff(s) <= 1e-12) and s[0] > 0.99  # falls as the model sees a live face
    for m in (-8.0, MODEL_CENTRE, 0.0, 8.0):
        for b in (0.0, 0.4, 0.6):
            s = [fused_score(m, p, b) for p in peaks]
            assert all(np.diff(s) >= -1e-12)  # rises with the spectral artefacts
        for p in (0.8, 2.0):
            s = [fused_score(m, p, b) for b in blinks]
            assert all(np.diff(s) <= 1e-12)  # falls with a blink
    assert all(0.0 <= fused_score(m, p, 0.0) <= 1.0 for m in margins for p in peaks)
    assert fused_score(None, 0.5, 0.9) == 1.0  # unscored: never bona fide
    # each cue can decide alone
    assert fused_score(-10.0, 0.5, 0.9) >= 0.5 and fused_score(10.0, 2.5, 0.9) >= 0.5
    assert fused_score(10.0, 0.5, 0.0) < 0.5


def test_multi_frame_decision_is_the_median_over_the_window() -> None:
    points = np.zeros((68, 2))
    gray = np.full((60, 60), 100, np.uint8)

    def window(margins: list[float | None]) -> list[PadSample]:
        return [PadSample(k / 15, points, 0.3, gray, (0, 0), m) for k, m in enumerate(margins)]

    one_bad_frame = evaluate(window([6.0] * 7 + [-12.0] + [6.0] * 7))
    assert not one_bad_frame.attack and one_bad_frame.cues["model_margin"] == 6.0
    mostly_spoof = evaluate(window([-9.0] * 10 + [5.0] * 5 + [None] * 3))
    assert mostly_spoof.attack and mostly_spoof.deciding_cue == "learned_model"
    assert mostly_spoof.model_frames == 12  # the last 15 samples, three of them unscored
    assert any("scored 12 of 18" in line for line in mostly_spoof.reasons())


def test_a_cue_that_is_not_a_number_never_passes_as_bona_fide() -> None:
    points = np.zeros((68, 2))
    gray = np.full((60, 60), 100, np.uint8)
    assert fused_score(8.0, 0.5, float("nan")) == 1.0
    assert fused_score(float("nan"), 0.5, 0.9) == 1.0
    nan_margins = [PadSample(k / 15, points, 0.3, gray, (0, 0), float("nan")) for k in range(5)]
    result = evaluate(nan_margins)
    assert result.attack and result.deciding_cue == "not_scored"
    assert PadResult(float("nan"), 0.5, {}, 1).attack


def test_bench_pad_on_two_small_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gatectl.cli import main

    bona, attack = tmp_path / "bona", tmp_path / "attack"
    bona.mkdir()
    attack.mkdir()
    shutil.copy(shared_data("pad", "samples", "image_T1.jpg"), bona)
    for name in ("image_F1.jpg", "image_F2.jpg"):
        shutil.copy(shared_data("pad", "samples", name), attack)
    (attack / "no_face.png").write_bytes(_png(np.full((120, 160, 3), 200, np.uint8)))
    (attack / "broken.jpg").write_bytes(b"not an image")
    code = main(["bench", "pad", "--bona-fide", str(bona), "--attack", str(attack), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["bona_fide"], out["attack"]) == (1, 4)
    assert out["fta"] == {"bona_fide": 0, "attack": 2}
    assert out["threshold"] == BiometricSettings().pad_threshold
    assert out["apcer"] == 0.0 and out["bpcer"] == 0.0
    assert set(out["scores"]) == {"fused", "model", "cues"}
    assert out["scores"]["fused"]["attack"]["n"] == 2 and out["scores"]["model"]["bona_fide"]["max"] < 0.5
    assert out["deciding_cues"]["attack"] == {"learned_model": 2}
    assert main(["bench", "pad", "--bona-fide", str(bona), "--attack", str(tmp_path / "nowhere")]) == 2
    assert "--attack" in capsys.readouterr().err


def _png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", rgb)
    assert ok
    return data.tobytes()


def test_scoring_from_several_threads_gives_the_same_margins() -> None:
    from concurrent.futures import ThreadPoolExecutor

    images = [sample(name) for name in sorted(SAMPLES)]
    boxes = []
    for image in images:
        face = analyse_frame(image).primary
        assert face is not None
        boxes.append((face.box.left, face.box.top, face.box.right, face.box.bottom))
    alone = [pad_net.face_margin(i, b) for i, b in zip(images, boxes, strict=True)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda k: pad_net.face_margin(images[k % 3], boxes[k % 3]), range(12)))
    assert together == alone * 4


def test_a_missing_model_file_is_a_clear_error_and_no_frame_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pad_net, "_net", None)
    monkeypatch.setattr(pad_net, "MODEL_PATH", tmp_path / "absent.onnx")
    with pytest.raises(pad_net.PadModelError, match="not found"):
        pad_net.load()
    result = score_image(sample("image_T1.jpg"), BiometricSettings())  # a live face, but unscored
    assert result is not None and result.attack and result.deciding_cue == "not_scored"
