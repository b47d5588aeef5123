"""DG1: the MRZ as stored on the chip (Doc 9303-10 §4.7.1)."""

from __future__ import annotations

from dataclasses import dataclass

from passport.errors import LDSError, MRZError
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.mrz import MRZ, parse_mrz
from passport.tlv import encode

_LINE_LENGTHS = {90: 30, 72: 36, 88: 44}  # TD1, TD2 (and MRV-B), TD3 (and MRV-A)
TAG = DATA_GROUPS[1].tag
TAG_MRZ = 0x5F1F


@dataclass(frozen=True)
class DG1:
    mrz_text: str  # the MRZ characters without line breaks, as stored
    mrz: MRZ  # parsed leniently: failed check digits are recorded in mrz.checks, not raised


def mrz_lines(text: str) -> list[str]:
    width = _LINE_LENGTHS.get(len(text))
    if width is None:
        raise LDSError(f"DG1: MRZ of {len(text)} characters is not a TD1, TD2 or TD3 MRZ")
    return [text[i : i + width] for i in range(0, len(text), width)]


def decode_dg1(data: bytes) -> DG1:
    tlv = unwrap(data, TAG, "DG1")  # type: ignore[arg-type]
    items = children(tlv, "DG1")
    mrz_items = [c for c in items if c.tag == TAG_MRZ]
    if len(mrz_items) != 1:
        raise LDSError("DG1: expected exactly one MRZ element 5F1F")
    try:
        text = mrz_items[0].value.decode("ascii")
    except UnicodeDecodeError:
        raise LDSError("DG1: MRZ contains non-ASCII bytes") from None
    try:
        mrz = parse_mrz(mrz_lines(text), strict=False)
    except MRZError as exc:
        raise LDSError(f"DG1: {exc}") from exc
    return DG1(text, mrz)


def encode_dg1(mrz: MRZ | str) -> bytes:
    text = "".join(mrz.lines) if isinstance(mrz, MRZ) else mrz.replace("\n", "")
    mrz_lines(text)
    return encode(TAG, encode(TAG_MRZ, text.encode("ascii")))  # type: ignore[arg-type]
