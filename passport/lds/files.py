"""The elementary files of an eMRTD: file identifiers, short file identifiers and outer tags (Doc 9303-10 §4)."""

from __future__ import annotations

from dataclasses import dataclass

from passport.errors import LDSError, TLVError
from passport.tlv import TLV, decode_one

MAX_FILE_BYTES = 0x10000 * 4  # no LDS file of a real chip is larger; bounds hostile length fields


@dataclass(frozen=True)
class EFInfo:
    name: str
    fid: int
    sfi: int
    tag: int | None  # outer tag; None for files that are bare ASN.1 (EF.CardAccess, EF.CardSecurity)
    in_master_file: bool = False


EF_COM = EFInfo("EF.COM", 0x011E, 0x1E, 0x60)
EF_SOD = EFInfo("EF.SOD", 0x011D, 0x1D, 0x77)
# EF.CardAccess and EF.CardSecurity live in the master file, outside the eMRTD application;
# EF.CardSecurity shares FID 011D / SFI 1D with EF.SOD, which is in the application DF.
EF_CARD_ACCESS = EFInfo("EF.CardAccess", 0x011C, 0x1C, None, in_master_file=True)
EF_CARD_SECURITY = EFInfo("EF.CardSecurity", 0x011D, 0x1D, None, in_master_file=True)
EF_ATR_INFO = EFInfo("EF.ATR/INFO", 0x2F01, 0x01, None, in_master_file=True)

_DG_TAGS = {
    1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
    9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70,
}  # fmt: skip

DATA_GROUPS: dict[int, EFInfo] = {n: EFInfo(f"DG{n}", 0x0100 + n, n, tag) for n, tag in _DG_TAGS.items()}

TAG_TO_DG = {tag: n for n, tag in _DG_TAGS.items()}


def dg_info(number: int) -> EFInfo:
    try:
        return DATA_GROUPS[number]
    except KeyError:
        raise LDSError(f"there is no data group {number}") from None


def unwrap(data: bytes, tag: int, name: str) -> TLV:
    """The single TLV that makes up a file, checked to have the expected outer tag and no trailing bytes."""
    if len(data) > MAX_FILE_BYTES:
        raise LDSError(f"{name}: {len(data)} bytes exceeds the {MAX_FILE_BYTES}-byte bound")
    try:
        tlv, rest = decode_one(bytes(data))
    except TLVError as exc:
        raise LDSError(f"{name}: {exc}") from exc
    if tlv.tag != tag:
        raise LDSError(f"{name}: outer tag {tlv.tag:X}, expected {tag:X}")
    if rest:
        raise LDSError(f"{name}: {len(rest)} bytes after the outer TLV")
    return tlv


def children(tlv: TLV, name: str) -> list[TLV]:
    """Children of a constructed TLV with TLV errors reported as LDSError naming the file."""
    try:
        return tlv.children()
    except TLVError as exc:
        raise LDSError(f"{name}: {exc}") from exc
