"""The verification benchmark: metrics on known scores, the pairs format, all-pairs scoring, and a tiny
end-to-end run of ``egate bench match`` on a few LFW pairs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data

from biometrics import metrics
from biometrics.bench import BenchError, Encoded, all_pairs_scores, read_pairs
from biometrics.calibration import calibrate


def test_error_rates_at_a_threshold() -> None:
    genuine = np.array([0.2, 0.3, 0.4, np.inf])  # one failure to acquire
    impostor = np.array([0.35, 0.7, 0.8, 0.9, np.inf])
    assert metrics.fmr_fnmr(genuine, impostor, 0.45) == (0.2, 0.25)
    assert metrics.fmr_fnmr(genuine, impostor, 0.3) == (0.0, 0.5)


def test_threshold_for_a_target_fmr() -> None:
    rng = np.random.default_rng(1)
    impostor = rng.normal(0.8, 0.07, 100_000)
    genuine = rng.normal(0.4, 0.07, 10_000)
    t = metrics.threshold_for_fmr(impostor, 1e-3)
    fmr, _ = metrics.fmr_fnmr(genuine, impostor, t)
    assert fmr <= 1e-3 and fmr > 0.9e-3
    s = metrics.summary(genuine, impostor, t)
    assert s["fnmr_at_fmr"]["1e-4"] is not None and s["eer"] < 0.01  # type: ignore[index]
    assert metrics.fnmr_at_fmr(genuine, impostor[:500], 1e-3) is None  # too few impostors
    cal = calibrate(genuine, impostor, 1e-3)
    assert cal.threshold == t and cal.impostor_comparisons == 100_000
    with pytest.raises(ValueError):
        calibrate(genuine, impostor[:5000], 1e-3)


def test_all_pairs_scoring_is_every_unordered_pair() -> None:
    vectors = np.array([[0.0] * 128, [0.1] * 128, [1.0] * 128, [np.nan] * 128], dtype=np.float32)
    genuine, impostor = all_pairs_scores(["a", "a", "b", "b"], Encoded(vectors, np.zeros(4)))
    assert genuine.size == 2 and impostor.size == 4  # a-a, b-b ; a-b x 4
    assert np.isinf(genuine).sum() == 1 and np.isinf(impostor).sum() == 2
    assert np.isclose(sorted(genuine)[0], np.sqrt(128 * 0.01))


def test_pairs_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.txt"
    bad.write_text("1\t1\nA\t1\t2\n")
    with pytest.raises(BenchError):
        read_pairs(bad, tmp_path)
    bad.write_text("x y\n")
    with pytest.raises(BenchError):
        read_pairs(bad, tmp_path)
    with pytest.raises(BenchError):
        read_pairs(tmp_path / "missing.txt", tmp_path)


@pytest.mark.lfw
def test_bench_match_command_on_a_few_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gatectl.cli import main

    images = shared_data("lfw", "images")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(
        "1\t2\nColin_Powell\t40\t49\nColin_Powell\t49\t71\n"
        "Colin_Powell\t40\tTony_Blair\t32\nJanica_Kostelic\t1\tTony_Blair\t32\n"
    )
    plot = tmp_path / "det.png"
    code = main(
        [
            "bench",
            "match",
            "--images",
            str(images),
            "--pairs",
            str(pairs),
            "--json",
            "--workers",
            "1",
            "--det-plot",
            str(plot),
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "genuine",
        "impostor",
        "fta",
        "threshold",
        "fmr",
        "fnmr",
        "eer",
        "fnmr_at_fmr",
        "encode_ms_median",
        "compare_us_median",
    ):
        assert key in out and key in out["stock"], key
    assert out["genuine"] == 2 and out["impostor"] == 2 and out["fta"] == 0
    assert out["fmr"] == 0.0 and out["fnmr"] == 0.0
    assert out["stock"]["threshold"] == 0.6
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_bench_match_command_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gatectl.cli import main

    assert main(["bench", "match", "--images", str(tmp_path / "nowhere"), "--all-pairs"]) == 2
    assert "no image folder" in capsys.readouterr().err


@pytest.mark.lfw
def test_bench_match_all_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every same-person pair genuine, every other impostor; the folder holds links, not copies."""
    from gatectl.cli import main

    lfw = shared_data("lfw", "images")
    for person, numbers in {
        "Colin_Powell": (40, 49),
        "Tony_Blair": (32, 48),
        "Janica_Kostelic": (1,),
    }.items():
        (tmp_path / person).mkdir()
        for n in numbers:
            name = f"{person}_{n:04d}.jpg"
            (tmp_path / person / name).symlink_to(lfw / person / name)
    code = main(
        [
            "bench",
            "match",
            "--images",
            str(tmp_path),
            "--all-pairs",
            "--json",
            "--workers",
            "1",
            "--no-stock",
            "--threshold",
            "0.54",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "all-pairs" and "stock" not in out
    assert out["genuine"] == 2 and out["impostor"] == 8 and out["fta"] == 0
    assert out["fmr"] == 0.0 and out["fnmr"] == 0.0 and out["threshold"] == 0.54


@pytest.mark.lfw
def test_bench_capture_command(capsys: pytest.CaptureFixture[str]) -> None:
    from gatectl.cli import main

    shared_data("lfw", "images")
    assert main(["bench", "capture", "--runs", "1", "--frames", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["loop_fps"] > 0 and out["runs"][0]["match"] is True
    assert out["decision_ms_median"] > 0
