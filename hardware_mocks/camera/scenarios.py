"""Scenarios of the simulated gate camera: endless, deterministic streams of BGR frames built from real face
photographs (LFW), for the MJPEG camera server and, without any HTTP, for biometric tests and benchmarks.

    from hardware_mocks.camera.scenarios import scenario_frames, render_scenario, SCENARIOS
    frames = scenario_frames("bona_fide", faces_dir=lfw_images, person="Colin_Powell", seed=3)
    first_second = list(itertools.islice(frames, 15))

``render_scenario`` yields :class:`ScenarioFrame` (image plus ground truth: face boxes, eye centres,
inter-eye distance, blink state, whether the face is live or a presentation attack); ``scenario_frames`` yields
the images only. The same name, person, fps, size and seed always give the same frames.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hardware_mocks.camera import render as sr
from hardware_mocks.camera.render import FaceSource, FaceSourceError

__all__ = [
    "SCENARIOS",
    "FaceSourceError",
    "FaceTruth",
    "ScenarioFrame",
    "ScenarioInfo",
    "UnknownScenario",
    "default_faces_dir",
    "render_scenario",
    "scenario_frames",
]

# Full HD, as border-capture cameras deliver: a traveller well placed at the gate then shows an inter-eye
# distance of about 144 px, above the 120 px of BSI TR-03121-3 (the LFW photographs the faces come from
# have ~40-50 px, so the face is upscaled; the sharpness criterion still passes).
DEFAULT_SIZE = (1920, 1080)
# Inter-eye distance of a well-placed face at 1280 px width; scales with the frame width (144 px at 1920).
GOOD_IOD_AT_1280 = 96.0

# The replaying phone: display pixels (width, height) and texture pixels per display pixel; the face on
# it relative to a well-placed live face.
REPLAY_SCREEN = (288, 512, 3)
REPLAY_FACE_SCALE = 1.0


class UnknownScenario(ValueError):
    """The scenario name is not in SCENARIOS."""


@dataclass(frozen=True)
class FaceTruth:
    """Where a face is in a frame and what it is (ground truth for tests and benchmarks)."""

    person: str
    source: str                      # the photograph the face was built from
    box: tuple[int, int, int, int]   # x, y, w, h: brows to chin, jaw to jaw (clipped to the frame)
    eyes: tuple[tuple[float, float], tuple[float, float]]  # centres of the eyes in the image (left, right)
    interocular: float               # inter-eye distance in pixels
    yaw: float                       # degrees, 0 = facing the camera
    roll: float                      # degrees
    blink: float                     # eyelid closure: 0 open, 0.5 half closed, 1 closed
    live: bool                       # False for a face on a print or a screen


@dataclass(frozen=True)
class ScenarioFrame:
    image: np.ndarray                # BGR uint8, height x width x 3
    index: int
    t: float                         # scenario time in seconds (index / fps)
    scenario: str
    attack: str | None               # None (bona fide), "print" or "replay"
    faces: tuple[FaceTruth, ...]


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    description: str
    faces: int                       # number of face photographs the scenario needs
    attack: str | None
    server_effect: str = ""          # what the camera server does in addition (stream_drop)


def default_faces_dir() -> Path | None:
    """``$EGATE_FACES_DIR``, else ``../shared/data/lfw/images`` next to the repository, if present."""
    env = os.environ.get("EGATE_FACES_DIR")
    if env:
        return Path(env)
    candidate = Path(__file__).resolve().parents[3] / "shared" / "data" / "lfw" / "images"
    return candidate if candidate.is_dir() else None


# ------------------------------------------------------------------------------------------ rendering


class _Stage:
    """Per-scenario precomputed background, noise and lighting flicker."""

    def __init__(self, width: int, height: int, fps: float, seed: int) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.background = sr.gate_background(width, height, seed)
        self.noise = sr.SensorNoise(width, height, seed)
        rng = np.random.default_rng(seed + 3)
        self._flicker_phase = rng.uniform(0, 2 * math.pi, 2)
        self.good_iod = GOOD_IOD_AT_1280 * width / 1280.0

    def blank(self) -> np.ndarray:
        return self.background.copy()

    def finish(self, frame: np.ndarray, index: int) -> np.ndarray:
        t = index / self.fps
        gain = 1.0 + 0.015 * math.sin(2 * math.pi * 1.3 * t + self._flicker_phase[0]) \
            + 0.008 * math.sin(2 * math.pi * 4.7 * t + self._flicker_phase[1])
        cv2.convertScaleAbs(frame, dst=frame, alpha=gain, beta=0)
        return self.noise.apply(frame, index)


@functools.lru_cache(maxsize=4)
def _stage(width: int, height: int, fps: float, seed: int) -> _Stage:
    """Stages are read-only once built: share them between scenarios of the same size and seed."""
    return _Stage(width, height, fps, seed)


def _smooth(t: float, freqs: tuple[float, ...], phases: np.ndarray) -> float:
    """A smooth pseudo-random signal in about [-1, 1]."""
    return sum(math.sin(2 * math.pi * f * t + p) for f, p in zip(freqs, phases, strict=False)) / len(freqs)


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def _truth(face: FaceSource, h: np.ndarray, width: int, height: int, *, yaw: float, roll: float,
           blink: float, live: bool) -> FaceTruth:
    (lx, ly), (rx, ry) = sr.warp_points(h, list(face.eyes))
    x0, y0, x1, y1 = face.face_box
    corners = sr.warp_points(h, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    xs = [c[0] for c in corners]
    ys = [c[1] for c in corners]
    bx0, by0 = max(int(min(xs)), 0), max(int(min(ys)), 0)
    bx1, by1 = min(int(max(xs)), width), min(int(max(ys)), height)
    return FaceTruth(person=face.person, source=face.source, box=(bx0, by0, max(bx1 - bx0, 0), max(by1 - by0, 0)),
                     eyes=((lx, ly), (rx, ry)), interocular=float(math.hypot(rx - lx, ry - ly)), yaw=yaw,
                     roll=roll, blink=blink, live=live)


class _LivePerson:
    """A live person: micro-motion (non-rigid warp, jitter) and blinks every 2-5 s lasting 2-4 frames."""

    def __init__(self, face: FaceSource, fps: float, seed: int) -> None:
        self.face = face
        self.fps = fps
        self.motion = sr.MicroMotion(seed)
        self._rng = np.random.default_rng(seed + 5)
        self._phases = self._rng.uniform(0, 2 * math.pi, 12)
        self._next_blink = int(self._rng.uniform(1.0, 2.5) * fps)
        self._blink: list[float] = []
        palette = [(70, 60, 55), (120, 80, 40), (40, 40, 120), (90, 110, 60), (150, 150, 150), (40, 40, 40)]
        self.torso_colour = palette[int(self._rng.integers(len(palette)))]

    def _closure(self, index: int) -> float:
        if not self._blink and index >= self._next_blink:
            n = int(self._rng.integers(2, 5))
            self._blink = {2: [1.0, 0.5], 3: [0.5, 1.0, 0.5], 4: [0.5, 1.0, 1.0, 0.5]}[n]
            self._next_blink = index + n + int(self._rng.uniform(2.0, 5.0) * self.fps)
        return self._blink.pop(0) if self._blink else 0.0

    def render(self, frame: np.ndarray, index: int, *, centre: tuple[float, float], iod: float,
               yaw: float = 0.0, roll: float = 0.0, pitch: float = 0.0, torso: bool = True) -> FaceTruth:
        """Draw the person with eye midpoint near ``centre`` and inter-eye distance about ``iod`` pixels."""
        t = index / self.fps
        ph = self._phases
        closure = self._closure(index)
        jitter_x = iod * 0.03 * _smooth(t, (0.31, 0.73), ph[0:2])
        jitter_y = iod * 0.025 * _smooth(t, (0.23, 0.61), ph[2:4])
        scale = 1.0 + 0.012 * _smooth(t, (0.19, 0.47), ph[4:6])
        yaw_total = yaw + 2.5 * _smooth(t, (0.17, 0.41), ph[6:8])
        roll_total = roll + 1.2 * _smooth(t, (0.13, 0.37), ph[8:10])
        pitch_total = pitch + 2.0 * _smooth(t, (0.11, 0.29), ph[10:12])
        patch, mask = self.motion.apply(self.face.with_blink(closure), self.face.mask, t)
        s = iod * scale / sr.PATCH_IOD
        c = (centre[0] + jitter_x, centre[1] + jitter_y)
        h = sr.plane_homography(sr.PATCH_W, sr.PATCH_H, c, sr.PATCH_H * s, yaw=yaw_total, pitch=pitch_total,
                                roll=roll_total, anchor=(sr.PATCH_W / 2, sr.PATCH_EYE_Y))
        if torso:
            (chin_x, chin_y), = sr.warp_points(h, [self.face.chin])
            sr.draw_torso(frame, chin_x, chin_y, s, self.torso_colour, yaw_total)
        sr.composite(frame, patch, mask, h)
        height, width = frame.shape[:2]
        return _truth(self.face, h, width, height, yaw=yaw_total, roll=roll_total, blink=closure, live=True)


@dataclass
class _Context:
    name: str
    faces_dir: Path | None
    person: str | None
    fps: float
    seed: int
    width: int
    height: int

    def face(self, k: int = 0, exclude: tuple[str, ...] = ()) -> FaceSource:
        if self.faces_dir is None:
            raise FaceSourceError(
                f"scenario {self.name!r} needs face photographs: pass faces_dir (e.g. ../shared/data/lfw/images)"
                " or set EGATE_FACES_DIR")
        rng = np.random.default_rng(self.seed * 1009 + k)
        return sr.pick_face(self.faces_dir, self.person if k == 0 else None, rng, exclude=exclude)


ScenarioFn = Callable[[_Context, _Stage], Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]]


def _empty(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    while True:
        yield stage.blank(), ()


def _bona_fide(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    person = _LivePerson(ctx.face(), ctx.fps, ctx.seed)
    centre = (ctx.width * 0.5, ctx.height * 0.42)
    i = 0
    while True:
        frame = stage.blank()
        truth = person.render(frame, i, centre=centre, iod=stage.good_iod)
        yield frame, (truth,)
        i += 1


def _approach(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    """Far and small (inter-eye ~30 % of good) for 0.5 s, walks up over 4 s, then stays at a good size."""
    person = _LivePerson(ctx.face(), ctx.fps, ctx.seed)
    i = 0
    while True:
        t = i / ctx.fps
        k = _ease((t - 0.5) / 4.0)
        iod = stage.good_iod * (0.3 + 0.7 * k)
        centre = (ctx.width * (0.56 - 0.06 * k), ctx.height * (0.36 + 0.06 * k))
        frame = stage.blank()
        truth = person.render(frame, i, centre=centre, iod=iod)
        yield frame, (truth,)
        i += 1


def _turn(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    """Head turned away (yaw 50 deg) and tilted (roll 25 deg), turning to face the camera over 3 s."""
    person = _LivePerson(ctx.face(), ctx.fps, ctx.seed)
    centre = (ctx.width * 0.5, ctx.height * 0.42)
    i = 0
    while True:
        k = _ease((i / ctx.fps - 0.5) / 3.0)
        frame = stage.blank()
        truth = person.render(frame, i, centre=centre, iod=stage.good_iod, yaw=50.0 * (1 - k),
                              roll=25.0 * (1 - k), pitch=-8.0 * (1 - k))
        yield frame, (truth,)
        i += 1


def _two_people(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    """The traveller at the camera; from 1.5 s a second person steps into view beside them (by 2.3 s)."""
    first = ctx.face(0)
    second = ctx.face(1, exclude=(first.person,))
    p1 = _LivePerson(first, ctx.fps, ctx.seed)
    p2 = _LivePerson(second, ctx.fps, ctx.seed + 101)
    i = 0
    while True:
        t = i / ctx.fps
        frame = stage.blank()
        truths: list[FaceTruth] = []
        if t >= 1.5:
            k = _ease((t - 1.5) / 0.8)
            x = ctx.width * (1.15 - 0.38 * k)
            tr = p2.render(frame, i, centre=(x, ctx.height * 0.40), iod=stage.good_iod * 0.8, yaw=-12.0)
            if tr.box[2] > 0 and tr.box[3] > 0:
                truths.append(tr)
        truths.insert(0, p1.render(frame, i, centre=(ctx.width * 0.40, ctx.height * 0.43), iod=stage.good_iod))
        yield frame, tuple(truths)
        i += 1


def _print_attack(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    """A printed photo held up in both hands, moving rigidly as one plane; no blinks, no micro-motion."""
    face = ctx.face()
    rng = np.random.default_rng(ctx.seed + 41)
    paper = sr.printed_photo(face.patch, ctx.seed)
    ph_, pw_ = paper.shape[:2]
    border = (pw_ - 2 * sr.PATCH_W) // 2
    # canvas with the paper and two thumbs gripping its lower edges
    margin = 40
    canvas = np.zeros((ph_ + 2 * margin, pw_ + 2 * margin, 3), np.uint8)
    alpha = np.zeros(canvas.shape[:2], np.uint8)
    canvas[margin:margin + ph_, margin:margin + pw_] = paper
    alpha[margin:margin + ph_, margin:margin + pw_] = 255
    cheek = face.patch[int(sr.PATCH_EYE_Y + 30):int(sr.PATCH_EYE_Y + 60), 100:130].reshape(-1, 3)
    skin = tuple(int(v) for v in np.median(cheek, axis=0)) if cheek.size else (120, 150, 190)
    for side in (-1, 1):
        cx = margin + (pw_ // 2) + side * (pw_ // 2 - 10)
        cy = margin + int(ph_ * 0.72)
        for img, colour in ((canvas, skin), (alpha, 255)):
            cv2.ellipse(img, (cx, cy), (34, 62), side * 15, 0, 360, colour, -1, lineType=cv2.LINE_AA)
    canvas = cv2.GaussianBlur(canvas, (3, 3), 0)
    a = cv2.GaussianBlur(alpha, (0, 0), 1.0).astype(np.float32) / 255.0
    # where the face photo sits on the canvas: the patch is printed at 2x inside the border
    off = margin + border

    def to_canvas(x: float, y: float) -> tuple[float, float]:
        return off + 2 * x, off + 2 * y

    anchor = to_canvas(sr.PATCH_W / 2, sr.PATCH_EYE_Y)
    height_px = canvas.shape[0] * stage.good_iod / (2 * sr.PATCH_IOD)
    phases = rng.uniform(0, 2 * math.pi, 10)
    holder = _LivePerson(face, ctx.fps, ctx.seed + 7)  # only for the attacker's torso colour
    printed = FaceSource(person=face.person, source=face.source, patch=face.patch, mask=face.mask,
                         eyes=(to_canvas(*face.eyes[0]), to_canvas(*face.eyes[1])),
                         face_box=(*to_canvas(*face.face_box[:2]), *to_canvas(*face.face_box[2:])),
                         chin=to_canvas(*face.chin), half_closed=face.patch, closed=face.patch)
    i = 0
    while True:
        t = i / ctx.fps
        yaw = 8.0 * _smooth(t, (0.21, 0.53), phases[0:2])
        pitch = 6.0 * _smooth(t, (0.17, 0.43), phases[2:4])
        roll = 4.0 * _smooth(t, (0.13, 0.37), phases[4:6])
        dx = stage.good_iod * 0.15 * _smooth(t, (0.23, 0.59), phases[6:8])
        dy = stage.good_iod * 0.10 * _smooth(t, (0.19, 0.51), phases[8:10])
        centre = (ctx.width * 0.5 + dx, ctx.height * 0.42 + dy)
        h = sr.plane_homography(canvas.shape[1], canvas.shape[0], centre, height_px, yaw=yaw, pitch=pitch,
                                roll=roll, focal=1800.0, anchor=anchor)
        frame = stage.blank()
        (bx, by), = sr.warp_points(h, [to_canvas(*face.chin)])
        sr.draw_torso(frame, bx, by + stage.good_iod * 0.8, stage.good_iod / sr.PATCH_IOD, holder.torso_colour)
        sr.composite(frame, canvas, a, h)
        truth = _truth(printed, h, ctx.width, ctx.height, yaw=yaw, roll=roll, blink=0.0, live=False)
        yield frame, (truth,)
        i += 1


def _replay_attack(ctx: _Context, stage: _Stage) -> Iterator[tuple[np.ndarray, tuple[FaceTruth, ...]]]:
    """A phone held up, replaying a video of the face at 10 fps: bright bezel, sub-pixel grid aliasing and
    moire, glare, rolling refresh bands, repeated frames."""
    face = ctx.face()
    rng = np.random.default_rng(ctx.seed + 43)
    screen_w, screen_h, pixel = REPLAY_SCREEN
    phone = sr.phone_screen(screen_w, screen_h, ctx.seed, pixel=pixel)
    sx, sy, sw, sh = phone.screen_rect
    # the recorded video: the person with micro-motion and blinks, cropped to the portrait display
    scale = max(screen_w / sr.PATCH_W, screen_h / sr.PATCH_H)
    crop_x = (sr.PATCH_W * scale - screen_w) / 2
    crop_y = (sr.PATCH_H * scale - screen_h) / 2
    video = _LivePerson(face, 10.0, ctx.seed + 9)
    content_fps = 10.0
    tint = np.array([1.10, 1.0, 0.92], np.float32)
    grid = phone.grid * tint * (1.0 + 0.06 * phone.moire[:, :, None])
    # glare: a soft diagonal highlight, larger than the display so it can slide across it
    gy, gx = np.mgrid[0:sh * 2, 0:sw * 2].astype(np.float32)
    band = np.exp(-(((gx - sw) * 0.8 + (gy - sh) * 0.6) / (sw * 0.18)) ** 2)
    glare = np.clip(band * 38 + 8 * np.exp(-((gx - sw) ** 2 + (gy - sh) ** 2) / (sw * 0.9) ** 2), 0, 255)
    glare = np.repeat(glare.astype(np.uint8)[:, :, None], 3, axis=2)
    body = phone.body.copy()

    def to_body(x: float, y: float) -> tuple[float, float]:
        return sx + (x * scale - crop_x) * pixel, sy + (y * scale - crop_y) * pixel

    on_screen = FaceSource(person=face.person, source=face.source, patch=face.patch, mask=face.mask,
                           eyes=(to_body(*face.eyes[0]), to_body(*face.eyes[1])),
                           face_box=(*to_body(*face.face_box[:2]), *to_body(*face.face_box[2:])),
                           chin=to_body(*face.chin), half_closed=face.patch, closed=face.patch)
    anchor = to_body(sr.PATCH_W / 2, sr.PATCH_EYE_Y)
    height_px = body.shape[0] * stage.good_iod * REPLAY_FACE_SCALE / (sr.PATCH_IOD * scale * pixel)
    phases = rng.uniform(0, 2 * math.pi, 10)
    holder_colour = video.torso_colour
    screen_img: np.ndarray | None = None
    shown = -1
    content_blink = 0.0
    i = 0
    while True:
        t = i / ctx.fps
        k = int(t * content_fps)  # the phone's frame: repeated across camera frames
        if k != shown:
            closure = video._closure(k)
            content_blink = closure
            patch, _ = video.motion.apply(face.with_blink(closure), face.mask, k / content_fps)
            disp = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            disp = disp[int(crop_y):int(crop_y) + screen_h, int(crop_x):int(crop_x) + screen_w]
            tex = cv2.resize(disp, (sw, sh), interpolation=cv2.INTER_NEAREST).astype(np.float32)
            tex = 18.0 + tex * 0.95  # emissive display: raised black level
            screen_img = np.clip(tex * grid, 0, 255).astype(np.uint8)
            shown = k
        assert screen_img is not None
        # rolling refresh band (display refresh beating with the camera exposure)
        band_pos = (t * 0.37 * screen_h * pixel * 2.3) % (sh * 1.4) - sh * 0.2
        # only the rows the band darkens are touched (the rest of the display is copied as it is)
        lo, hi = max(int(band_pos - sh * 0.18), 0), min(int(band_pos + sh * 0.18) + 1, sh)
        disp_now = screen_img.copy()
        if hi > lo:
            rows = np.arange(lo, hi, dtype=np.float32)
            profile = (256 - 40 * np.exp(-((rows - band_pos) / (sh * 0.06)) ** 2)).astype(np.uint16)
            disp_now[lo:hi] = ((screen_img[lo:hi].astype(np.uint16) * profile[:, None, None]) >> 8).astype(np.uint8)
        yaw = 10.0 * _smooth(t, (0.19, 0.47), phases[0:2])
        pitch = 8.0 * _smooth(t, (0.15, 0.41), phases[2:4])
        roll = 5.0 * _smooth(t, (0.11, 0.33), phases[4:6])
        ox = int(sw / 2 + sw * 0.35 * math.sin(math.radians(yaw) * 3))
        oy = int(sh / 2 + sh * 0.35 * math.sin(math.radians(pitch) * 3))
        cv2.add(disp_now, glare[oy:oy + sh, ox:ox + sw], dst=disp_now)
        body[sy:sy + sh, sx:sx + sw] = disp_now
        dx = stage.good_iod * 0.15 * _smooth(t, (0.23, 0.59), phases[6:8])
        dy = stage.good_iod * 0.10 * _smooth(t, (0.19, 0.51), phases[8:10])
        centre = (ctx.width * 0.5 + dx, ctx.height * 0.40 + dy)
        h = sr.plane_homography(body.shape[1], body.shape[0], centre, height_px, yaw=yaw, pitch=pitch,
                                roll=roll, focal=1800.0, anchor=anchor)
        frame = stage.blank()
        (bx, by), = sr.warp_points(h, [(body.shape[1] / 2, body.shape[0])])
        sr.draw_torso(frame, bx, by - stage.good_iod * 0.4, stage.good_iod / sr.PATCH_IOD, holder_colour)
        sr.composite(frame, body, phone.body_alpha, h)
        truth = _truth(on_screen, h, ctx.width, ctx.height, yaw=yaw, roll=roll, blink=content_blink, live=False)
        yield frame, (truth,)
        i += 1


_REGISTRY: dict[str, tuple[ScenarioInfo, ScenarioFn]] = {}


def _register(info: ScenarioInfo, fn: ScenarioFn) -> None:
    _REGISTRY[info.name] = (info, fn)


_register(ScenarioInfo("empty", "the gate interior with nobody in it", 0, None), _empty)
_register(ScenarioInfo("approach", "a traveller walks up: the face grows from far (inter-eye ~45 px) to a good"
                       " size over 0.5-4.5 s, then stays", 1, None), _approach)
_register(ScenarioInfo("turn", "head turned (yaw 50, roll 25 deg) turning to face the camera over 0.5-3.5 s",
                       1, None), _turn)
_register(ScenarioInfo("two_people", "a traveller facing the camera; a second person steps in beside them at"
                       " 1.5-2.3 s", 2, None), _two_people)
_register(ScenarioInfo("bona_fide", "a live traveller facing the camera: micro-motion, blinks every 2-5 s", 1,
                       None), _bona_fide)
_register(ScenarioInfo("print_attack", "a printed photo held up: white border, paper, halftone, rigid plane"
                       " motion, no blinks", 1, "print"), _print_attack)
_register(ScenarioInfo("replay_attack", "a phone replaying a video of the face at 10 fps: bezel, moire,"
                       " glare, refresh bands, repeated frames", 1, "replay"), _replay_attack)
_register(ScenarioInfo("stream_drop", "bona_fide frames; the camera server drops the stream periodically", 1,
                       None, server_effect="the server closes every stream for drop_seconds every drop_every"
                       " seconds"), _bona_fide)

SCENARIOS: dict[str, ScenarioInfo] = {name: info for name, (info, _) in _REGISTRY.items()}


def render_scenario(name: str, *, faces_dir: str | Path | None = None, person: str | None = None,
                    fps: float = 15.0, seed: int = 0, size: tuple[int, int] = DEFAULT_SIZE
                    ) -> Iterator[ScenarioFrame]:
    """Endless frames of scenario ``name`` with ground truth.

    ``faces_dir`` is a folder of ``<Person>/*.jpg`` (LFW) or of image files; ``person`` a sub-folder name, a
    file stem or a path (default: chosen with ``seed``). ``size`` is (width, height). Raises UnknownScenario
    or FaceSourceError at once (before the first frame is asked for).
    """
    if name not in _REGISTRY:
        raise UnknownScenario(f"unknown camera scenario {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    width, height = int(size[0]), int(size[1])
    if width < 64 or height < 48:
        raise ValueError(f"frame size {size} is too small")
    if fps <= 0:
        raise ValueError("fps must be positive")
    info, fn = _REGISTRY[name]
    ctx = _Context(name, Path(faces_dir) if faces_dir is not None else None, person, float(fps), int(seed),
                   width, height)
    stage = _stage(width, height, float(fps), int(seed))
    inner = fn(ctx, stage)  # generator functions: faces load on the first next()
    first = next(inner)     # so load now, to raise errors here rather than mid-stream

    def frames() -> Iterator[ScenarioFrame]:
        index = 0
        item = first
        while True:
            image, faces = item
            yield ScenarioFrame(stage.finish(image, index), index, index / fps, name, info.attack, faces)
            index += 1
            item = next(inner)

    return frames()


def scenario_frames(name: str, *, faces_dir: str | Path | None = None, person: str | None = None,
                    fps: float = 15.0, seed: int = 0, size: tuple[int, int] = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """Endless BGR uint8 frames of scenario ``name`` (see :func:`render_scenario`)."""
    return (f.image for f in render_scenario(name, faces_dir=faces_dir, person=person, fps=fps, seed=seed,
                                             size=size))
