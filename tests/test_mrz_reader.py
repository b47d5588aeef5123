"""The serial MRZ reader driver against the simulated reader over a real pseudo-terminal."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import DeviceError, DeviceTimeout
from devices.mrz_reader import MrzLineAssembler, MrzReader, MrzReadError, MrzReading
from hardware_mocks.mrz.reader import FRAMINGS, SPECIMENS, SimulatedMrzReader, add_ocr_noise, frame_document
from passport.mrz import format_mrv_b, parse_mrz

TD3, TD1, TD2 = SPECIMENS["TD3"], SPECIMENS["TD1"], SPECIMENS["TD2"]
IDLE = 0.2  # short inter-burst gap so failures are reported quickly in tests
WAIT = 3.0  # generous bound on every read; nothing here takes near that long


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedMrzReader]:
    with SimulatedMrzReader(tmp_path / "mrz-reader") as device:
        yield device


@pytest.fixture
def reader(sim: SimulatedMrzReader) -> Iterator[MrzReader]:
    with MrzReader(f"{sim.url}&idle={IDLE}", timeout=WAIT) as dev:
        yield dev


def _noisy_seed(lines: tuple[str, ...], rate: float) -> int:
    """The first seed whose noise breaks a check digit (noise in the name field alone is undetectable)."""
    for seed in range(200):
        noisy = add_ocr_noise(lines, rate, random.Random(seed))
        if not parse_mrz(noisy, strict=False).valid:
            return seed
    raise AssertionError("no seed breaks a check digit")


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("layout", ["TD1", "TD2", "TD3"])
def test_reads_each_layout_and_framing(
    sim: SimulatedMrzReader, reader: MrzReader, layout: str, framing: str
) -> None:
    sim.present(SPECIMENS[layout], framing=framing)
    reading = reader.read_document(WAIT)
    assert isinstance(reading, MrzReading)
    assert reading.lines == SPECIMENS[layout]
    assert reading.mrz.layout == layout and reading.mrz.surname == "ERIKSSON" and reading.mrz.valid
    assert reading.timestamp > 0


def test_reads_visa_and_consecutive_documents(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    visa = format_mrv_b(
        issuing_state="UTO",
        surname="Eriksson",
        given_names="Anna Maria",
        document_number="L8988901C",
        nationality="XXX",
        birth_date="400907",
        sex="F",
        expiry_date="961210",
    )
    sim.write(
        frame_document(TD3, "crlf") + frame_document(visa, "cr") + b"\r" + frame_document(TD1, "stx-etx")
    )
    assert [reader.read_document(WAIT).mrz.layout for _ in range(3)] == ["TD3", "MRV-B", "TD1"]


def test_document_split_across_writes(sim: SimulatedMrzReader) -> None:
    with MrzReader(f"{sim.url}&idle=2", timeout=WAIT) as reader:
        data = frame_document(TD3, "crlf")
        sim.write(data[:20])
        time.sleep(0.05)
        sim.write(data[20:61])
        time.sleep(0.05)
        sim.write(data[61:])
        assert reader.read_document(WAIT).mrz.document_number == "L898902C3"


def test_noisy_mrz_rejected_naming_the_check_digit(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    seed = _noisy_seed(TD3, 0.3)
    sent = sim.present(TD3, noise=0.3, seed=seed)
    first_failure = parse_mrz(sent, strict=False).failed_checks[0]
    with pytest.raises(MrzReadError) as info:
        reader.read_document(WAIT)
    assert first_failure.describe() in info.value.reason
    assert "check digit" in str(info.value)
    assert info.value.lines == tuple(sent)
    # The reader carries on with the next presentation.
    sim.present(TD3)
    assert reader.read_document(WAIT).lines == TD3


def test_single_ocr_confusion_is_named(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.present((TD1[0], TD1[1].replace("7408122F", "74O8122F"), TD1[2]), framing="stx-etx")
    with pytest.raises(
        MrzReadError, match=r"birth date check digit \(line 2, position 7\) does not match its field"
    ):
        reader.read_document(WAIT)


def test_wrong_check_digit_in_td2(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.present((TD2[0], TD2[1][:19] + "5" + TD2[1][20:]), framing="crlf")
    with pytest.raises(
        MrzReadError, match=r"birth date check digit \(line 2, position 20\) does not match its field"
    ):
        reader.read_document(WAIT)


def test_garbage_rejected_then_good_document(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.send_garbage(b"\x00\xff\x1b[?25h noise\r\n")
    sim.present(TD1)
    with pytest.raises(MrzReadError, match="not an MRZ line"):
        reader.read_document(WAIT)
    assert reader.read_document(WAIT).lines == TD1


def test_unterminated_garbage_right_before_a_document(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.write(b"\x13\x11\xfe~junk" + frame_document(TD3))
    assert reader.read_document(WAIT).lines == TD3


def test_unterminated_garbage_then_silence_is_dropped(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.send_garbage(b"ABC123<<")
    time.sleep(IDLE * 3)
    sim.present(TD2)
    assert reader.read_document(WAIT).lines == TD2


def test_stray_line_does_not_spoil_the_next_document(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.write(TD3[1].encode() + b"\r" + frame_document(TD3))
    assert reader.read_document(WAIT).lines == TD3


def test_line_length_mismatch_is_named(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.present((TD3[0], TD3[1][:-3]))
    with pytest.raises(MrzReadError, match="line 2 has 41 characters, expected 44"):
        reader.read_document(WAIT)


def test_incomplete_document_is_reported(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.present(TD1[:2])
    with pytest.raises(MrzReadError, match="incomplete document: 2 of 3 lines"):
        reader.read_document(WAIT)


def test_timeout_with_nothing_sent(reader: MrzReader) -> None:
    with pytest.raises(DeviceTimeout, match="no MRZ document within 0.3 s"):
        reader.read_document(0.3)


def test_partial_line_discarded_at_timeout(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.write(b"P<UTOERIKS")
    with pytest.raises(DeviceTimeout):
        reader.read_document(0.1)
    sim.present(TD3)
    assert reader.read_document(WAIT).lines == TD3


def test_callback_mode(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    readings: list[MrzReading] = []
    errors: list[DeviceError] = []
    done = threading.Event()

    def on_reading(reading: MrzReading) -> None:
        readings.append(reading)
        done.set()

    reader.start(on_reading, errors.append)
    with pytest.raises(DeviceError, match="callback mode"):
        reader.read_document(0.1)
    sim.send_garbage(b"?\r")
    sim.present(TD3)
    assert done.wait(WAIT)
    reader.stop()
    assert [r.lines for r in readings] == [TD3]
    assert len(errors) == 1 and isinstance(errors[0], MrzReadError)


def test_health_and_flush(sim: SimulatedMrzReader, reader: MrzReader) -> None:
    sim.present(TD3)
    reader.read_document(WAIT)
    sim.send_garbage(b"xx\r")
    with pytest.raises(MrzReadError):
        reader.read_document(WAIT)
    health = reader.health()
    assert health.ok and health.device == "mrz"
    assert health.metrics["documents_read"] == 1 and health.metrics["errors"] == 1
    assert health.metrics["last_read_at"] is not None and health.metrics["port_open"]
    sim.present(TD2)
    deadline = time.monotonic() + WAIT
    while reader.health().metrics["documents_read"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.flush() == 1
    with pytest.raises(DeviceTimeout):
        reader.read_document(0.1)


def test_port_failure_and_reopen(tmp_path: Path) -> None:
    link = tmp_path / "mrz"
    first = SimulatedMrzReader(link)
    with MrzReader(f"{first.url}&idle={IDLE}", timeout=WAIT) as reader:
        first.close()
        with pytest.raises(DeviceError, match="serial port failed"):
            reader.read_document(WAIT)
        assert not reader.health().ok
        with SimulatedMrzReader(link) as second:
            deadline = time.monotonic() + WAIT
            while not reader.health().ok and time.monotonic() < deadline:
                time.sleep(0.05)
            assert reader.health().ok
            second.present(TD1)
            assert reader.read_document(WAIT).lines == TD1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/ttyACM0", "starts with mrz-serial://"),
        ("mrz-serial://?baud=9600", "no serial port path"),
        ("mrz-serial:///dev/ttyACM0?baud=fast", "baud='fast' is not an integer"),
        ("mrz-serial:///dev/ttyACM0?parity=Q", "parity must be"),
        ("mrz-serial:///nonexistent/ttyMRZ", "cannot open serial port /nonexistent/ttyMRZ"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(DeviceError, match=message):
        MrzReader(url, timeout=0.5)


def test_assembler_bounds_a_runaway_line() -> None:
    assembler = MrzLineAssembler(idle=0.1)
    assert assembler.feed(b"\xff" * 10_000, now=0.0) == [] and assembler.discarded_bytes >= 9_000
    (reading,) = assembler.feed(frame_document(TD3), now=0.01)
    assert isinstance(reading, MrzReading) and reading.lines == TD3
    assert assembler.feed(b"A" * 10_000 + b"\r", now=0.02)[0].reason.endswith(
        "is not an MRZ line (30, 36 or 44 characters)"
    )
    assert assembler.expire(now=1.0) == [] and not assembler.pending


def test_simulator_as_a_process(tmp_path: Path) -> None:
    link = tmp_path / "rig" / "mrz-reader"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware_mocks.mrz.reader", "--link", str(link)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert "MRZ reader on /dev/pts/" in proc.stdout.readline()
        with MrzReader(f"mrz-serial://{link}?baud=9600&idle={IDLE}", timeout=WAIT) as reader:
            proc.stdin.write("!framing crlf\n!specimen TD2\n" + "\n".join(TD1) + "\n\n")
            proc.stdin.flush()
            assert reader.read_document(WAIT).lines == TD2
            assert reader.read_document(WAIT).lines == TD1
            proc.stdin.write("!garbage 00ff0d\n")
            proc.stdin.flush()
            with pytest.raises(MrzReadError):
                reader.read_document(WAIT)
        proc.stdin.write("!quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=WAIT) == 0
        assert not link.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)
