"""Shared decoding of the text/date elements of DG11 and DG12."""

from __future__ import annotations

from passport.errors import LDSError
from passport.tlv import TLV, encode

MAX_OTHER_NAMES = 32


def text(value: bytes, where: str) -> str:
    """UTF-8 text (ICAO 9303-10 allows UTF-8 in DG11/DG12)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise LDSError(f"{where}: text is not UTF-8") from None


def date_text(value: bytes, where: str, digits: int = 8) -> str:
    """A date/time stored as ASCII digits or, as some issuers do, BCD (4 bytes for YYYYMMDD)."""
    if len(value) == digits and value.isdigit():
        return value.decode("ascii")
    if len(value) * 2 == digits:
        s = value.hex()
        if s.isdigit():
            return s
    raise LDSError(f"{where}: a date of {len(value)} bytes is not {digits} digits in ASCII or BCD")


def other_names(tlv: TLV, where: str) -> tuple[str, ...]:
    """A0 { 02 count, name-tag value ... }."""
    items = tlv.children()
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise LDSError(f"{where}: other-names template lacks its count")
    names = tuple(text(c.value, where) for c in items[1:])
    if len(names) != items[0].value[0] or len(names) > MAX_OTHER_NAMES:
        raise LDSError(f"{where}: other-names count {items[0].value[0]} does not match {len(names)} names")
    return names


def encode_other_names(name_tag: int, names: tuple[str, ...]) -> bytes:
    body = encode(0x02, bytes([len(names)])) + b"".join(encode(name_tag, n.encode("utf-8")) for n in names)
    return encode(0xA0, body)


def decode_elements(
    items: list[TLV], table: dict[str, tuple[int, str]], other_tag: int, where: str
) -> dict[str, object]:
    """Values of a DG11/DG12 by field name; kinds are "text", "date" (8 digits), "datetime" (14), "bytes"."""
    from passport.errors import TLVError
    from passport.tlv import parse_tag

    # The tag list 5C is mandatory in Doc 9303 but absent from some issued files; when present its
    # tags must be well formed, and it is otherwise informational.
    if items and items[0].tag == 0x5C:
        offset = 0
        while offset < len(items[0].value):
            try:
                _, offset = parse_tag(items[0].value, offset)
            except TLVError as exc:
                raise LDSError(f"{where}: malformed tag list: {exc}") from exc
        items = items[1:]
    by_tag = {tag: (name, kind) for name, (tag, kind) in table.items()}
    values: dict[str, object] = {}
    for item in items:
        if item.tag == 0x5C:
            raise LDSError(f"{where}: tag list 5C is not the first element")
        if item.tag in (0xA0, other_tag):
            try:
                names = other_names(item, where) if item.tag == 0xA0 else (text(item.value, where),)
            except TLVError as exc:
                raise LDSError(f"{where}: {exc}") from exc
            values["other_names"] = (*values.get("other_names", ()), *names)  # type: ignore[misc]
            continue
        if item.tag not in by_tag:
            continue  # proprietary elements are ignored
        name, kind = by_tag[item.tag]
        if name in values:
            raise LDSError(f"{where}: element {item.tag:X} repeated")
        if kind == "text":
            values[name] = text(item.value, f"{where} {name}")
        elif kind == "date":
            values[name] = date_text(item.value, f"{where} {name}", 8)
        elif kind == "datetime":
            values[name] = date_text(item.value, f"{where} {name}", 14)
        else:
            values[name] = item.value
    return values


def encode_elements(
    values: dict[str, object], table: dict[str, tuple[int, str]], other_tag: int, after: str
) -> bytes:
    """Tag list 5C and elements in table order; other names (A0 template) follow the field `after`."""
    present: list[bytes] = []
    body = b""
    names = values.get("other_names") or ()
    for name, (tag, kind) in table.items():
        value = values.get(name)
        if value is not None:
            present.append(tag.to_bytes(2, "big"))
            raw = value if kind == "bytes" else str(value).encode("utf-8")
            body += encode(tag, raw)  # type: ignore[arg-type]
        if name == after and names:
            present.append(b"\xa0")
            body += encode_other_names(other_tag, tuple(names))  # type: ignore[arg-type]
    return encode(0x5C, b"".join(present)) + body
