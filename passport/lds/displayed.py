"""Displayed images: DG5 portrait (5F40) and DG7 signature or usual mark (5F43), Doc 9303-10 §4.7.5/§4.7.7.

Both are ``tag { 02 count, image-tag image ... }`` with JPEG or JPEG 2000 images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from passport.errors import LDSError
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.lds.image import decode_image, image_format
from passport.tlv import encode

MAX_IMAGES = 8
IMAGE_TAGS = {5: 0x5F40, 7: 0x5F43}


@dataclass(frozen=True)
class DisplayedImages:
    images: tuple[bytes, ...]

    def formats(self) -> list[str | None]:
        return [image_format(i) for i in self.images]

    def decode(self, index: int = 0) -> np.ndarray:
        return decode_image(self.images[index])


def decode_displayed(data: bytes, dg: int) -> DisplayedImages:
    name = f"DG{dg}"
    tlv = unwrap(data, DATA_GROUPS[dg].tag, name)  # type: ignore[arg-type]
    items = children(tlv, name)
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise LDSError(f"{name}: missing image count")
    images = tuple(c.value for c in items[1:] if c.tag == IMAGE_TAGS[dg])
    count = items[0].value[0]
    if len(images) != len(items) - 1 or len(images) != count or len(images) > MAX_IMAGES:
        raise LDSError(f"{name}: image count {count} does not match {len(items) - 1} elements")
    return DisplayedImages(images)


def encode_displayed(images: DisplayedImages, dg: int) -> bytes:
    if len(images.images) > MAX_IMAGES:
        raise LDSError(f"DG{dg}: too many images")
    body = encode(0x02, bytes([len(images.images)]))
    body += b"".join(encode(IMAGE_TAGS[dg], i) for i in images.images)
    return encode(DATA_GROUPS[dg].tag, body)  # type: ignore[arg-type]


def decode_dg5(data: bytes) -> DisplayedImages:
    return decode_displayed(data, 5)


def encode_dg5(images: DisplayedImages) -> bytes:
    return encode_displayed(images, 5)
