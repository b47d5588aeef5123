"""The camera driver against the simulated MJPEG camera over HTTP, and the scenario generators themselves."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests
from conftest import shared_data

from devices.base import DeviceError, DeviceTimeout
from devices.camera import Camera, Frame
from hardware_mocks.camera.scenarios import (
    SCENARIOS,
    FaceSourceError,
    ScenarioFrame,
    UnknownScenario,
    render_scenario,
    scenario_frames,
)
from hardware_mocks.camera.server import CameraServer

pytestmark = pytest.mark.lfw


def face_count(image: np.ndarray, scale: float = 0.5) -> int:
    """Faces found by dlib's HOG detector on a downscaled copy of a BGR frame."""
    import face_recognition

    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return len(face_recognition.face_locations(np.ascontiguousarray(small[:, :, ::-1])))


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def frames_at(name: str, faces_dir: Path, indices: list[int], **kw: object) -> list[ScenarioFrame]:
    wanted = set(indices)
    out = [f for f in itertools.islice(render_scenario(name, faces_dir=faces_dir, **kw), max(indices) + 1)
           if f.index in wanted]
    return out


@pytest.fixture(scope="module")
def lfw() -> Path:
    return shared_data("lfw", "images")


@pytest.fixture(scope="module")
def server(lfw: Path) -> Iterator[CameraServer]:
    with CameraServer(scenario="bona_fide", faces_dir=lfw, person="Colin_Powell", fps=15) as srv:
        yield srv


@pytest.fixture
def camera(server: CameraServer) -> Iterator[Camera]:
    cam = Camera(server.url, timeout_s=5.0)
    yield cam
    cam.close()


# ------------------------------------------------------------------------------------- driver over HTTP


def test_frames_arrive_with_the_expected_resolution(camera: Camera) -> None:
    frame = camera.wait_frame(0, timeout=10)
    assert isinstance(frame, Frame)
    assert frame.image.shape == (1080, 1920, 3)
    assert frame.image.dtype == np.uint8
    assert frame.size == (1920, 1080)
    assert frame.seq >= 1


def test_only_the_newest_frame_is_kept(camera: Camera) -> None:
    first = camera.wait_frame(0, timeout=10)
    time.sleep(1.0)  # nobody reads for a while: the reader must drop, not queue, what came meanwhile
    newest = camera.latest()
    assert newest is not None
    assert newest.seq > first.seq + 3
    assert newest.age < 2.0
    assert camera.latest(max_age=30.0) is not None
    nxt = camera.wait_frame(newest.seq, timeout=10)
    assert nxt.seq > newest.seq
    assert nxt.monotonic >= newest.monotonic


def test_health_reports_fps_and_a_fresh_frame(camera: Camera) -> None:
    start = camera.wait_frame(0, timeout=10)
    camera.wait_frame(start.seq + 10, timeout=15)
    health = camera.health()
    assert health.ok, health.detail
    assert health.device == "camera"
    assert health.metrics["fps"] > 0
    assert health.metrics["frame_age_s"] < 2.0
    assert (health.metrics["width"], health.metrics["height"]) == (1920, 1080)
    assert health.metrics["backend"] == "FFMPEG"
    assert health.as_dict()["url"] == camera.url


def test_wait_frame_times_out_with_device_timeout(camera: Camera) -> None:
    frame = camera.wait_frame(0, timeout=10)
    with pytest.raises(DeviceTimeout):
        camera.wait_frame(frame.seq + 10_000, timeout=0.3)


@pytest.mark.parametrize("mode", ["close", "freeze", "refuse"])
def test_dropped_stream_degrades_health_then_reconnects_by_itself(mode: str) -> None:
    with CameraServer(scenario="empty", size=(640, 480), fps=15) as srv, \
            Camera(srv.url, timeout_s=2.0, stall_s=1.5, backoff_max_s=1.0) as cam:
        before = cam.wait_frame(0, timeout=10)
        assert cam.health().ok
        srv.drop(4.0, mode)
        assert wait_until(lambda: not cam.health().ok, timeout=10), "health stayed ok during the drop"
        # no frames while the stream is down: the age of the newest frame grows
        assert wait_until(lambda: cam.health().metrics["frame_age_s"] > 1.0, timeout=10)
        assert not cam.health().ok
        # the stream comes back by itself after the drop; the driver reconnects without being asked
        after = cam.wait_frame(cam.latest().seq, timeout=20)  # type: ignore[union-attr]
        assert after.seq > before.seq
        assert wait_until(lambda: cam.health().ok, timeout=10), cam.health().detail
        assert cam.health().metrics["reconnects"] >= 1
        assert after.image.shape == (480, 640, 3)


