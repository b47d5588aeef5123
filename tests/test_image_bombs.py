"""Chip images against decompression bombs: format whitelist, codestream header bounds, bounded decode."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA, shared_data
from PIL import Image

from biometrics.portrait import PortraitError, portrait_template
from passport.errors import LDSError
from passport.lds import decode_worker
from passport.lds.codestream import MAX_J2K_TILES, MAX_JPEG_SCANS, inspect_image
from passport.lds.image import decode_image

BOMBS = SHARED_DATA / "hostile" / "bombs"
BOMB_FILES = sorted(BOMBS.glob("*.hex")) if BOMBS.exists() else []


def _jpeg(width: int, height: int, **save: object) -> bytes:
    rng = np.random.default_rng(width * height)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(buf, "JPEG", **save)
    return buf.getvalue()


@pytest.mark.timeout(30)
@pytest.mark.skipif(not BOMB_FILES, reason=f"test data not found: {BOMBS} (see ../shared/data/README.md)")
@pytest.mark.parametrize("path", BOMB_FILES, ids=[p.stem for p in BOMB_FILES])
def test_every_image_bomb_ends_in_the_library_error(path: Path) -> None:
    data = bytes.fromhex(path.read_text().strip())
    with pytest.raises(LDSError):
        decode_image(data)
    with pytest.raises(PortraitError):
        portrait_template(data, decode=decode_image)


def test_only_jpeg_and_jpeg2000_are_accepted() -> None:
    buf = io.BytesIO()
    Image.new("1", (64, 64)).save(buf, "PNG")
    with pytest.raises(LDSError, match="neither JPEG nor JPEG 2000"):
        decode_image(buf.getvalue())
    with pytest.raises(PortraitError):  # the in-process path for operator files refuses PNG too
        portrait_template(buf.getvalue())


def test_progressive_jpeg_scans_are_counted_and_bounded() -> None:
    progressive = _jpeg(64, 48, progressive=True)
    header = inspect_image(progressive)
    assert header.progressive and 1 < header.scans <= MAX_JPEG_SCANS
    assert decode_image(progressive).shape == (48, 64, 3)
    # Repeat the last scan until the count passes the bound: refused from the header walk alone.
    sos = progressive.rindex(b"\xff\xda")
    last_scan = progressive[sos:-2]
    bomb = progressive[:-2] + last_scan * MAX_JPEG_SCANS + b"\xff\xd9"
    with pytest.raises(LDSError, match="scans"):
        decode_image(bomb)


def test_unsupported_jpeg_processes_and_malformed_headers_are_refused() -> None:
    baseline = _jpeg(32, 32)
    sof = baseline.index(b"\xff\xc0")
    lossless = baseline[: sof + 1] + b"\xc3" + baseline[sof + 2 :]
    with pytest.raises(LDSError, match="SOF3"):
        decode_image(lossless)
    with pytest.raises(LDSError, match="undecodable jpeg"):
        decode_image(baseline[: sof + 6])
    dnl = baseline[: sof + 5] + b"\x00\x00" + baseline[sof + 7 :]
    with pytest.raises(LDSError, match="DNL"):
        decode_image(dnl)


def test_jpeg2000_tile_grid_is_bounded() -> None:
    silver = Path(shared_data("emrtd", "misc", "dg2_silver.jp2")).read_bytes()
    header = inspect_image(silver)
    assert (header.format, header.tiles, header.components) == ("jpeg2000", 1, 3)
    code = silver.index(b"\xff\x4f\xff\x51")
    xt = code + 4 + 2 + 2 + 16  # SOC, SIZ, Lsiz, Rsiz, Xsiz..YOsiz
    tiny_tiles = silver[:xt] + (16).to_bytes(4, "big") + (16).to_bytes(4, "big") + silver[xt + 8 :]
    with pytest.raises(LDSError, match=f"bound of {MAX_J2K_TILES}"):
        decode_image(tiny_tiles)


def test_importing_the_decoder_leaves_pillow_settings_alone() -> None:
    script = (
        "from PIL import Image; before = Image.MAX_IMAGE_PIXELS; import passport.lds.image, passport.lds.dg2;"
        "assert Image.MAX_IMAGE_PIXELS == before, (before, Image.MAX_IMAGE_PIXELS)"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_decode_bounds_are_enforced_in_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decode over its time is stopped; a decode over its memory fails; the next decode gets a new worker."""
    image = _jpeg(400, 300)
    monkeypatch.setattr(decode_worker, "DECODE_TIMEOUT_S", 0.0)
    with pytest.raises(LDSError, match="longer than"):
        decode_image(image)
    monkeypatch.undo()
    decode_worker._stop_worker()
    monkeypatch.setattr(decode_worker, "MAX_DECODE_MEMORY", 64 * 1024)
    try:
        with pytest.raises(LDSError, match="memory|abnormally|undecodable"):
            decode_image(image)
    finally:
        monkeypatch.undo()
        decode_worker._stop_worker()
    assert decode_image(image).shape == (300, 400, 3)


@pytest.mark.skipif(not BOMB_FILES, reason=f"test data not found: {BOMBS} (see ../shared/data/README.md)")
def test_the_gate_decodes_the_chip_portrait_with_the_bounded_decoder() -> None:
    from gatectl.steps import portrait_future
    from passport.lds.dg2 import make_dg2

    bomb = bytes.fromhex((BOMBS / "jpeg_prog_4096_5400scans_lt64k.hex").read_text().strip())
    with pytest.raises(PortraitError, match="scans"):
        portrait_future(make_dg2(bomb, 4096, 4096)).result(timeout=30)


def test_worker_that_cannot_start_is_a_typed_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from passport.errors import LDSError
    from passport.lds import decode_worker

    def no_process(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(decode_worker, "_worker", None)
    monkeypatch.setattr(decode_worker.subprocess, "Popen", no_process)
    with pytest.raises(LDSError, match="could not be started"):
        decode_worker.start_worker()
