"""The gate I/O driver against the simulated Modbus RTU board, over a real pseudo-terminal serial link."""

from __future__ import annotations

import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.base import DeviceError
from devices.gate_io import GateIO, GateIOFault, GateIOFaultEvent, GateIOURLError
from hardware_mocks.io.board import DEFAULT_COILS, DEFAULT_INPUTS, IoBoard, ScriptStep
from hardware_mocks.serial_link import SerialLink

TIMEOUT = 0.3
RETRIES = 2
REPO = Path(__file__).resolve().parent.parent


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {timeout_s} s")
        time.sleep(0.02)


class Faults:
    """Collects fault events from the driver's listener."""

    def __init__(self) -> None:
        self.events: list[GateIOFaultEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: GateIOFaultEvent) -> None:
        with self._lock:
            self.events.append(event)

    @property
    def kinds(self) -> list[str]:
        with self._lock:
            return [e.kind for e in self.events]


@pytest.fixture
def link(tmp_path: Path) -> Iterator[SerialLink]:
    with SerialLink(driver_link=tmp_path / "io-board", baud=19200) as lnk:
        yield lnk


@pytest.fixture
def board(link: SerialLink) -> Iterator[IoBoard]:
    with IoBoard(link=link, open_delay_s=0.1, close_delay_s=0.2, step_s=0.1) as b:
        yield b


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def gate(board: IoBoard, faults: Faults) -> Iterator[GateIO]:
    io = GateIO(board.url(), DEFAULT_COILS, DEFAULT_INPUTS, timeout=TIMEOUT, retries=RETRIES)
    io.add_fault_listener(faults)
    yield io
    io.close()


def test_coils_written_and_read_back(gate: GateIO, board: IoBoard) -> None:
    assert gate.outputs() == dict.fromkeys(DEFAULT_COILS, False)
    gate.set_output("light_green", True)
    gate.set_output("buzzer", True)
    assert gate.outputs() == {**dict.fromkeys(DEFAULT_COILS, False), "light_green": True, "buzzer": True}
    assert board.state().coils["light_green"] is True
    gate.set_output("buzzer", False)
    assert gate.outputs()["buzzer"] is False


def test_inputs_at_rest(gate: GateIO, board: IoBoard) -> None:
    before = board.state().requests
    inputs = gate.read_inputs()
    assert board.state().requests == before + 1  # the whole input range in one request
    assert inputs == {
        "entry_door_closed": True,
        "exit_door_closed": True,
        "presence_entry": False,
        "presence_inside": False,
        "presence_exit": False,
        "tailgating_beam": False,
        "fire_alarm_loop": True,
    }
    assert gate.fire_alarm is False


def test_fire_alarm_loop_is_normally_closed(gate: GateIO, board: IoBoard) -> None:
    board.fire_alarm(True)
    assert gate.read_inputs()["fire_alarm_loop"] is False
    assert gate.fire_alarm is True
    board.fire_alarm(False)
    assert gate.fire_alarm is False


def test_unknown_output_is_a_clear_error(gate: GateIO) -> None:
    with pytest.raises(ValueError, match="unknown output 'trapdoor'"):
        gate.set_output("trapdoor", True)


def test_door_opens_only_when_released_and_pushed_then_closes(gate: GateIO, board: IoBoard) -> None:
    walker = board.person_enters(stop_at="inside")
    wait_until(lambda: gate.read_inputs()["presence_entry"], what="presence at the entry")
    time.sleep(0.4)  # pushing a locked door for longer than the opening delay
    assert gate.read_inputs()["entry_door_closed"] is True
    assert board.state().people == {walker: "entry"}

    gate.set_output("entry_lock", True)
    wait_until(lambda: not gate.read_inputs()["entry_door_closed"], what="entry door open")
    wait_until(lambda: gate.read_inputs()["presence_inside"], what="traveller inside")
    gate.set_output("entry_lock", False)
    wait_until(lambda: gate.read_inputs()["entry_door_closed"], what="entry door closed again")
    state = board.state()
    assert state.doors["entry"] == {"closed": True, "locked": True, "openings": 1}
    assert state.doors["exit"]["openings"] == 0
    assert state.beam_breaks == 1


def test_released_door_stays_closed_without_a_push(gate: GateIO, board: IoBoard) -> None:
    gate.set_output("exit_lock", True)
    time.sleep(0.3)
    assert gate.read_inputs()["exit_door_closed"] is True
    assert board.state().doors["exit"]["locked"] is False


