"""Header inspection of JPEG and JPEG 2000 codestreams, before any decoder sees them.

A chip image is hostile input. What makes a decoder slow or greedy is declared in the header: the frame size
and the number of scans of a JPEG (ISO/IEC 10918-1 §B.2: SOFn, SOS), the image size, tile grid and
components of a JPEG 2000 codestream (ISO/IEC 15444-1 §A.5.1: SIZ), boxed or bare (Annex I: the JP2 file
format). This module reads only those fields, with a linear marker walk that never decodes entropy data, and
refuses an image whose header exceeds the bounds below with an LDSError naming the bound.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from passport.errors import LDSError

MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 16 * 1024 * 1024
MAX_COMPONENTS = 4  # grey, RGB/YCbCr, CMYK; ICAO portraits are grey or colour
MAX_JPEG_SCANS = 128  # libjpeg's default progression has 10 scans; a full successive-approximation one < 100
MAX_JPEG_MARKERS = 4096  # markers of any kind before EOI
MAX_J2K_TILES = 256  # a portrait is one tile; 256 tiles of 256x256 cover the largest image allowed
MAX_SAMPLE_BITS = 16
# Pixels declared per byte of image data: a portrait compresses to well under 100 (bsi2008: 12, a flat
# 250x250 test JPEG: ~60); a 190-byte codestream declaring 4096x4096 is a bomb, not a portrait.
MAX_PIXELS_PER_BYTE = 1024

JPEG_MAGIC = b"\xff\xd8"
JP2_MAGIC = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K_MAGIC = b"\xff\x4f\xff\x51"

# SOF markers of the coding processes the decoder supports: baseline, extended, progressive (Huffman);
# extended and progressive (arithmetic). Lossless and hierarchical frames are refused.
_SOF_SUPPORTED = {0xC0, 0xC1, 0xC2, 0xC9, 0xCA}
_SOF_ANY = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PROGRESSIVE = {0xC2, 0xCA}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length field
_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA


@dataclass(frozen=True)
class ImageHeader:
    """What a codestream header declares."""

    format: str  # "jpeg" or "jpeg2000"
    width: int
    height: int
    components: int
    scans: int = 1  # JPEG: number of SOS markers
    tiles: int = 1  # JPEG 2000: number of tiles of the tile grid
    progressive: bool = False


def image_format(data: bytes) -> str | None:
    """'jpeg', 'jpeg2000' or None from the leading bytes."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(JP2_MAGIC) or data.startswith(J2K_MAGIC):
        return "jpeg2000"
    return None


def inspect_image(data: bytes, max_side: int = MAX_IMAGE_SIDE) -> ImageHeader:
    """The header of a JPEG or JPEG 2000 image, checked against the bounds; LDSError otherwise."""
    fmt = image_format(data)
    if fmt is None:
        raise LDSError("image is neither JPEG nor JPEG 2000")
    try:
        if fmt == "jpeg":
            header = _inspect_jpeg(data)
        else:
            header = _inspect_j2k(_j2k_codestream(data) if data.startswith(JP2_MAGIC) else data)
    except LDSError as exc:
        raise LDSError(f"undecodable {fmt} image: {exc}") from None
    _check_bounds(header, max_side, len(data))
    return header


def _check_bounds(h: ImageHeader, max_side: int, size: int) -> None:
    if not (0 < h.width <= max_side and 0 < h.height <= max_side) or h.width * h.height > MAX_IMAGE_PIXELS:
        raise LDSError(f"image of {h.width}x{h.height} pixels exceeds the decoding bound ({max_side} a side)")
    if not 0 < h.components <= MAX_COMPONENTS:
        raise LDSError(f"image with {h.components} components exceeds the bound of {MAX_COMPONENTS}")
    if h.width * h.height > MAX_PIXELS_PER_BYTE * size:
        raise LDSError(
            f"image declares {h.width}x{h.height} pixels for {size} bytes (bound: {MAX_PIXELS_PER_BYTE} a byte)"
        )
    if h.scans > MAX_JPEG_SCANS:
        raise LDSError(f"JPEG with more than {MAX_JPEG_SCANS} scans refused")
    if h.tiles > MAX_J2K_TILES:
        raise LDSError(f"JPEG 2000 image of {h.tiles} tiles exceeds the bound of {MAX_J2K_TILES}")


# --- JPEG --------------------------------------------------------------------------------------------------


