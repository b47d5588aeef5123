"""Decoding of portrait and signature images (JPEG, JPEG 2000) with limits against decompression bombs.

Width and height are read from the image header and checked before any pixel is decoded; Pillow's own
MAX_IMAGE_PIXELS guard is kept as a second line. Images stay in memory.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from passport.errors import LDSError

MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 16 * 1024 * 1024
MAX_IMAGE_BYTES = 4 * 1024 * 1024

Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS)

JPEG_MAGIC = b"\xff\xd8"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_MAGIC = b"\xff\x4f\xff\x51"


def image_format(data: bytes) -> str | None:
    """'jpeg', 'jpeg2000' or None from the leading bytes."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(JP2_MAGIC) or data.startswith(J2K_MAGIC):
        return "jpeg2000"
    return None


def decode_image(data: bytes, max_side: int = MAX_IMAGE_SIDE) -> np.ndarray:
    """Decode JPEG / JPEG 2000 bytes to an RGB (or L for greyscale) uint8 array, shape (h, w[, 3])."""
    if len(data) > MAX_IMAGE_BYTES:
        raise LDSError(f"image of {len(data)} bytes exceeds {MAX_IMAGE_BYTES}")
    fmt = image_format(data)
    if fmt is None:
        raise LDSError("image is neither JPEG nor JPEG 2000")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=["JPEG" if fmt == "jpeg" else "JPEG2000"])
            width, height = img.size
            if not (0 < width <= max_side and 0 < height <= max_side) or width * height > MAX_IMAGE_PIXELS:
                raise LDSError(f"image of {width}x{height} pixels exceeds the decoding bound")
            img.load()
            if img.mode not in ("L", "RGB"):
                img = img.convert("RGB")
            return np.asarray(img).copy()
    except LDSError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LDSError(f"image rejected as a decompression bomb: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, IndexError, TypeError) as exc:
        raise LDSError(f"undecodable {fmt} image: {exc}") from exc