def test_walk_through_and_tailgate(gate: GateIO, board: IoBoard) -> None:
    gate.set_output("entry_lock", True)
    gate.set_output("exit_lock", True)
    board.tailgate()
    state = board.wait_for(lambda s: s.passed == 2 and not s.people, timeout_s=8)
    assert state.beam_breaks == 2
    assert state.doors["entry"]["openings"] == 1  # both went through one opening


def test_dropped_response_is_retried_transparently(gate: GateIO, link: SerialLink, faults: Faults) -> None:
    link.drop_responses(1)
    assert gate.read_inputs()["entry_door_closed"] is True
    health = gate.health(probe=False)
    assert health.ok and health.metrics["retries"] == 1
    assert faults.kinds == []


def test_corrupted_response_is_retried_transparently(gate: GateIO, link: SerialLink, faults: Faults) -> None:
    link.corrupt_responses(RETRIES)
    gate.set_output("light_red", True)
    assert gate.outputs()["light_red"] is True
    assert gate.health(probe=False).metrics["retries"] == RETRIES
    assert faults.kinds == []


def test_drops_beyond_the_retry_budget_raise_and_notify(
    gate: GateIO, link: SerialLink, faults: Faults
) -> None:
    link.drop_responses(RETRIES + 1)
    with pytest.raises(GateIOFault) as err:
        gate.read_inputs()
    assert isinstance(err.value, DeviceError)
    assert err.value.kind == "timeout"
    assert faults.kinds == ["timeout"]
    assert "read inputs" in faults.events[0].detail
    health = gate.health(probe=False)
    assert not health.ok and "read inputs" in health.detail
    assert gate.read_inputs()["fire_alarm_loop"] is True  # the next request goes through again
    assert gate.health(probe=False).ok


def test_persistent_crc_errors_raise_a_crc_fault(gate: GateIO, link: SerialLink, faults: Faults) -> None:
    link.corrupt_responses(RETRIES + 1)
    with pytest.raises(GateIOFault) as err:
        gate.outputs()
    assert err.value.kind == "crc"
    assert faults.kinds == ["crc"]
    assert "CRC" in faults.events[0].detail


def test_late_reply_is_not_taken_for_the_next_one(board: IoBoard, link: SerialLink, faults: Faults) -> None:
    """A write's echo arriving after its timeout must not be read as the reply to the next request."""
    io = GateIO(board.url(), DEFAULT_COILS, DEFAULT_INPUTS, timeout=TIMEOUT, retries=0)
    io.add_fault_listener(faults)
    expected = dict(io.read_inputs())
    try:
        link.delay_frames(1, TIMEOUT * 1.5)
        with pytest.raises(GateIOFault, match="timeout"):
            io.set_output("light_red", True)
        try:  # the echo arrives while this request waits for its own reply
            assert io.read_inputs() == expected
        except GateIOFault as exc:
            assert exc.kind == "crc" and "does not belong" in str(exc)
        assert io.read_inputs() == expected
        assert io.outputs()["light_red"] is True  # the board did switch; only its echo was late

        link.delay_frames(1, TIMEOUT * 1.5)
        with pytest.raises(GateIOFault, match="timeout"):
            io.set_output("light_green", True)
        try:  # a write's late echo is not taken for the echo of a write to another coil
            io.set_output("buzzer", True)
        except GateIOFault as exc:
            assert exc.kind == "crc" and "does not belong" in str(exc)
            io.set_output("buzzer", True)
        assert io.outputs() == {
            **dict.fromkeys(DEFAULT_COILS, False),
            "light_red": True,
            "light_green": True,
            "buzzer": True,
        }
    finally:
        io.close()


def test_garbage_on_the_line_is_survived(gate: GateIO, link: SerialLink, faults: Faults) -> None:
    for noise in (b"\x00\xff\x13garbage\r\n", bytes(range(256)), b"\x01\x02\x01"):
        link.inject(noise)
        assert gate.read_inputs()["entry_door_closed"] is True
        gate.set_output("light_green", True)
    assert faults.kinds == []


