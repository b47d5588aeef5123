"""DG11: additional personal details (Doc 9303-10 §4.7.11)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from passport.lds._fields import decode_elements, encode_elements
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.tlv import encode

TAG = DATA_GROUPS[11].tag
TAG_OTHER_NAME = 0x5F0F
FIELDS: dict[str, tuple[int, str]] = {
    "full_name": (0x5F0E, "text"),
    "personal_number": (0x5F10, "text"),
    "full_date_of_birth": (0x5F2B, "date"),
    "place_of_birth": (0x5F11, "text"),
    "permanent_address": (0x5F42, "text"),
    "telephone": (0x5F12, "text"),
    "profession": (0x5F13, "text"),
    "title": (0x5F14, "text"),
    "personal_summary": (0x5F15, "text"),
    "proof_of_citizenship": (0x5F16, "bytes"),
    "other_td_numbers": (0x5F17, "text"),
    "custody_information": (0x5F18, "text"),
}


@dataclass(frozen=True)
class DG11:
    full_name: str | None = None  # primary and secondary identifiers separated by '<<'
    other_names: tuple[str, ...] = ()
    personal_number: str | None = None
    full_date_of_birth: str | None = None  # YYYYMMDD (stored as ASCII or BCD)
    place_of_birth: str | None = None
    permanent_address: str | None = None
    telephone: str | None = None
    profession: str | None = None
    title: str | None = None
    personal_summary: str | None = None
    proof_of_citizenship: bytes | None = None  # an image
    other_td_numbers: str | None = None
    custody_information: str | None = None


def decode_dg11(data: bytes) -> DG11:
    tlv = unwrap(data, TAG, "DG11")  # type: ignore[arg-type]
    return DG11(**decode_elements(children(tlv, "DG11"), FIELDS, TAG_OTHER_NAME, "DG11"))  # type: ignore[arg-type]


def encode_dg11(dg11: DG11) -> bytes:
    return encode(TAG, encode_elements(asdict(dg11), FIELDS, TAG_OTHER_NAME, "full_name"))  # type: ignore[arg-type]
