"""Image normalisation: every public function of biometrics takes what callers have and works on RGB uint8."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError


class ImageError(ValueError):
    """The input is not an image this package can work on (wrong shape, type, or undecodable bytes)."""


# Decoding a hostile image must stay bounded: 40 megapixels is far above any camera or chip portrait.
MAX_PIXELS = 40_000_000


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A C-contiguous HxWx3 uint8 RGB view or copy of a grey, RGB or RGBA array."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageError(f"expected HxW, HxWx3 or HxWx4, got shape {image.shape}")
    if image.shape[0] < 16 or image.shape[1] < 16:
        raise ImageError(f"image too small: {image.shape[1]}x{image.shape[0]}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageError(f"image too large: {image.shape[1]}x{image.shape[0]}")
    if image.shape[2] == 4:
        image = image[:, :, :3]
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating) and float(np.nanmax(image)) <= 1.0:
            image = np.clip(np.nan_to_num(image) * 255.0, 0, 255)
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def decode_image(data: bytes, formats: tuple[str, ...] | None = None) -> np.ndarray:
    """Decode JPEG, JPEG 2000, PNG ... bytes (in memory) to RGB uint8; ImageError if they are not an image.

    ``formats`` (Pillow format names) restricts the decoders tried; None tries every one Pillow has.
    """
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) == 0:
        raise ImageError("no image data")
    try:
        with Image.open(io.BytesIO(bytes(data)), formats=formats) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ImageError(f"image too large: {img.width}x{img.height}")
            rgb = img.convert("RGB")
            rgb.load()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"cannot decode image: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - a decoder fed hostile bytes may fail in any way
        raise ImageError(f"cannot decode image: {type(exc).__name__}: {exc}") from exc
    return as_rgb(np.asarray(rgb))


def to_gray(image: np.ndarray) -> np.ndarray:
    """Luma (ITU-R BT.601 weights) of an RGB uint8 image, uint8."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