def test_stream_drop_scenario_drops_periodically_and_the_driver_recovers(lfw: Path) -> None:
    with CameraServer(scenario="stream_drop", faces_dir=lfw, size=(640, 480), drop_every=1.0,
                      drop_seconds=2.0) as srv, Camera(srv.url, timeout_s=2.0, stall_s=1.5, backoff_max_s=1.0) as cam:
        cam.wait_frame(0, timeout=10)
        assert wait_until(lambda: srv.status()["dropped"], timeout=10)
        assert wait_until(lambda: not cam.health().ok, timeout=10)
        assert wait_until(lambda: cam.health().metrics["reconnects"] >= 1, timeout=20), cam.health().detail


def test_switching_scenario_changes_content(server: CameraServer, camera: Camera) -> None:
    resp = requests.post(f"{server.base_url}/scenario", json={"name": "empty"}, timeout=10)
    assert resp.status_code == 200 and resp.json()["scenario"] == "empty"
    seq = camera.wait_frame(0, timeout=10).seq
    frame = camera.wait_frame(seq + 2, timeout=10)  # a frame rendered after the switch
    assert face_count(frame.image) == 0

    resp = requests.post(f"{server.base_url}/scenario", json={"name": "approach", "person": "Colin_Powell"},
                         timeout=10)
    assert resp.status_code == 200 and resp.json()["scenario"] == "approach"
    seen = 0
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline and not seen:
        frame = camera.wait_frame(frame.seq, timeout=10)
        seen = face_count(frame.image)
        time.sleep(0.4)
    assert seen == 1, "the approaching traveller's face never became detectable"
    server.set_scenario("bona_fide", person="Colin_Powell")


def test_snapshot_status_and_control_api(server: CameraServer) -> None:
    snap = requests.get(server.snapshot_url, timeout=10)
    assert snap.status_code == 200 and snap.headers["Content-Type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(snap.content, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (1080, 1920, 3)
    status = requests.get(f"{server.base_url}/status", timeout=10).json()
    assert status["width"] == 1920 and status["height"] == 1080
    assert set(SCENARIOS) <= set(status["scenarios"])
    bad = requests.post(f"{server.base_url}/scenario", json={"name": "no_such_scenario"}, timeout=10)
    assert bad.status_code == 400 and "unknown camera scenario" in bad.json()["error"]
    bad = requests.post(f"{server.base_url}/drop", json={"seconds": 1, "mode": "explode"}, timeout=10)
    assert bad.status_code == 400


def test_stream_is_multipart_mjpeg_with_content_length(server: CameraServer) -> None:
    with requests.get(server.url, stream=True, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace; boundary=")
        raw = b""
        for chunk in resp.iter_content(65536):
            raw += chunk
            if raw.count(b"--egateframe") >= 2:
                break
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Content-Type: image/jpeg" in head
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert rest[:2] == b"\xff\xd8" and rest[length - 2:length] == b"\xff\xd9"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://127.0.0.1:{_free_port()}/stream.mjpg", "refused"),
        ("ftp://camera.example/stream", "unsupported scheme"),
        ("camera://front", "index must be an integer"),
        ("file:///nonexistent/gate.avi", "not found"),
        ("", "empty"),
    ],
)
def test_bad_url_gives_a_clear_device_error(url: str, words: str) -> None:
    with pytest.raises(DeviceError, match=words):
        Camera(url, timeout_s=2.0)


def test_wrong_path_on_a_live_server_is_reported(server: CameraServer) -> None:
    with pytest.raises(DeviceError, match="404"):
        Camera(f"{server.base_url}/no-such-stream.mjpg", timeout_s=2.0)


def test_video_file_source_loops(tmp_path: Path) -> None:
    # a short clip of the empty gate (no face in it: nothing biometric is written to disk)
    path = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    assert writer.isOpened()
    for image in itertools.islice(scenario_frames("empty", size=(320, 240)), 10):
        writer.write(image)
    writer.release()
    with Camera(f"file://{path}", timeout_s=5.0) as cam:
        frame = cam.wait_frame(15, timeout=10)  # more frames than the file has: it looped
        assert frame.size == (320, 240)
    with Camera(str(path), timeout_s=5.0) as cam:
        assert cam.wait_frame(0, timeout=10).size == (320, 240)


# ------------------------------------------------------------------------------ scenario generators


def test_empty_has_no_face() -> None:
    frame = next(render_scenario("empty", size=(640, 360)))
    assert frame.faces == () and frame.image.shape == (360, 640, 3)
    assert face_count(frame.image, scale=1.0) == 0


