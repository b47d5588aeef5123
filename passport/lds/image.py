"""Decoding of portrait and signature images (JPEG, JPEG 2000: Doc 9303-10 §4.7.2) against decompression bombs.

Three lines of defence, in order: only JPEG and JPEG 2000 are accepted; the codestream header (frame size,
number of scans, JPEG 2000 tile grid and components) is checked against named bounds before any pixel is
decoded (``codestream``); the decode itself runs in a worker process with bounded memory and time
(``decode_worker``). Nothing here changes Pillow's process-wide settings. Images stay in memory.
"""

from __future__ import annotations

import numpy as np

from passport.errors import LDSError
from passport.lds.codestream import (
    J2K_MAGIC,
    JP2_MAGIC,
    JPEG_MAGIC,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    ImageHeader,
    image_format,
    inspect_image,
)
from passport.lds.decode_worker import decode_in_worker

MAX_IMAGE_BYTES = 4 * 1024 * 1024

__all__ = [
    "J2K_MAGIC",
    "JP2_MAGIC",
    "JPEG_MAGIC",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "ImageHeader",
    "decode_image",
    "image_format",
    "inspect_image",
]


def decode_image(data: bytes, max_side: int = MAX_IMAGE_SIDE) -> np.ndarray:
    """Decode JPEG / JPEG 2000 bytes to an RGB (or L for greyscale) uint8 array, shape (h, w[, 3]).

    LDSError for any other format, a header beyond the bounds, or a decode that fails, runs out of its
    memory bound or its time.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise LDSError(f"image data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_IMAGE_BYTES:
        raise LDSError(f"image of {len(data)} bytes exceeds {MAX_IMAGE_BYTES}")
    header = inspect_image(data, max_side)
    return decode_in_worker(data, header.format, (header.width, header.height), MAX_IMAGE_PIXELS)
