"""Bounds checked before asn1crypto parses hostile DER/BER: nesting depth (asn1crypto recurses once per
level and a certificate with ~1000 nested SEQUENCEs exhausts Python's stack) and indefinite lengths.

The scan is iterative and descends into OCTET STRING and BIT STRING contents that look like encoded
ASN.1 (extensions, encapsulated content), where the deep structures of the hostile seeds hide. A genuine
CMS SignedData with certificates nests about 20 levels; MAX_NESTING leaves ample room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from passport.errors import LDSError

MAX_NESTING = 64
# Exceptions asn1crypto raises on malformed input; every parse boundary turns them into LDSError.
ASN1_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError)

T = TypeVar("T")


@dataclass(frozen=True)
class EncodingScan:
    depth: int  # deepest nesting seen (0 for a lone primitive)
    indefinite: bool  # some constructed value uses the BER indefinite length form


class _Stop(Exception):
    """The region is not well-formed ASN.1: stop scanning it (the parser will report it)."""


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int | None]:
    """(first tag byte, content start, content length or None for indefinite) of the TLV at pos."""
    if pos >= end:
        raise _Stop
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        for _ in range(4):
            if pos >= end:
                raise _Stop
            pos += 1
            if not data[pos - 1] & 0x80:
                break
        else:
            raise _Stop
    if pos >= end:
        raise _Stop
    first = data[pos]
    pos += 1
    if first == 0x80:
        if not tag & 0x20:
            raise _Stop
        return tag, pos, None
    if first & 0x80:
        n = first & 0x7F
        if n > 4 or pos + n > end:
            raise _Stop
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    else:
        length = first
    if pos + length > end:
        raise _Stop
    return tag, pos, length


def _scan_region(data: bytes, start: int, end: int, base: int, limit: int, work: list) -> tuple[int, bool]:
    depth_seen, indefinite = base, False
    ends: list[int | None] = []  # open constructed values: their end, None while indefinite
    pos = start
    while pos < end:
        while ends and ends[-1] is not None and pos >= ends[-1]:
            ends.pop()
        if ends and ends[-1] is None and data[pos : pos + 2] == b"\x00\x00":
            ends.pop()
            pos += 2
            continue
        tag, content, length = _header(data, pos, ends[-1] if ends and ends[-1] is not None else end)
        depth = base + len(ends) + 1
        if depth > limit:
            raise LDSError(f"ASN.1 nested deeper than {limit} levels")
        depth_seen = max(depth_seen, depth)
        if tag & 0x20:
            indefinite |= length is None
            ends.append(None if length is None else content + length)
            pos = content
            continue
        assert length is not None
        skip = 1 if tag == 0x03 else 0  # a BIT STRING's first octet counts unused bits
        if tag in (0x03, 0x04) and length > skip + 1 and data[content + skip] & 0x20:
            work.append((content + skip, content + length, depth))
        pos = content + length
    return depth_seen, indefinite


def scan_encoding(data: bytes, limit: int = MAX_NESTING) -> EncodingScan:
    """Nesting depth and length forms of BER data; LDSError when nested deeper than ``limit``.

    Malformed regions are left to the parser; only the depth bound raises here.
    """
    work: list[tuple[int, int, int]] = [(0, len(data), 0)]
    depth, indefinite, top = 0, False, True
    while work:
        start, end, base = work.pop()
        try:
            d, ind = _scan_region(data, start, end, base, limit, work)
        except _Stop:
            continue
        depth = max(depth, d)
        indefinite |= ind and top  # inside OCTET STRINGs, only the outer encoding counts
        top = False
    return EncodingScan(depth, indefinite)


def parse_guarded(parse: Callable[[], T], what: str) -> T:
    """Run an asn1crypto parse, turning its exceptions (stack exhaustion included) into LDSError."""
    try:
        return parse()
    except LDSError:
        raise
    except ASN1_ERRORS as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]  # some exceptions carry no message
        detail = "nested too deeply" if isinstance(exc, RecursionError) else lines[0][:200]
        raise LDSError(f"malformed {what}: {detail}") from None
