"""DG7: displayed signature or usual mark (Doc 9303-10 §4.7.7): 67 { 02 count, 5F43 image ... }."""

from __future__ import annotations

from passport.lds.displayed import DisplayedImages, decode_displayed, encode_displayed

DG7 = DisplayedImages


def decode_dg7(data: bytes) -> DisplayedImages:
    return decode_displayed(data, 7)


def encode_dg7(dg7: DisplayedImages) -> bytes:
    return encode_displayed(dg7, 7)
