"""EF.CardAccess (bare SecurityInfos) and EF.CardSecurity (SecurityInfos signed as CMS SignedData)."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import cms

from passport.errors import LDSError
from passport.lds.dg14 import PACEInfo, SecurityInfos, decode_security_infos
from passport.lds.files import MAX_FILE_BYTES
from passport.signed_data import encapsulated_content, load_signed_data

OID_SECURITY_OBJECT = "0.4.0.127.0.7.3.2.1"  # id-SecurityObject (BSI TR-03110)


def decode_card_access(data: bytes) -> SecurityInfos:
    if len(data) > MAX_FILE_BYTES:
        raise LDSError("EF.CardAccess: too large")
    return decode_security_infos(data, "EF.CardAccess")


def pace_infos(data: bytes) -> list[PACEInfo]:
    """The PACEInfo entries of EF.CardAccess, in file order."""
    return decode_card_access(data).pace_infos


@dataclass(frozen=True)
class CardSecurity:
    infos: SecurityInfos
    signed_data: cms.SignedData  # check its signature with passport.signed_data.check_signed_data


def decode_card_security(data: bytes) -> CardSecurity:
    if len(data) > MAX_FILE_BYTES:
        raise LDSError("EF.CardSecurity: too large")
    try:
        sd = load_signed_data(data)
        content_type, content = encapsulated_content(sd)
    except LDSError as exc:
        raise LDSError(f"EF.CardSecurity: {exc}") from None
    if content_type != OID_SECURITY_OBJECT:
        raise LDSError(f"EF.CardSecurity: content type {content_type} is not id-SecurityObject")
    return CardSecurity(decode_security_infos(content, "EF.CardSecurity"), sd)
