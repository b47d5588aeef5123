"""One traveller end to end on the simulated devices, watching that no biometric data reaches the disk
and no personal data reaches a log or an error message.

The MRZ comes from the simulated MRZ reader over its pseudo-terminal (after a misread the driver rejects),
the chip of a generated passport (an LFW face as JPEG 2000 DG2) is read through pcscd + vpcd, the portrait
is decoded by the passport library's bounded decoder and templated as soon as DG2 arrives, the same person
is captured from the MJPEG camera through the camera driver, and the faces are compared; a second read
with a wrong date of birth fails. Meanwhile an audit hook records every file opened for writing by Python
code, and the working and temporary folders are compared before and after for files written by native
code (OpenCV, dlib, Pillow); every log record at DEBUG and every exception message is searched for the
traveller's MRZ fields.
"""

from __future__ import annotations

import logging
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
    # Serial ports (a pty behind a symlink) and already open descriptors are devices, not files.
    if writing and not isinstance(path, int) and not os.path.realpath(path).startswith("/dev/"):
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


class _LogText(logging.Handler):
    """Every record's message, with its exception text and traceback, as a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@pytest.fixture
def every_log_record() -> Iterator[list[str]]:
    handler = _LogText()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    old_level = root.level
    root.setLevel(logging.DEBUG)
    for name in levels:
        logging.getLogger(name).setLevel(logging.NOTSET)
    root.addHandler(handler)
    try:
        yield handler.texts
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def personal_fields(mrz) -> list[str]:  # type: ignore[no-untyped-def]
    """The traveller's identifying MRZ values as they could appear in text."""
    from passport.mrz import FILLER

    birth = mrz.birth()
    values = [mrz.document_number, mrz.birth_date, birth.isoformat(), birth.strftime("%d.%m.%Y"),
              mrz.nationality, mrz.mrz_information(), mrz.name_field.strip(FILLER)]
    values += [part for part in (mrz.surname + " " + mrz.given_names).split() if len(part) > 2]
    values += list(mrz.lines)
    return values


def _with_birth_date(mrz, birth_date: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from passport.mrz import FILLER, format_td3

    return format_td3(
        document_code=mrz.document_code.rstrip(FILLER), issuing_state=mrz.issuing_state, surname=mrz.surname,
        given_names=mrz.given_names, document_number=mrz.document_number, nationality=mrz.nationality,
        birth_date=birth_date, sex=mrz.sex, expiry_date=mrz.expiry_date,
        optional_data=mrz.optional_data.rstrip(FILLER),
    )  # fmt: skip


def leaks(texts: list[str], fields: list[str]) -> list[tuple[str, str]]:
    return [(field, text) for text in texts for field in fields if field.upper() in text.upper()]


def test_traveller_transaction_writes_no_biometric_data_and_logs_no_personal_data(
    tmp_path: Path, vpcd_host, vpcd_reader_name: str,  # type: ignore[no-untyped-def]
    watch_disk: list[str], every_log_record: list[str],
) -> None:
    from biometrics.capture import CaptureSession
    from biometrics.matcher import verify
    from biometrics.portrait import start_portrait_template
    from biometrics.settings import BiometricSettings
    from devices.camera import Camera
    from devices.mrz_reader import MrzReader, MrzReadError
    from devices.pcsc_reader import PcscReader
    from hardware_mocks.camera.server import CameraServer
    from hardware_mocks.emrtd.chip import EmrtdChip
    from hardware_mocks.emrtd.generator import passport_for_lfw_person
    from hardware_mocks.mrz.reader import SimulatedMrzReader
    from passport.errors import PassportError
    from passport.lds.dg2 import decode_dg2
    from passport.lds.image import decode_image
    from passport.mrz import parse_mrz
    from passport.reader import read_passport

    faces = shared_data("lfw", "images")
    person = "Tony_Blair"
    passport = passport_for_lfw_person(faces / person, rng_seed=3, nationality="NZL")
    fields = personal_fields(passport.mrz)
    errors: list[str] = []

    # A misread whose check digits hold but whose date of birth is impossible (month 13): rejected by name.
    birth = passport.mrz.birth_date
    misread_birth = birth[:2] + "13" + birth[4:]
    misread = (passport.mrz_lines[0], _with_birth_date(passport.mrz, misread_birth)[1])
    fields.append(misread_birth)
    with SimulatedMrzReader(tmp_path / "mrz-reader") as sim, \
            MrzReader(f"{sim.url}&idle=0.2", timeout=5) as mrz_reader:
        sim.present(misread)
        with pytest.raises(MrzReadError) as rejected:
            mrz_reader.read_document(5)
        errors.append(str(rejected.value))
        sim.present(passport.mrz_lines)
        mrz = mrz_reader.read_document(5).mrz

    vpcd_host.insert(EmrtdChip(passport.chip_files))
    portrait = []
    with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
        assert reader.wait_for_card(5)
        reader.connect()
        result = read_passport(reader, mrz, trust=passport.pki.trust_store(),
                               on_dg2=lambda dg2: portrait.append(dg2))
    assert result.verified, result.as_dict()
    assert len(portrait) == 1

    reference = start_portrait_template(decode_dg2(portrait[0]).faces[0].image_data, decode=decode_image)

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

    wrong_birth = "010101" if mrz.birth_date != "010101" else "020202"
    wrong = parse_mrz(_with_birth_date(mrz, wrong_birth))
    with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
        reader.connect()
        try:
            failed = read_passport(reader, wrong, trust=passport.pki.trust_store())
            errors.append(str(failed.as_dict().get("errors", "")))
        except (PassportError, OSError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    assert every_log_record, "nothing was logged: the capture is not working"
    found = leaks(every_log_record + errors, fields)
    assert not found, f"personal data in logs or errors: {found[:5]}"
