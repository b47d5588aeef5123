"""The chip portrait (DG2 JPEG or JPEG 2000, already unwrapped from its biometric data block): decode,
detect, align and encode, as soon as DG2 is read, typically in a worker thread while the traveller is still
being captured (``start_portrait_template``)."""

from __future__ import annotations

from concurrent.futures import Executor, Future, ThreadPoolExecutor

import numpy as np

from biometrics.detect import detect_reference
from biometrics.images import ImageError, as_rgb, decode_image
from biometrics.landmarks import fit_landmarks
from biometrics.matcher import EncoderOptions, Template, encode

_EXECUTOR: ThreadPoolExecutor | None = None


class PortraitError(ValueError):
    """The chip portrait cannot be used: undecodable image, or no face in it."""


def portrait_template(data: bytes | np.ndarray, options: EncoderOptions | None = None) -> Template:
    """The reference template of a chip portrait (image bytes or an RGB array).

    A chip portrait is a centred ICAO token image, so when no detector finds the face the central box is
    used rather than failing to acquire; ``Template.box.source`` records which detector was used.
    """
    try:
        image = decode_image(data) if isinstance(data, bytes | bytearray | memoryview) else as_rgb(data)
    except ImageError as exc:
        raise PortraitError(f"chip portrait: {exc}") from exc
    box = detect_reference(image, use_cnn=True, allow_centred=True)
    if box is None:  # pragma: no cover - allow_centred always gives a box
        raise PortraitError("chip portrait: no face found")
    landmarks = fit_landmarks(image, box)
    return encode(image, box, landmarks, options, source="chip")


def start_portrait_template(
    data: bytes | np.ndarray, executor: Executor | None = None, options: EncoderOptions | None = None
) -> Future[Template]:
    """Compute the chip portrait's template in the background; the Future raises PortraitError if unusable."""
    global _EXECUTOR
    if executor is None:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portrait")
        executor = _EXECUTOR
    return executor.submit(portrait_template, data, options)
