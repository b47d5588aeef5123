"""The learned presentation-attack detector: MiniFASNetV2-SE trained on CelebA-Spoof (ONNX, shipped in
``biometrics/pad_model/`` with its licence and provenance), run in OpenCV's DNN module.

Input: a square crop around the face, RGB divided by 255, resized to 128x128 (NCHW float32). Output: two
logits ``[real, spoof]``; this module reports their difference, the *margin* ``real - spoof`` (a log-odds:
above 0 the model thinks the face is bona fide at even priors).

The crop reuses the capture loop's dlib HOG box. The model was trained on square crops of 1.5 times a face
box of another geometry (taller, reaching the forehead): on NUAA's 300 images a YuNet box (the detector
shipped beside the model in its source repository) is 0.93 HOG-box widths wide, 1.23 tall and centred 0.08
widths higher.
``model_crop_box`` maps the HOG box to that geometry before taking 1.5 times it (1.84 HOG widths). Where the
crop leaves the frame the image is mirrored (reflect padding), as in the model's training pipeline.

A frame's margin is the mean of the margins of three crops, 1.25, 1.5 and 2 times that box (one batch):
on NUAA development subjects 0001-0005 this cut the attacks passed at 2 % BPCER from 16.5 % (the 1.5 crop
alone) to 4.7 %; mirroring the crop gained little (15.3 %) (docs/biometrics.md).

The network is loaded once, on first use, under a lock; inference is serialised (an OpenCV ``Net`` keeps
per-call state). A frame (three crops and one batch) costs 10-20 ms on this project's 2-core machine
(docs/benchmarks.md, "Capture loop").
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "pad_model" / "minifasnet_v2se_128.onnx"
MODEL_SHA256 = "af2381b88f38769222ed93379e12444e2a50814575de1c46170de570c55a42b6"
INPUT_SIZE = 128
CROP_SCALE = 1.5  # the training pipeline's
CROP_SCALES = (1.25, 1.5, 2.0)  # the crops whose margins are averaged for a frame
# dlib HOG box to the training detector's box (measured on NUAA, see the module docstring).
BOX_HEIGHT_PER_HOG_WIDTH = 1.23
BOX_RAISE_PER_HOG_WIDTH = 0.08
# A face narrower than this (HOG box, pixels) is not scored: upscaled that far, the crop shows no texture.
MIN_FACE_PX = 40

_net: cv2.dnn.Net | None = None
_load_lock = threading.Lock()
_run_lock = threading.Lock()


class PadModelError(RuntimeError):
    """The shipped model file is missing or cannot be loaded."""


def load() -> cv2.dnn.Net:
    """The network, loaded on first call (thread-safe); PadModelError if the file is missing or bad."""
    global _net
    if _net is None:
        with _load_lock:
            if _net is None:
                if not MODEL_PATH.is_file():
                    raise PadModelError(f"PAD model not found: {MODEL_PATH}")
                try:
                    _net = cv2.dnn.readNetFromONNX(str(MODEL_PATH))
                except cv2.error as exc:
                    raise PadModelError(f"cannot load the PAD model {MODEL_PATH.name}: {exc}") from exc
    return _net


def model_crop_box(
    left: float, top: float, right: float, bottom: float, scale: float = CROP_SCALE
) -> tuple[int, int, int] | None:
    """The model's square crop ``(x, y, side)`` in frame coordinates for a HOG face box, ``scale`` times
    the box in the training detector's geometry; None when the face is too small to score."""
    w = right - left
    if w < MIN_FACE_PX or bottom - top <= 0:
        return None
    cx = (left + right) / 2.0
    cy = (top + bottom) / 2.0 - BOX_RAISE_PER_HOG_WIDTH * w
    side = int(round(scale * max(w, BOX_HEIGHT_PER_HOG_WIDTH * w)))
    return int(round(cx - side / 2.0)), int(round(cy - side / 2.0)), side


def crop_square(image: np.ndarray, x: int, y: int, side: int, size: int = INPUT_SIZE) -> np.ndarray:
    """The square ``side`` x ``side`` at ``(x, y)`` resized to ``size``; outside the frame the image is
    mirrored (OpenCV's BORDER_REFLECT_101)."""
    h, w = image.shape[:2]
    pad = max(0, -x, -y, x + side - w, y + side - h)
    if pad:
        # Reflection cannot reach further than the image itself: beyond that the border is replicated.
        reflect = min(pad, h - 1, w - 1)
        image = cv2.copyMakeBorder(image, reflect, reflect, reflect, reflect, cv2.BORDER_REFLECT_101)
        if pad > reflect:
            extra = pad - reflect
            image = cv2.copyMakeBorder(image, extra, extra, extra, extra, cv2.BORDER_REPLICATE)
        x, y = x + pad, y + pad
    patch = image[y : y + side, x : x + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def margins_of_crops(crops_rgb: list[np.ndarray]) -> np.ndarray:
    """``real - spoof`` logits of 128x128 RGB uint8 crops, run as one batch."""
    blob = np.stack([c.astype(np.float32) / 255.0 for c in crops_rgb]).transpose(0, 3, 1, 2)
    net = load()
    with _run_lock:
        net.setInput(np.ascontiguousarray(blob))
        out = net.forward()
    return (out[:, 0] - out[:, 1]).astype(np.float64)


def margin_of_crop(crop_rgb: np.ndarray) -> float:
    """``real - spoof`` logit of one 128x128 RGB uint8 crop."""
    return float(margins_of_crops([crop_rgb])[0])


def face_margin(image_rgb: np.ndarray, box: tuple[float, float, float, float]) -> float | None:
    """The model's margin for the face in ``box`` (left, top, right, bottom: the capture loop's HOG box)
    of an RGB frame, the mean over the ``CROP_SCALES`` crops; None when the face is too small."""
    squares = [model_crop_box(*box, scale=k) for k in CROP_SCALES]
    if any(sq is None for sq in squares):
        return None
    crops = [crop_square(image_rgb, *sq) for sq in squares if sq is not None]
    return float(np.mean(margins_of_crops(crops)))
