"""EF.COM: LDS version, Unicode version and the list of data-group tags present (Doc 9303-10 §4.6.1)."""

from __future__ import annotations

from dataclasses import dataclass

from passport.errors import LDSError
from passport.lds.files import EF_COM, TAG_TO_DG, children, unwrap
from passport.tlv import encode


@dataclass(frozen=True)
class EFCom:
    lds_version: str  # "0107" → LDS 1.7
    unicode_version: str  # "040000" → Unicode 4.0.0
    tags: tuple[int, ...]  # data-group tags as listed, e.g. (0x61, 0x75)

    @property
    def data_groups(self) -> tuple[int, ...]:
        """Data-group numbers listed (unknown tags are left out)."""
        return tuple(TAG_TO_DG[t] for t in self.tags if t in TAG_TO_DG)


def _ascii_digits(raw: bytes, what: str, length: int) -> str:
    if len(raw) != length or not raw.isdigit():
        raise LDSError(f"EF.COM: {what} must be {length} ASCII digits, got {raw!r}")
    return raw.decode("ascii")


def decode_com(data: bytes) -> EFCom:
    tlv = unwrap(data, EF_COM.tag, "EF.COM")  # type: ignore[arg-type]
    fields = {c.tag: c.value for c in children(tlv, "EF.COM")}
    for tag in (0x5F01, 0x5F36, 0x5C):
        if tag not in fields:
            raise LDSError(f"EF.COM: element {tag:X} missing")
    return EFCom(
        _ascii_digits(fields[0x5F01], "LDS version", 4),
        _ascii_digits(fields[0x5F36], "Unicode version", 6),
        tuple(fields[0x5C]),
    )


def encode_com(com: EFCom) -> bytes:
    body = encode(0x5F01, com.lds_version.encode("ascii"))
    body += encode(0x5F36, com.unicode_version.encode("ascii"))
    body += encode(0x5C, bytes(com.tags))
    return encode(EF_COM.tag, body)  # type: ignore[arg-type]
