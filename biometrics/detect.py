"""Face detection: dlib HOG on a downscaled frame, refined at full size; fallbacks for reference images.

Live frames are detected on a copy whose long side is at most ``max_side`` pixels (HOG cost grows with the
pixel count) and the boxes are scaled back; the 68 landmarks are then fitted on the full-resolution frame.
``detect_reference`` is for a single-face image where a miss is costly (the chip portrait, benchmark images):
HOG, HOG on a 2x upsampled image, the CNN (MMOD) detector, and finally, if allowed, the centred box of a
pre-aligned portrait.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import dlib
import numpy as np

from biometrics import models
from biometrics.images import as_rgb


@dataclass(frozen=True)
class FaceBox:
    """A face rectangle in the coordinates of the full image; ``source`` names the detector that found it."""

    left: int
    top: int
    right: int
    bottom: int
    score: float = 0.0
    source: str = "hog"

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def to_dlib(self) -> dlib.rectangle:
        return dlib.rectangle(int(self.left), int(self.top), int(self.right), int(self.bottom))


def _boxes(rects: dlib.rectangles, scores: list[float], scale: float, source: str) -> list[FaceBox]:
    out = []
    for rect, score in zip(rects, scores, strict=False):
        out.append(
            FaceBox(
                int(round(rect.left() / scale)),
                int(round(rect.top() / scale)),
                int(round(rect.right() / scale)),
                int(round(rect.bottom() / scale)),
                float(score),
                source,
            )
        )
    return sorted(out, key=lambda b: b.area, reverse=True)


def detect_hog(image: np.ndarray, *, upsample: int = 0, max_side: int | None = None) -> list[FaceBox]:
    """All HOG detections, largest first, in full-image coordinates."""
    image = as_rgb(image)
    scale = 1.0
    work = image
    if max_side is not None and max(image.shape[:2]) > max_side:
        scale = max_side / max(image.shape[:2])
        work = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    with models.HOG_LOCK:
        rects, scores, _ = models.hog_detector().run(work, upsample, 0.0)
    return _boxes(rects, scores, scale, "hog" if upsample == 0 else f"hog-up{upsample}")


def detect_cnn(image: np.ndarray, *, upsample: int = 1) -> list[FaceBox]:
    """MMOD CNN detections (slow on a CPU: for references only), largest first."""
    image = as_rgb(image)
    with models.CNN_LOCK:
        dets = models.cnn_detector()(image, upsample)
    return _boxes(dlib.rectangles([d.rect for d in dets]), [d.confidence for d in dets], 1.0, "cnn")


def centred_box(image: np.ndarray, fraction: float = 0.42) -> FaceBox:
    """The central square an aligned portrait (LFW deep-funneled, ICAO token image) puts the face in."""
    h, w = image.shape[:2]
    side = fraction * min(h, w)
    cx, cy = w / 2.0, h / 2.0
    return FaceBox(
        int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2), 0.0, "centred"
    )


def _most_central(boxes: list[FaceBox], image: np.ndarray) -> FaceBox:
    h, w = image.shape[:2]

    def cost(b: FaceBox) -> float:
        dx = (b.left + b.right) / 2 - w / 2
        dy = (b.top + b.bottom) / 2 - h / 2
        return (dx * dx + dy * dy) / max(1.0, b.area) ** 0.5

    return min(boxes, key=cost)


def detect_reference(
    image: np.ndarray, *, use_cnn: bool = True, allow_centred: bool = False
) -> FaceBox | None:
    """The one face of a reference image, trying harder detectors in turn; None if all fail.

    With several faces (a group photo) the largest central one is taken.
    """
    image = as_rgb(image)
    for upsample in (0, 1):
        boxes = detect_hog(image, upsample=upsample)
        if boxes:
            return _most_central(boxes, image)
    if use_cnn:
        boxes = detect_cnn(image, upsample=1 if max(image.shape[:2]) < 600 else 0)
        if boxes:
            return _most_central(boxes, image)
    if allow_centred:
        return centred_box(image)
    return None