def test_two_people_frames_contain_two_faces(lfw: Path) -> None:
    (frame,) = frames_at("two_people", lfw, [45], seed=4)
    assert len(frame.faces) == 2
    assert frame.faces[0].person != frame.faces[1].person
    assert face_count(frame.image) == 2


def test_bona_fide_blinks_close_the_eyes(lfw: Path) -> None:
    frames = list(itertools.islice(render_scenario("bona_fide", faces_dir=lfw, person="Colin_Powell", seed=1),
                                   15 * 6))
    closed = [f for f in frames if f.faces[0].blink >= 1.0]
    assert closed, "no blink in six seconds"
    blink_runs = [len(list(g)) for k, g in itertools.groupby(frames, key=lambda f: f.faces[0].blink > 0) if k]
    assert all(2 <= n <= 4 for n in blink_runs)
    shut = closed[0]
    before = frames[shut.index - 3]  # open eyes just before the blink
    reference = frames[shut.index - 4]
    assert before.faces[0].blink == 0 and reference.faces[0].blink == 0

    r = int(before.faces[0].interocular * 0.3)

    def eye_region(f: ScenarioFrame) -> np.ndarray:
        (lx, ly), (rx, ry) = f.faces[0].eyes
        return np.concatenate([f.image[int(y) - r // 2:int(y) + r // 2, int(x) - r:int(x) + r].astype(np.float32)
                               for x, y in ((lx, ly), (rx, ry))])

    blink_change = np.abs(eye_region(shut) - eye_region(before)).mean()
    open_change = np.abs(eye_region(before) - eye_region(reference)).mean()
    assert blink_change > 3 * open_change + 5


def test_approach_grows_and_turn_faces_the_camera(lfw: Path) -> None:
    first, last = frames_at("approach", lfw, [0, 75], person="Colin_Powell")
    assert first.faces[0].interocular < 0.5 * last.faces[0].interocular
    assert first.faces[0].interocular < 60  # far: the kiosk asks to come closer
    assert 130 < last.faces[0].interocular < 150  # at the gate: above the 120 px of BSI TR-03121-3
    start, end = frames_at("turn", lfw, [0, 60], person="Colin_Powell")
    assert abs(start.faces[0].yaw) > 40 and abs(start.faces[0].roll) > 20
    assert abs(end.faces[0].yaw) < 5 and abs(end.faces[0].roll) < 3
    assert face_count(end.image) == 1


@pytest.mark.parametrize(("name", "attack"), [("print_attack", "print"), ("replay_attack", "replay")])
def test_attack_scenarios_render_a_detectable_non_live_face(lfw: Path, name: str, attack: str) -> None:
    frames = list(itertools.islice(render_scenario(name, faces_dir=lfw, person="Colin_Powell", seed=2), 20))
    assert all(f.attack == attack and f.image.shape == (1080, 1920, 3) for f in frames)
    assert all(len(f.faces) == 1 and not f.faces[0].live for f in frames)
    assert frames[-1].faces[0].interocular > 120
    # the attack shows a face a detector finds (that is what makes it an attack)
    assert sum(face_count(frames[k].image) for k in (4, 11, 19)) >= 2
    assert not np.array_equal(frames[0].image, frames[-1].image)  # it moves


def test_scenarios_are_deterministic_and_configurable(lfw: Path) -> None:
    a = list(itertools.islice(scenario_frames("bona_fide", faces_dir=lfw, seed=7, size=(640, 480)), 3))
    b = list(itertools.islice(scenario_frames("bona_fide", faces_dir=lfw, seed=7, size=(640, 480)), 3))
    c = next(scenario_frames("bona_fide", faces_dir=lfw, seed=8, size=(640, 480)))
    assert a[0].shape == (480, 640, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c)


def test_flat_folder_of_specimen_faces() -> None:
    faces = shared_data("specimens", "faces")
    frame = next(render_scenario("bona_fide", faces_dir=faces, person="examples__obama"))
    assert frame.faces[0].person == "examples__obama"
    assert face_count(frame.image) == 1


def test_a_person_can_be_one_chosen_photo(lfw: Path) -> None:
    frame = next(render_scenario("bona_fide", faces_dir=lfw, person="Colin_Powell/Colin_Powell_0049.jpg"))
    assert frame.faces[0].person == "Colin_Powell"
    assert frame.faces[0].source.endswith("Colin_Powell_0049.jpg")


def test_scenario_errors_are_typed(lfw: Path) -> None:
    with pytest.raises(UnknownScenario):
        render_scenario("moonwalk", faces_dir=lfw)
    with pytest.raises(FaceSourceError):
        render_scenario("bona_fide", faces_dir=None)
    with pytest.raises(FaceSourceError):
        render_scenario("bona_fide", faces_dir=lfw, person="Nobody_Of_That_Name")
