"""DG3 (fingerprints) and DG4 (irises): biometric information group templates (Doc 9303-10 §4.7.3/§4.7.4).

``tag { 7F61 { 02 count, 7F60 { A1 header, 5F2E/7F2E data block } ... } }``. The data blocks (ISO/IEC
19794-4 "FIR" / 19794-6 "IIR", or 39794) are kept as bytes with their format identifier; this gate does
not match fingerprints or irises. Readers need terminal authentication (EAC) to obtain these files.
"""

from __future__ import annotations

from dataclasses import dataclass

from passport.errors import LDSError
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.tlv import encode

TAG_BIT_GROUP = 0x7F61
TAG_BIT = 0x7F60
TAG_BHT = 0xA1
BDB_TAGS = (0x5F2E, 0x7F2E)
MAX_TEMPLATES = 16


@dataclass(frozen=True)
class RawBiometricTemplate:
    header: tuple[tuple[int, bytes], ...]
    bdb_tag: int
    bdb: bytes

    @property
    def format_identifier(self) -> str | None:
        """'FIR', 'IIR', 'FAC' ... for 19794 blocks (the first three bytes), None otherwise."""
        if self.bdb_tag == 0x5F2E and len(self.bdb) >= 4 and self.bdb[3] == 0 and self.bdb[:3].isalpha():
            return self.bdb[:3].decode("ascii")
        return None


@dataclass(frozen=True)
class BiometricGroup:
    templates: tuple[RawBiometricTemplate, ...]


def decode_biometric_group(data: bytes, dg: int) -> BiometricGroup:
    name = f"DG{dg}"
    tlv = unwrap(data, DATA_GROUPS[dg].tag, name)  # type: ignore[arg-type]
    groups = children(tlv, name)
    if len(groups) != 1 or groups[0].tag != TAG_BIT_GROUP:
        raise LDSError(f"{name}: expected a single biometric information group template 7F61")
    items = children(groups[0], name)
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise LDSError(f"{name}: biometric information group lacks its instance count")
    count = items[0].value[0]
    bits = items[1:]
    if any(b.tag != TAG_BIT for b in bits) or not 1 <= count <= MAX_TEMPLATES or count != len(bits):
        raise LDSError(f"{name}: instance count {count} but {len(bits)} templates")
    templates = []
    for bit in bits:
        parts = children(bit, name)
        if len(parts) != 2 or parts[0].tag != TAG_BHT or parts[1].tag not in BDB_TAGS:
            raise LDSError(f"{name}: a template needs a header (A1) and a data block (5F2E/7F2E)")
        header = tuple((c.tag, c.value) for c in children(parts[0], name))
        templates.append(RawBiometricTemplate(header, parts[1].tag, parts[1].value))
    return BiometricGroup(tuple(templates))


def encode_biometric_group(group: BiometricGroup, dg: int) -> bytes:
    body = encode(0x02, bytes([len(group.templates)]))
    for t in group.templates:
        header = encode(TAG_BHT, b"".join(encode(tag, value) for tag, value in t.header))
        body += encode(TAG_BIT, header + encode(t.bdb_tag, t.bdb))
    return encode(DATA_GROUPS[dg].tag, encode(TAG_BIT_GROUP, body))  # type: ignore[arg-type]