def _inspect_jpeg(data: bytes) -> ImageHeader:
    """Walk the markers from SOI to EOI: one supported SOF, and the SOS markers counted (stops past the bound)."""
    pos, frame, scans = 2, None, 0
    for _ in range(MAX_JPEG_MARKERS):
        marker, pos = _next_marker(data, pos)
        if marker == _EOI:
            break
        if marker in _STANDALONE or marker == _SOI:
            continue
        if pos + 2 > len(data):
            raise LDSError("JPEG truncated in a marker segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > len(data):
            raise LDSError("JPEG marker segment length out of range")
        segment = data[pos + 2 : pos + length]
        pos += length
        if marker in _SOF_ANY:
            if frame is not None:
                raise LDSError("JPEG with more than one frame header")
            frame = _jpeg_frame(marker, segment)
        elif marker == _SOS:
            if frame is None:
                raise LDSError("JPEG scan before the frame header")
            scans += 1
            if scans > MAX_JPEG_SCANS:
                break
            pos = _skip_entropy_data(data, pos)
    else:
        raise LDSError(f"JPEG with more than {MAX_JPEG_MARKERS} markers refused")
    if frame is None or scans == 0:
        raise LDSError("JPEG without a frame header or a scan")
    marker, height, width, components = frame
    return ImageHeader("jpeg", width, height, components, scans=scans, progressive=marker in _PROGRESSIVE)


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker at ``pos`` (fill bytes 0xFF allowed before it) and the position after it."""
    if pos >= len(data) or data[pos] != 0xFF:
        raise LDSError("JPEG marker expected")
    while pos < len(data) and data[pos] == 0xFF:
        pos += 1
    if pos >= len(data):
        raise LDSError("JPEG truncated before a marker")
    return data[pos], pos + 1


def _skip_entropy_data(data: bytes, pos: int) -> int:
    """Position of the first marker after entropy-coded data (0xFF followed by neither 0x00 nor RSTn)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise LDSError("JPEG truncated in entropy-coded data")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def _jpeg_frame(marker: int, segment: bytes) -> tuple[int, int, int, int]:
    if marker not in _SOF_SUPPORTED:
        raise LDSError(f"JPEG coding process SOF{marker - 0xC0} is not supported")
    if len(segment) < 6:
        raise LDSError("JPEG frame header truncated")
    precision, height, width, components = struct.unpack(">BHHB", segment[:6])
    if precision not in (8, 12) or len(segment) != 6 + 3 * components:
        raise LDSError("JPEG frame header malformed")
    if height == 0:
        raise LDSError("JPEG frame height given by a DNL marker is not supported")
    return marker, height, width, components


# --- JPEG 2000 ---------------------------------------------------------------------------------------------


def _j2k_codestream(data: bytes) -> bytes:
    """The contiguous codestream box (jp2c) of a JP2 file (ISO/IEC 15444-1 §I.5.4)."""
    pos = 0
    while pos + 8 <= len(data):
        length, box = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if length == 1:
            if pos + 16 > len(data):
                break
            length, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif length == 0:
            length = len(data) - pos
        if length < header:
            raise LDSError("JP2 box length out of range")
        if box == b"jp2c":
            return data[pos + header : pos + length]
        pos += length
    raise LDSError("JP2 file without a codestream box")


def _inspect_j2k(code: bytes) -> ImageHeader:
    """SOC then SIZ (ISO/IEC 15444-1 §A.5.1): image and tile geometry, components."""
    if not code.startswith(J2K_MAGIC) or len(code) < 6:
        raise LDSError("JPEG 2000 codestream does not start with SOC, SIZ")
    lsiz = int.from_bytes(code[4:6], "big")
    siz = code[6 : 4 + lsiz]
    if lsiz < 41 or len(siz) != lsiz - 2:
        raise LDSError("JPEG 2000 SIZ marker truncated")
    _rsiz, xsiz, ysiz, xo, yo, xt, yt, xto, yto, csiz = struct.unpack(">H8IH", siz[:36])
    if lsiz != 38 + 3 * csiz:
        raise LDSError("JPEG 2000 SIZ length does not match its component count")
    if not (xo < xsiz and yo < ysiz and xt > 0 and yt > 0 and xto <= xo and yto <= yo):
        raise LDSError("JPEG 2000 SIZ geometry is inconsistent")
    if xto + xt <= xo or yto + yt <= yo:
        raise LDSError("JPEG 2000 SIZ: the first tile does not overlap the image")
    for i in range(csiz):
        ssiz, xr, yr = siz[36 + 3 * i : 39 + 3 * i]
        if (ssiz & 0x7F) + 1 > MAX_SAMPLE_BITS or xr == 0 or yr == 0:
            raise LDSError("JPEG 2000 component precision or subsampling out of range")
    tiles = -(-(xsiz - xto) // xt) * -(-(ysiz - yto) // yt)
    return ImageHeader("jpeg2000", xsiz - xo, ysiz - yo, csiz, tiles=tiles)
