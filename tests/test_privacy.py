"""One traveller end to end on the simulated devices, watching that no biometric data reaches the disk.

The chip of a generated passport (an LFW face as JPEG 2000 DG2) is read through pcscd + vpcd, the portrait
is templated as soon as DG2 arrives, the same person is captured from the MJPEG camera through the camera
driver, and the faces are compared. Meanwhile an audit hook records every file opened for writing by
Python code, and the working and temporary folders are compared before and after for files written by
native code (OpenCV, dlib, Pillow).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import shared_data

pytestmark = [pytest.mark.pcsc, pytest.mark.lfw]

_WATCH: dict[str, list[str] | None] = {"writes": None}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple) -> None:  # type: ignore[type-arg]
    writes = _WATCH["writes"]
    if writes is None or event != "open":
        return
    path, mode, flags = args
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and flags & _WRITE_FLAGS
    )
    if writing and not str(path).startswith("/dev/"):
        writes.append(str(path))


sys.addaudithook(_audit)


def _files(folder: Path) -> set[tuple[str, int]]:
    found = set()
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "__pycache__", ".hypothesis")]
        for name in names:
            p = Path(root, name)
            try:
                found.add((str(p), p.stat().st_mtime_ns))
            except OSError:
                continue
    return found


@pytest.fixture
def watch_disk() -> Iterator[list[str]]:
    folders = [Path.cwd(), Path(tempfile.gettempdir())]
    before = {f: _files(f) for f in folders}
    writes: list[str] = []
    _WATCH["writes"] = writes
    try:
        yield writes
    finally:
        _WATCH["writes"] = None
    new = set()
    for f in folders:
        new |= {p for p, _ in _files(f) - before[f]}
    # pytest's own capture files and pcscd's or other processes' files are not ours; faces and templates
    # would be images or arrays: look at what appeared.
    suspicious = [p for p in new if Path(p).suffix.lower() in
                  {".jpg", ".jpeg", ".jp2", ".j2k", ".png", ".bmp", ".npy", ".npz", ".pkl", ".bin", ".dat"}]
    assert not suspicious, f"files written during the transaction: {suspicious}"


def test_traveller_transaction_writes_no_biometric_data(
    vpcd_host, vpcd_reader_name: str, watch_disk: list[str]  # type: ignore[no-untyped-def]
) -> None:
    from biometrics.capture import CaptureSession
    from biometrics.matcher import verify
    from biometrics.portrait import start_portrait_template
    from biometrics.settings import BiometricSettings
    from devices.camera import Camera
    from devices.pcsc_reader import PcscReader
    from hardware_mocks.camera.server import CameraServer
    from hardware_mocks.emrtd.generator import passport_for_lfw_person
    from passport.reader import read_passport

    faces = shared_data("lfw", "images")
    person = "Tony_Blair"
    passport = passport_for_lfw_person(faces / person, rng_seed=3)
    from hardware_mocks.emrtd.chip import EmrtdChip

    vpcd_host.insert(EmrtdChip(passport.chip_files))
    portrait = []
    with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
        assert reader.wait_for_card(5)
        reader.connect()
        result = read_passport(reader, passport.mrz, trust=passport.pki.trust_store(),
                               on_dg2=lambda dg2: portrait.append(dg2))
    assert result.verified, result.as_dict()
    assert len(portrait) == 1
    from passport.lds.dg2 import decode_dg2

    reference = start_portrait_template(decode_dg2(portrait[0]).faces[0].image_data)

    settings = BiometricSettings()
    with CameraServer(scenario="bona_fide", person=person, faces_dir=faces) as server, \
            Camera(server.url) as camera:
        session = CaptureSession(settings)
        deadline = time.monotonic() + 30
        seq = 0
        while not session.ready and time.monotonic() < deadline:
            frame = camera.wait_frame(seq, timeout=5)
            seq = frame.seq
            session.feed(frame.image[:, :, ::-1], frame.timestamp)
    assert session.ready, f"no good frame: last instruction {session.instruction}"
    probes = [c.template() for c in session.best()]
    decision = verify(reference.result(timeout=60), probes, settings.match_threshold, settings.fusion)
    assert decision.match, decision.reasons()
    session.clear()
    assert watch_disk == [], f"opened for writing during the transaction: {watch_disk}"
