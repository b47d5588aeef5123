"""Building blocks of the simulated camera's scenes: the gate background, face cut-outs taken from real
photographs, eyelids for blinks, plane homographies, and the printed-photo and phone-screen materials.

Everything expensive is done once per scenario (loading, landmarking, background, paper and screen
textures); what runs per frame is a few warps and blends on regions of interest, so a 1920x1080 stream
renders at 15 fps on one core.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from biometrics.stock import face_recognition_module

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

# Geometry of a normalised face patch: eyes level, 64 px apart, centred at (160, 136) in a 320x352 patch.
PATCH_W, PATCH_H = 320, 352
PATCH_IOD = 64.0
PATCH_EYE_Y = 136.0


_DLIB_LOCK = threading.Lock()  # scenarios may be built from several threads (the camera server's handlers)


class FaceSourceError(ValueError):
    """No usable face photograph could be found for a scenario."""


# ---------------------------------------------------------------------------------------------- faces


@dataclass
class FaceSource:
    """One photograph normalised into a patch: BGR pixels, a soft head mask, eyes and closed-eye variants.

    ``patch`` includes the photo's own background (a printed photo or a phone screen shows all of it);
    ``mask`` (float32 0..1) cuts out the head and neck for a live person in the scene.
    """

    person: str
    source: str
    patch: np.ndarray
    mask: np.ndarray
    eyes: tuple[tuple[float, float], tuple[float, float]]
    face_box: tuple[float, float, float, float]  # x0, y0, x1, y1 of brows-to-chin, jaw to jaw, in the patch
    chin: tuple[float, float]
    half_closed: np.ndarray
    closed: np.ndarray

    def with_blink(self, closure: float) -> np.ndarray:
        """The patch with the eyelids ``closure`` closed (0 open, 0.5 half, 1 shut)."""
        if closure >= 0.75:
            return self.closed
        if closure >= 0.25:
            return self.half_closed
        return self.patch


def list_people(faces_dir: Path) -> list[str]:
    """People available in ``faces_dir``: sub-folder names (LFW layout) or image file stems (flat folder)."""
    faces_dir = Path(faces_dir)
    if not faces_dir.is_dir():
        raise FaceSourceError(f"face folder not found: {faces_dir}")
    people = sorted(p.name for p in faces_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if people:
        return people
    return sorted(p.stem for p in faces_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def person_images(faces_dir: Path, person: str) -> list[Path]:
    """Image files of ``person``: a sub-folder, a file stem, a relative file path or an absolute path."""
    faces_dir = Path(faces_dir)
    candidate = Path(person)
    if candidate.is_absolute() and candidate.is_file():
        return [candidate]
    direct = faces_dir / person
    if direct.is_dir():
        return sorted(p for p in direct.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if direct.is_file():
        return [direct]
    stems = [p for p in faces_dir.iterdir() if p.stem == person and p.suffix.lower() in IMAGE_SUFFIXES]
    if stems:
        return sorted(stems)
    raise FaceSourceError(f"no images of {person!r} in {faces_dir}")


def _read_bgr(path: Path) -> np.ndarray:
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise FaceSourceError(f"cannot decode image {path}")
    return img


def _landmarks(bgr: np.ndarray) -> dict[str, list[tuple[int, int]]] | None:
    face_recognition = face_recognition_module()  # StockUnavailable says how to install it

    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    scale = 1.0
    if max(rgb.shape[:2]) > 800:  # big specimen photos: landmark a smaller copy
        scale = 800.0 / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    with _DLIB_LOCK:
        found = face_recognition.face_landmarks(rgb)
        if not found:
            found = face_recognition.face_landmarks(rgb, face_locations=face_recognition.face_locations(rgb, 2))
    if not found:
        return None
    # the largest face: widest jaw
    best = max(found, key=lambda lm: max(x for x, _ in lm["chin"]) - min(x for x, _ in lm["chin"]))
    return {k: [(x / scale, y / scale) for x, y in v] for k, v in best.items()}


def _normalise(bgr: np.ndarray, lm: dict[str, list[tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Similarity transform putting the eyes level, PATCH_IOD apart at PATCH_EYE_Y; returns (patch, M)."""
    le = np.mean(lm["left_eye"], axis=0)
    re = np.mean(lm["right_eye"], axis=0)
    d = re - le
    iod = float(np.hypot(*d))
    angle = math.degrees(math.atan2(d[1], d[0]))
    scale = PATCH_IOD / iod
    centre = (le + re) / 2
    m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    m[0, 2] += PATCH_W / 2 - centre[0]
    m[1, 2] += PATCH_EYE_Y - centre[1]
    patch = cv2.warpAffine(bgr, m, (PATCH_W, PATCH_H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    return patch, m


def _apply(m: np.ndarray, pts: list[tuple[float, float]]) -> np.ndarray:
    arr = np.asarray(pts, dtype=np.float64)
    return arr @ m[:, :2].T + m[:, 2]


def _head_mask(chin: np.ndarray) -> np.ndarray:
    """Soft mask of head (ellipse through the jaw line, up over the hair) and neck."""
    mask = np.zeros((PATCH_H, PATCH_W), np.uint8)
    jaw_l, jaw_r = float(chin[:, 0].min()), float(chin[:, 0].max())
    chin_y = float(chin[:, 1].max())
    cx = (jaw_l + jaw_r) / 2
    half_w = (jaw_r - jaw_l) / 2 * 1.04
    top = PATCH_EYE_Y - 1.65 * PATCH_IOD
    cy = (top + chin_y + 6) / 2
    half_h = (chin_y + 6 - top) / 2
    cv2.ellipse(mask, (round(cx), round(cy)), (round(half_w), round(half_h)), 0, 0, 360, 255, -1)
    neck_w = half_w * 0.55
    cv2.rectangle(mask, (round(cx - neck_w), round(chin_y - 30)), (round(cx + neck_w), PATCH_H), 255, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 5)
    out = mask.astype(np.float32) / 255.0
    # fade the neck out towards the patch bottom so it meets the torso softly
    fade = np.clip((PATCH_H - np.arange(PATCH_H, dtype=np.float32)) / 24.0, 0, 1)[:, None]
    return out * fade


def _eyelids(patch: np.ndarray, eyes_pts: list[np.ndarray], closure: float) -> np.ndarray:
    """Paint skin-coloured eyelids over both eyes, covering the top ``closure`` of each eye opening."""
    out = patch.copy()
    layer = patch.copy()
    alpha = np.zeros(patch.shape[:2], np.uint8)
    for pts in eyes_pts:
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        w, h = x1 - x0, max(y1 - y0, 3.0)
        # eyelid colour: the skin of the cheek under the eye (brows and glasses frames lie above it)
        sy0, sy1 = int(y1 + 0.8 * h + 3), int(y1 + 2.2 * h + 8)
        skin = patch[sy0:sy1, int(x0):int(x1) + 1].reshape(-1, 3)
        colour = np.median(skin, axis=0) if skin.size else np.array([120, 140, 180.0])
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ax, ay = w * 0.62 + 2, h * 1.1 + 3
        if closure >= 0.99:
            centre, axes = (cx, cy), (ax, ay)
        else:  # lid down to the middle of the eye
            centre, axes = (cx, cy - ay * 0.55), (ax, ay * 0.75)
        c = (round(centre[0]), round(centre[1]))
        a = (round(axes[0]), round(axes[1]))
        cv2.ellipse(layer, c, a, 0, 0, 360, colour.tolist(), -1)
        cv2.ellipse(alpha, c, a, 0, 0, 360, 255, -1)
        # the lash line where the lid meets the lower lid / iris
        lash_y = round(centre[1] + axes[1] * 0.85)
        dark = (colour * 0.45).tolist()
        cv2.ellipse(layer, (c[0], lash_y - a[1]), (a[0], a[1]), 0, 30, 150, dark, 2)
    a = cv2.GaussianBlur(alpha, (0, 0), 1.6).astype(np.float32)[:, :, None] / 255.0
    out = (layer.astype(np.float32) * a + patch.astype(np.float32) * (1 - a)).astype(np.uint8)
    return out


def load_face(path: Path, person: str | None = None) -> FaceSource:
    """Load one photograph and normalise it; raises FaceSourceError when no face is found in it."""
    bgr = _read_bgr(path)
    lm = _landmarks(bgr)
    if lm is None:
        raise FaceSourceError(f"no face found in {path}")
    patch, m = _normalise(bgr, lm)
    left = _apply(m, lm["left_eye"])
    right = _apply(m, lm["right_eye"])
    chin = _apply(m, lm["chin"])
    eyes = (tuple(left.mean(axis=0)), tuple(right.mean(axis=0)))
    return FaceSource(
        person=person or path.parent.name,
        source=str(path),
        patch=patch,
        mask=_head_mask(chin),
        eyes=eyes,  # type: ignore[arg-type]
        face_box=(float(chin[:, 0].min()), PATCH_EYE_Y - 0.75 * PATCH_IOD, float(chin[:, 0].max()),
                  float(chin[:, 1].max())),
        chin=(float(chin[8, 0]), float(chin[8, 1])),
        half_closed=_eyelids(patch, [left, right], 0.5),
        closed=_eyelids(patch, [left, right], 1.0),
    )


def pick_face(faces_dir: Path, person: str | None, rng: np.random.Generator,
              exclude: tuple[str, ...] = ()) -> FaceSource:
    """A face of ``person`` (or of a person chosen with ``rng``), the first of their images that landmarks."""
    faces_dir = Path(faces_dir)
    if person is None:
        people = [p for p in list_people(faces_dir) if p not in exclude]
        if not people:
            raise FaceSourceError(f"no people in {faces_dir}")
        order = rng.permutation(len(people))[:40]
        candidates = [(people[i], person_images(faces_dir, people[i])) for i in order]
    else:
        candidates = [(Path(person).parent.name if Path(person).suffix else person,
                       person_images(faces_dir, person))]
    for name, images in candidates:
        start = int(rng.integers(len(images))) if len(images) > 1 and person is None else 0
        for k in range(len(images)):
            img = images[(start + k) % len(images)]
            try:
                return load_face(img, person=name if (faces_dir / name).is_dir() else img.stem)
            except FaceSourceError:
                continue
    raise FaceSourceError(f"no usable face photo for {person or 'any person'} in {faces_dir}")


# ----------------------------------------------------------------------------------------- background


def gate_background(width: int, height: int, seed: int) -> np.ndarray:
    """A synthetic eGate interior: lit ceiling gradient, wall panels, a door frame, a floor, a sign."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    base = 185 - 70 * y - 25 * (x - 0.5) ** 2
    img = np.repeat(base[:, :, None], 3, axis=2) * np.array([1.0, 0.98, 0.93], np.float32)
    img = np.ascontiguousarray(img)
    # wall panels
    panel_w = width // 6
    for i in range(7):
        x0 = i * panel_w + int(rng.integers(-8, 8))
        shade = float(rng.uniform(-10, 10))
        img[int(0.08 * height):int(0.70 * height), max(x0 + 4, 0):max(x0 + panel_w - 4, 0)] += shade
        cv2.line(img, (x0, int(0.08 * height)), (x0, int(0.70 * height)), (95, 95, 90), 2)
    # floor with perspective lines
    floor_y = int(0.72 * height)
    img[floor_y:] = img[floor_y:] * 0.55 + np.array([40, 45, 50], np.float32) * 0.45
    vx = width // 2
    for k in range(-6, 7):
        cv2.line(img, (vx + k * width // 40, floor_y), (vx + k * width // 4, height), (70, 72, 75), 1)
    cv2.line(img, (0, floor_y), (width, floor_y), (60, 60, 60), 3)
    # door frame of the exit door and a light strip
    dw, dh = int(0.22 * width), int(0.62 * height)
    dx, dy = int(0.5 * width - dw / 2), floor_y - dh
    cv2.rectangle(img, (dx, dy), (dx + dw, floor_y), (150, 150, 150), -1)
    cv2.rectangle(img, (dx, dy), (dx + dw, floor_y), (80, 80, 85), 6)
    cv2.rectangle(img, (dx + 12, dy + 12), (dx + dw // 2 - 3, floor_y - 6), (175, 185, 180), -1)
    cv2.rectangle(img, (dx + dw // 2 + 3, dy + 12), (dx + dw - 12, floor_y - 6), (175, 185, 180), -1)
    cv2.rectangle(img, (0, 0), (width, int(0.035 * height)), (235, 240, 240), -1)
    # a sign (green arrow panel) on the left wall
    sx, sy = int(0.08 * width), int(0.15 * height)
    cv2.rectangle(img, (sx, sy), (sx + int(0.1 * width), sy + int(0.07 * height)), (60, 140, 40), -1)
    cv2.arrowedLine(img, (sx + 10, sy + int(0.035 * height)), (sx + int(0.09 * width), sy + int(0.035 * height)),
                    (240, 240, 240), 4, tipLength=0.3)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    return np.clip(img, 0, 255).astype(np.uint8)


class SensorNoise:
    """Precomputed zero-mean sensor noise frames, applied with saturating adds (cheap per frame)."""

    def __init__(self, width: int, height: int, seed: int, sigma: float = 3.0, count: int = 6) -> None:
        rng = np.random.default_rng(seed + 7)
        self._pos: list[np.ndarray] = []
        self._neg: list[np.ndarray] = []
        for _ in range(count):
            n = rng.standard_normal((height, width, 3), dtype=np.float32) * sigma
            self._pos.append(np.clip(n, 0, 255).astype(np.uint8))
            self._neg.append(np.clip(-n, 0, 255).astype(np.uint8))

    def apply(self, img: np.ndarray, index: int) -> np.ndarray:
        k = index % len(self._pos)
        cv2.add(img, self._pos[k], dst=img)
        cv2.subtract(img, self._neg[k], dst=img)
        return img


# --------------------------------------------------------------------------------------- compositing


def plane_homography(src_w: float, src_h: float, centre: tuple[float, float], height_px: float,
                     yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, focal: float = 1400.0,
                     anchor: tuple[float, float] | None = None) -> np.ndarray:
    """Homography imaging a flat ``src_w``x``src_h`` source rotated by yaw/pitch/roll (degrees) in 3-D.

    The plane is scaled so that, facing the camera, it spans ``height_px`` rows and ``anchor`` (a source
    point, default the centre) lands on ``centre``. Yaw gives the horizontal perspective squeeze of a turned
    head or a tilted print; roll is the in-plane rotation.
    """
    ax, ay = anchor if anchor is not None else (src_w / 2, src_h / 2)
    s = height_px / src_h
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    rot = rz @ rx @ ry
    corners = np.array([[0, 0], [src_w, 0], [src_w, src_h], [0, src_h]], np.float64)
    pts3 = np.column_stack([(corners[:, 0] - ax) * s, (corners[:, 1] - ay) * s, np.zeros(4)]) @ rot.T
    z = focal + pts3[:, 2]
    proj = np.column_stack([centre[0] + focal * pts3[:, 0] / z, centre[1] + focal * pts3[:, 1] / z])
    return cv2.getPerspectiveTransform(corners.astype(np.float32), proj.astype(np.float32))


def composite(frame: np.ndarray, src: np.ndarray, alpha: np.ndarray | None, h: np.ndarray,
              interp: int = cv2.INTER_LINEAR) -> tuple[int, int, int, int] | None:
    """Warp ``src`` (with optional float alpha) by homography ``h`` into ``frame`` in place.

    Only the bounding box of the warped source is touched. Returns that box (x, y, w, h) or None when off
    screen.
    """
    sh, sw = src.shape[:2]
    corners = np.array([[[0, 0]], [[sw, 0]], [[sw, sh]], [[0, sh]]], np.float32)
    dst = cv2.perspectiveTransform(corners, h).reshape(-1, 2)
    fh, fw = frame.shape[:2]
    x0, y0 = max(int(math.floor(dst[:, 0].min())), 0), max(int(math.floor(dst[:, 1].min())), 0)
    x1, y1 = min(int(math.ceil(dst[:, 0].max())) + 1, fw), min(int(math.ceil(dst[:, 1].max())) + 1, fh)
    if x1 <= x0 or y1 <= y0:
        return None
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ h
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(src, shift, size, flags=interp, borderMode=cv2.BORDER_CONSTANT)
    if alpha is None:
        alpha = np.ones((sh, sw), np.float32)
    a = cv2.warpPerspective(alpha, shift, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    roi = frame[y0:y1, x0:x1]
    a3 = a[:, :, None]
    blended = warped.astype(np.float32) * a3 + roi.astype(np.float32) * (1.0 - a3)
    roi[:] = blended.astype(np.uint8)
    return x0, y0, x1 - x0, y1 - y0


def warp_points(h: np.ndarray, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    arr = cv2.perspectiveTransform(np.asarray(pts, np.float32).reshape(-1, 1, 2), h).reshape(-1, 2)
    return [(float(x), float(y)) for x, y in arr]


class MicroMotion:
    """Small non-rigid motion of a live face: a few smooth displacement fields blended over time."""

    def __init__(self, seed: int, amplitude: float = 1.4, fields: int = 3) -> None:
        rng = np.random.default_rng(seed + 11)
        self._fields: list[tuple[np.ndarray, np.ndarray]] = []
        self._freq = rng.uniform(0.15, 0.6, fields)
        self._phase = rng.uniform(0, 2 * math.pi, fields)
        for _ in range(fields):
            coarse = rng.normal(0, 1, (2, 6, 6)).astype(np.float32)
            fx = cv2.resize(coarse[0], (PATCH_W, PATCH_H), interpolation=cv2.INTER_CUBIC)
            fy = cv2.resize(coarse[1], (PATCH_W, PATCH_H), interpolation=cv2.INTER_CUBIC)
            norm = max(float(np.abs(fx).max()), float(np.abs(fy).max()), 1e-6)
            self._fields.append((fx * amplitude / norm, fy * amplitude / norm))
        gx, gy = np.meshgrid(np.arange(PATCH_W, dtype=np.float32), np.arange(PATCH_H, dtype=np.float32))
        self._gx, self._gy = gx, gy

    def apply(self, patch: np.ndarray, mask: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        mx, my = self._gx.copy(), self._gy.copy()
        for (fx, fy), f, ph in zip(self._fields, self._freq, self._phase, strict=True):
            w = math.sin(2 * math.pi * f * t + ph)
            mx += fx * w
            my += fy * w
        out = cv2.remap(patch, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        m = cv2.remap(mask, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        return out, m


def draw_torso(frame: np.ndarray, centre_x: float, chin_y: float, scale: float, colour: tuple[int, int, int],
               yaw: float = 0.0) -> None:
    """Shoulders and upper body under a head (``scale`` = the head patch's scale in the frame)."""
    w = 190 * scale * (0.75 + 0.25 * math.cos(math.radians(yaw)))
    top = chin_y + 40 * scale
    cv2.ellipse(frame, (round(centre_x), round(top + 150 * scale)), (round(w), round(170 * scale)), 0, 180, 360,
                colour, -1, lineType=cv2.LINE_AA)
    fh = frame.shape[0]
    y0 = round(top + 150 * scale)
    if y0 < fh:
        cv2.rectangle(frame, (round(centre_x - w), y0), (round(centre_x + w), fh), colour, -1)
    # collar shading
    dark = tuple(int(c * 0.7) for c in colour)
    cv2.ellipse(frame, (round(centre_x), round(top + 8 * scale)), (round(46 * scale), round(40 * scale)), 0, 0,
                180, dark, -1, lineType=cv2.LINE_AA)


# ------------------------------------------------------------------------------------- attack materials


def printed_photo(patch: np.ndarray, seed: int, border: int = 22) -> np.ndarray:
    """A colour print of ``patch`` on paper at 2x resolution: white border, paper grain, halftone dots,
    reduced dynamic range and saturation; returns the BGR print (the whole rectangle is paper)."""
    rng = np.random.default_rng(seed + 23)
    up = cv2.resize(patch, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    # printing: lower saturation and contrast, ink never as dark as a screen black, paper never pure white
    grey = up.mean(axis=2, keepdims=True)
    up = grey + (up - grey) * 0.8
    up = 38 + up * (200.0 / 255.0)
    h, w = up.shape[:2]
    # halftone: an amplitude-modulated dot screen at 45 degrees, period 5 px at print resolution
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = 5.0
    u = (xx + yy) / math.sqrt(2) * (2 * math.pi / period)
    v = (xx - yy) / math.sqrt(2) * (2 * math.pi / period)
    screen = (np.cos(u) * np.cos(v) + 1) / 2  # 0..1 dot pattern
    darkness = 1.0 - up / 255.0
    dots = (screen[:, :, None] < darkness).astype(np.float32)
    halftoned = 255.0 * (1.0 - dots * 0.85) - 0 * darkness
    up = up * 0.6 + (halftoned * (up.mean() / max(halftoned.mean(), 1.0))) * 0.4
    bw = border * 2
    paper = np.empty((h + 2 * bw, w + 2 * bw + 0, 3), np.float32)
    paper[:] = (228, 238, 242)  # slightly warm white
    paper[bw:bw + h, bw:bw + w] = up
    grain = cv2.GaussianBlur(rng.normal(0, 1, paper.shape[:2]).astype(np.float32), (0, 0), 1.5)
    grain = grain / max(float(np.abs(grain).std()), 1e-6) * 3.0
    fibres = cv2.resize(rng.normal(0, 1, (paper.shape[0] // 24, paper.shape[1] // 24)).astype(np.float32),
                        (paper.shape[1], paper.shape[0]), interpolation=cv2.INTER_CUBIC) * 2.5
    paper += (grain + fibres)[:, :, None]
    return np.clip(paper, 0, 255).astype(np.uint8)


@dataclass
class PhoneScreen:
    """Precomputed phone materials: the body with a bright bezel, the sub-pixel grid and the moire field."""

    body: np.ndarray          # BGR phone body (bezel) at screen-texture resolution
    body_alpha: np.ndarray    # float32 mask of the rounded phone body
    screen_rect: tuple[int, int, int, int]   # x, y, w, h of the display inside ``body``
    grid: np.ndarray          # float32 (h, w, 3) sub-pixel mask multiplier for the display area
    moire: np.ndarray         # float32 (h, w) low-amplitude interference pattern


def phone_screen(screen_w: int, screen_h: int, seed: int, pixel: int = 3) -> PhoneScreen:
    """A phone held up to the camera: ``screen_w``x``screen_h`` display pixels, each drawn as ``pixel``
    texture pixels of R, G, B stripes so that the camera's resampling aliases it into moire."""
    rng = np.random.default_rng(seed + 31)
    sw, sh = screen_w * pixel, screen_h * pixel
    bez = max(sw // 22, 6)
    bw, bh = sw + 2 * bez, sh + 4 * bez  # wider border above and below the display
    body = np.zeros((bh, bw, 3), np.uint8)
    alpha = np.zeros((bh, bw), np.uint8)
    rad = bez * 3
    for img, colour in ((body, (200, 205, 210)), (alpha, 255)):
        cv2.rectangle(img, (rad, 0), (bw - rad, bh), colour, -1)
        cv2.rectangle(img, (0, rad), (bw, bh - rad), colour, -1)
        for cx, cy in ((rad, rad), (bw - rad, rad), (rad, bh - rad), (bw - rad, bh - rad)):
            cv2.circle(img, (cx, cy), rad, colour, -1, lineType=cv2.LINE_AA)
    inner = np.zeros_like(alpha)
    cv2.rectangle(inner, (bez // 2, bez // 2), (bw - bez // 2, bh - bez // 2), 255, -1)
    body[inner > 0] = (28, 28, 30)  # glass black around the display, inside the bright metal frame
    screen_rect = (bez, 2 * bez, sw, sh)
    stripes = np.zeros((pixel, pixel, 3), np.float32)
    for k in range(3):  # BGR order: R stripe in channel 2 first, then G, then B
        stripes[:, k, 2 - k] = 1.0
    stripes = stripes * 0.3 + 0.7
    stripes[pixel - 1, :, :] *= 0.88  # dark row between pixel rows
    grid = np.tile(stripes / stripes.mean() * 1.05, (screen_h, screen_w, 1))
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    a1, a2 = math.radians(rng.uniform(2, 6)), math.radians(rng.uniform(-6, -2))
    f = 2 * math.pi / (pixel * 2.05)
    g1 = np.cos(f * (xx * math.cos(a1) + yy * math.sin(a1)))
    g2 = np.cos(f * 1.03 * (xx * math.cos(a2) + yy * math.sin(a2)))
    moire = cv2.GaussianBlur((g1 * g2).astype(np.float32), (0, 0), pixel * 1.5)
    moire = moire / max(float(np.abs(moire).max()), 1e-6)
    return PhoneScreen(body=body, body_alpha=cv2.GaussianBlur(alpha, (0, 0), 1.0).astype(np.float32) / 255.0,
                       screen_rect=screen_rect, grid=grid, moire=moire)
