"""The chip portrait (DG2 JPEG or JPEG 2000, already unwrapped from its biometric data block): decode,
detect, align and encode, as soon as DG2 is read, typically in a worker thread while the traveller is still
being captured (``start_portrait_template``).

Bytes read from a chip are hostile input: decode them with a bounded decoder, passed as ``decode``; the
gate passes ``passport.lds.image.decode_image`` (header checks, then a worker process with bounded memory
and time). Without one, only JPEG and JPEG 2000 are accepted and Pillow decodes them in this process, which
is for images the operator supplies (benchmarks, enrolment files), not for chip data.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import numpy as np

from biometrics.detect import detect_reference
from biometrics.images import ImageError, as_rgb, decode_image
from biometrics.landmarks import fit_landmarks
from biometrics.matcher import EncoderOptions, Template, encode

_EXECUTOR: ThreadPoolExecutor | None = None
PORTRAIT_FORMATS = ("JPEG", "JPEG2000")  # Doc 9303-10 §4.7.2: a portrait is JPEG or JPEG 2000, nothing else
PortraitDecoder = Callable[[bytes], np.ndarray]


class PortraitError(ValueError):
    """The chip portrait cannot be used: undecodable image, or no face in it."""


def portrait_template(
    data: bytes | np.ndarray, options: EncoderOptions | None = None, decode: PortraitDecoder | None = None
) -> Template:
    """The reference template of a chip portrait (image bytes or an RGB array).

    A chip portrait is a centred ICAO token image, so when no detector finds the face the central box is
    used rather than failing to acquire; ``Template.box.source`` records which detector was used.
    """
    image = _portrait_pixels(data, decode)
    box = detect_reference(image, use_cnn=True, allow_centred=True)
    if box is None:  # pragma: no cover - allow_centred always gives a box
        raise PortraitError("chip portrait: no face found")
    landmarks = fit_landmarks(image, box)
    return encode(image, box, landmarks, options, source="chip")


def _portrait_pixels(data: bytes | np.ndarray, decode: PortraitDecoder | None) -> np.ndarray:
    try:
        if not isinstance(data, bytes | bytearray | memoryview):
            return as_rgb(data)
        if decode is None:
            return decode_image(data, formats=PORTRAIT_FORMATS)
        return as_rgb(decode(bytes(data)))
    except ImageError as exc:
        raise PortraitError(f"chip portrait: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - the decoder's own error type (e.g. passport's LDSError)
        raise PortraitError(f"chip portrait: {exc}") from exc


def start_portrait_template(
    data: bytes | np.ndarray,
    executor: Executor | None = None,
    options: EncoderOptions | None = None,
    decode: PortraitDecoder | None = None,
) -> Future[Template]:
    """Compute the chip portrait's template in the background; the Future raises PortraitError if unusable."""
    global _EXECUTOR
    if executor is None:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portrait")
        executor = _EXECUTOR
    return executor.submit(portrait_template, data, options, decode)