def test_board_stopped_then_restarted(tmp_path: Path, faults: Faults) -> None:
    """The board's own link goes with it (a powered-off board with its USB adapter): disconnected, then back."""
    board = IoBoard(driver_link=tmp_path / "io-board", open_delay_s=0.1, close_delay_s=0.2)
    board.start()
    io = GateIO(board.url(), DEFAULT_COILS, DEFAULT_INPUTS, timeout=TIMEOUT, retries=RETRIES)
    io.add_fault_listener(faults)
    try:
        io.set_output("light_green", True)
        board.stop()
        with pytest.raises(GateIOFault) as err:
            io.read_inputs()
        assert err.value.kind == "disconnected"
        assert faults.kinds == ["disconnected"]
        assert not io.health(probe=False).ok
        board.start()
        assert io.read_inputs()["entry_door_closed"] is True
        assert io.outputs()["light_green"] is False  # the board came back from power-on
        assert io.health().ok
    finally:
        io.close()
        board.stop()


def test_board_silent_on_a_live_line_times_out_then_recovers(
    link: SerialLink, gate: GateIO, board: IoBoard, faults: Faults
) -> None:
    board.stop()
    with pytest.raises(GateIOFault) as err:
        gate.set_output("buzzer", True)
    assert err.value.kind == "timeout"
    board.start()
    gate.set_output("buzzer", True)
    assert gate.outputs()["buzzer"] is True
    assert faults.kinds == ["timeout"]


def test_other_unit_id_gets_no_answer(board: IoBoard, faults: Faults) -> None:
    io = GateIO(board.url(unit=7), DEFAULT_COILS, DEFAULT_INPUTS, timeout=0.1, retries=0)
    io.add_fault_listener(faults)
    try:
        with pytest.raises(GateIOFault):
            io.read_inputs()
        assert faults.kinds == ["timeout"]
    finally:
        io.close()


def test_missing_serial_device_is_a_disconnected_fault(tmp_path: Path, faults: Faults) -> None:
    io = GateIO(
        f"modbus-rtu://{tmp_path}/nothing-here", DEFAULT_COILS, DEFAULT_INPUTS, timeout=0.1, retries=1
    )
    io.add_fault_listener(faults)
    with pytest.raises(GateIOFault, match="disconnected"):
        io.outputs()
    assert faults.kinds == ["disconnected"]
    io.close()
    with pytest.raises(DeviceError, match="closed"):
        io.outputs()


def test_listener_errors_do_not_mask_the_fault(gate: GateIO, link: SerialLink) -> None:
    def broken(event: GateIOFaultEvent) -> None:
        raise RuntimeError("listener bug")

    gate.add_fault_listener(broken)
    link.drop_responses(RETRIES + 1)
    with pytest.raises(GateIOFault):
        gate.read_inputs()


def test_concurrent_callers_are_serialised(gate: GateIO) -> None:
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for i in range(5):
                gate.set_output(name, i % 2 == 0)
                gate.read_inputs()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("light_green", "light_red", "buzzer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert gate.outputs() == {
        **dict.fromkeys(DEFAULT_COILS, False),
        "light_green": True,
        "light_red": True,
        "buzzer": True,
    }


def test_non_default_address_map_is_honoured(link: SerialLink) -> None:
    coils = {"entry_lock": 20, "exit_lock": 17, "light_green": 30, "light_red": 31, "buzzer": 16}
    inputs = {
        "entry_door_closed": 108,
        "exit_door_closed": 100,
        "presence_entry": 101,
        "presence_inside": 102,
        "presence_exit": 103,
        "tailgating_beam": 104,
        "fire_alarm_loop": 120,
    }
    with IoBoard(link=link, unit=9, coils=coils, inputs=inputs, open_delay_s=0.1) as board:
        io = GateIO(board.url(), coils, inputs, timeout=TIMEOUT, retries=RETRIES)
        try:
            board.fire_alarm(True)
            board.set_presence("exit", True)
            assert io.read_inputs() == {
                "entry_door_closed": True,
                "exit_door_closed": True,
                "presence_entry": False,
                "presence_inside": False,
                "presence_exit": True,
                "tailgating_beam": False,
                "fire_alarm_loop": False,
            }
            io.set_output("exit_lock", True)
            assert board.state().coils == {**dict.fromkeys(coils, False), "exit_lock": True}
            assert io.outputs()["exit_lock"] is True
            board.set_presence("inside", True)
            wait_until(lambda: not io.read_inputs()["exit_door_closed"], what="exit door open")
        finally:
            io.close()


