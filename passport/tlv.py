"""BER-TLV as used by ICAO 9303 and ISO 7816-4: bounded, strict decoding and encoding.

Tags are kept as integers of their full encoding (``0x5F1F``, ``0x7F61``). Lengths use the definite forms
only (short, 0x81, 0x82, 0x83, 0x84); indefinite length and lengths that run past the data are errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from passport.errors import TLVError

MAX_DEPTH = 16
MAX_TAG_BYTES = 4


def parse_tag(data: bytes, offset: int = 0) -> tuple[int, int]:
    """Return ``(tag, offset after the tag)``."""
    if offset >= len(data):
        raise TLVError(f"truncated tag at offset {offset}")
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:
        count = 1
        while True:
            if offset >= len(data):
                raise TLVError("truncated multi-byte tag")
            b = data[offset]
            tag = (tag << 8) | b
            offset += 1
            count += 1
            if count > MAX_TAG_BYTES:
                raise TLVError("tag longer than 4 bytes")
            if not b & 0x80:
                break
    return tag, offset


def parse_length(data: bytes, offset: int) -> tuple[int, int]:
    """Return ``(length, offset after the length field)``."""
    if offset >= len(data):
        raise TLVError(f"truncated length at offset {offset}")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    if first == 0x80:
        raise TLVError("indefinite length is not allowed")
    n = first & 0x7F
    if n > 4:
        raise TLVError(f"length field of {n} bytes is too long")
    if offset + n > len(data):
        raise TLVError("truncated length field")
    return int.from_bytes(data[offset : offset + n], "big"), offset + n


def encode_tag(tag: int) -> bytes:
    if tag < 0:
        raise TLVError("negative tag")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    if length < 0:
        raise TLVError("negative length")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise TLVError("length too large")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    """Encode one TLV."""
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


def is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


@dataclass(frozen=True)
class TLV:
    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        return is_constructed(self.tag)

    def children(self, _depth: int = 0) -> list[TLV]:
        """The TLVs inside a constructed TLV (an error for a primitive one)."""
        if not self.constructed:
            raise TLVError(f"tag {self.tag:X} is primitive, it has no children")
        return decode(self.value, _depth=_depth + 1)

    def find(self, tag: int) -> TLV | None:
        """The first direct child with ``tag``, or None."""
        return next((c for c in self.children() if c.tag == tag), None)

    def find_all(self, tag: int) -> list[TLV]:
        return [c for c in self.children() if c.tag == tag]

    def require(self, tag: int) -> TLV:
        found = self.find(tag)
        if found is None:
            raise TLVError(f"tag {tag:X} missing inside {self.tag:X}")
        return found

    def walk(self, _depth: int = 0) -> Iterator[TLV]:
        """This TLV and every TLV nested in it, depth first."""
        if _depth > MAX_DEPTH:
            raise TLVError("TLV nesting too deep")
        yield self
        if self.constructed:
            for child in decode(self.value, _depth=_depth + 1):
                yield from child.walk(_depth + 1)

    def to_bytes(self) -> bytes:
        return encode(self.tag, self.value)


def decode_one(data: bytes, offset: int = 0) -> tuple[TLV, bytes]:
    """Decode the TLV at ``offset``; return it and the bytes that follow."""
    tlv, end = _decode_at(data, offset)
    return tlv, bytes(data[end:])


def _decode_at(data: bytes, offset: int) -> tuple[TLV, int]:
    tag, offset = parse_tag(data, offset)
    length, offset = parse_length(data, offset)
    end = offset + length
    if end > len(data):
        raise TLVError(f"tag {tag:X} claims {length} bytes but only {len(data) - offset} remain")
    return TLV(tag, bytes(data[offset:end])), end


def decode(data: bytes, *, _depth: int = 0) -> list[TLV]:
    """Decode a concatenation of TLVs (the whole input must be consumed)."""
    if _depth > MAX_DEPTH:
        raise TLVError("TLV nesting too deep")
    out: list[TLV] = []
    offset = 0
    data = bytes(data)
    while offset < len(data):
        tlv, offset = _decode_at(data, offset)
        out.append(tlv)
    return out


def total_length(header: bytes) -> int:
    """Total size of a TLV from its first bytes (tag + length): for reading a file whose size is unknown."""
    _, off = parse_tag(header, 0)
    length, off = parse_length(header, off)
    return off + length
