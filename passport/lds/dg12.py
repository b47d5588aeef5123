"""DG12: additional document details (Doc 9303-10 §4.7.12)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from passport.lds._fields import decode_elements, encode_elements
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.tlv import encode

TAG = DATA_GROUPS[12].tag
TAG_OTHER_PERSON = 0x5F1A
FIELDS: dict[str, tuple[int, str]] = {
    "issuing_authority": (0x5F19, "text"),
    "date_of_issue": (0x5F26, "date"),
    "endorsements": (0x5F1B, "text"),
    "tax_exit_requirements": (0x5F1C, "text"),
    "image_front": (0x5F1D, "bytes"),
    "image_rear": (0x5F1E, "bytes"),
    "personalization_time": (0x5F55, "datetime"),
    "personalization_device": (0x5F56, "text"),
}


@dataclass(frozen=True)
class DG12:
    issuing_authority: str | None = None
    date_of_issue: str | None = None  # YYYYMMDD (stored as ASCII or BCD)
    other_names: tuple[str, ...] = ()  # other persons named in the document
    endorsements: str | None = None
    tax_exit_requirements: str | None = None
    image_front: bytes | None = None
    image_rear: bytes | None = None
    personalization_time: str | None = None  # YYYYMMDDhhmmss
    personalization_device: str | None = None


def decode_dg12(data: bytes) -> DG12:
    tlv = unwrap(data, TAG, "DG12")  # type: ignore[arg-type]
    return DG12(**decode_elements(children(tlv, "DG12"), FIELDS, TAG_OTHER_PERSON, "DG12"))  # type: ignore[arg-type]


def encode_dg12(dg12: DG12) -> bytes:
    return encode(TAG, encode_elements(asdict(dg12), FIELDS, TAG_OTHER_PERSON, "date_of_issue"))  # type: ignore[arg-type]