def test_address_outside_the_board_is_a_modbus_exception(board: IoBoard, faults: Faults) -> None:
    io = GateIO(board.url(), {**DEFAULT_COILS, "spare": 40}, DEFAULT_INPUTS, timeout=TIMEOUT, retries=RETRIES)
    io.add_fault_listener(faults)
    try:
        with pytest.raises(GateIOFault) as err:
            io.set_output("spare", True)
        assert err.value.kind == "exception"
        assert io.health(probe=False).metrics["retries"] == 0  # an exception answer is not retried
    finally:
        io.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("modbus-tcp://10.0.0.1:502", "scheme must be modbus-rtu"),
        ("modbus-rtu://dev/ttyUSB0", "three slashes"),
        ("modbus-rtu://", "no serial device path"),
        ("/dev/ttyUSB0", "no scheme"),
        ("modbus-rtu:///dev/ttyUSB0?baud=fast", "baud='fast' is not an integer"),
        ("modbus-rtu:///dev/ttyUSB0?unit=0", "unit=0 outside"),
        ("modbus-rtu:///dev/ttyUSB0?parity=X", "parity='X'"),
        ("modbus-rtu:///dev/ttyUSB0?stopbits=3", "stopbits=3"),
        ("modbus-rtu:///dev/ttyUSB0?speed=9600", "unknown parameter"),
    ],
)
def test_invalid_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(GateIOURLError, match=message):
        GateIO(url, DEFAULT_COILS, DEFAULT_INPUTS)


def test_invalid_maps_are_clear_errors() -> None:
    url = "modbus-rtu:///dev/ttyUSB0"
    with pytest.raises(GateIOURLError, match="two names one address"):
        GateIO(url, {"entry_lock": 0, "exit_lock": 0}, DEFAULT_INPUTS)
    with pytest.raises(GateIOURLError, match="span"):
        GateIO(url, DEFAULT_COILS, {**DEFAULT_INPUTS, "far": 5000})


def test_url_parameters_reach_the_serial_settings() -> None:
    io = GateIO(
        "modbus-rtu:///dev/ttyUSB0?baud=9600&unit=3&parity=e&stopbits=2", DEFAULT_COILS, DEFAULT_INPUTS
    )
    assert (io.settings.port, io.settings.baud, io.settings.unit) == ("/dev/ttyUSB0", 9600, 3)
    assert (io.settings.parity, io.settings.stopbits) == ("E", 2)
    assert io.health(probe=False).detail == "not contacted yet"


def test_from_config_section(board: IoBoard) -> None:
    from gatectl.config import parse_config

    cfg = parse_config(
        f'[devices.io]\nurl = "{board.url()}"\ntimeout_s = 0.2\nretries = 1\n'
        "[devices.io.coils]\nentry_lock = 0\nexit_lock = 1\n"
        "[trust]\npaths = ['.']\n[audit]\nkey = '" + "00" * 16 + "'\n"  # what every gate needs
    )
    io = GateIO.from_config(cfg.devices.io)
    try:
        assert (io.timeout_s, io.retries) == (0.2, 1)
        assert io.outputs() == {"entry_lock": False, "exit_lock": False}
        assert io.health().ok
    finally:
        io.close()


def test_scripted_steps_and_forced_door(gate: GateIO, board: IoBoard) -> None:
    done = board.play(
        [
            ScriptStep(0.0, "presence", ("exit", "on")),
            ScriptStep(0.1, "fire", ("on",)),
            ScriptStep(0.2, "force", ("exit",)),
        ]
    )
    assert done.wait(5)
    inputs = gate.read_inputs()
    assert inputs["presence_exit"] and not inputs["fire_alarm_loop"] and not inputs["exit_door_closed"]
    assert board.state().doors["exit"]["locked"] is True  # forced open with its lock engaged
    with pytest.raises(ValueError, match="unknown command"):
        board.play([ScriptStep(0.0, "teleport")])


def test_board_runs_as_a_process(tmp_path: Path) -> None:
    path = tmp_path / "io-board"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware_mocks.io.board", "--link", str(path), "--commands"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout

    def answer() -> str:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "the board process did not answer"
        return proc.stdout.readline().strip()

    try:
        assert answer() == f"io-board: unit 1 at {path}"
        io = GateIO(f"modbus-rtu://{path}?baud=19200&unit=1", DEFAULT_COILS, DEFAULT_INPUTS, timeout=TIMEOUT)
        assert io.fire_alarm is False
        proc.stdin.write("fire on\n")
        proc.stdin.flush()
        assert answer() == "ok"
        assert io.fire_alarm is True
        io.close()
        proc.stdin.close()  # end of commands: the board shuts down cleanly
        assert proc.wait(timeout=10) == 0
        assert not path.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
