"""BER-TLV and APDU encoding: known encodings, round trips, and hostile input giving only typed errors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport import tlv
from passport.apdu import CommandAPDU, ResponseAPDU, read_binary, read_binary_odd, select_file
from passport.errors import APDUError, TLVError


def test_tlv_lengths_and_multibyte_tags() -> None:
    assert tlv.encode(0x5F1F, b"\x01") == bytes.fromhex("5F1F0101")
    assert tlv.encode_length(0x7F) == b"\x7f"
    assert tlv.encode_length(0x80) == b"\x81\x80"
    assert tlv.encode_length(0x1234) == b"\x82\x12\x34"
    nested = tlv.encode(0x61, tlv.encode(0x5F1F, b"P<UTO"))
    (outer,) = tlv.decode(nested)
    assert outer.constructed
    assert outer.require(0x5F1F).value == b"P<UTO"
    assert tlv.total_length(nested[:4]) == len(nested)


@pytest.mark.parametrize(
    "raw",
    ["61", "6105", "61800000", "5F", "5F1F", "5F1F85", "6185FFFFFFFFFF", "9F8F8F8F8F0100"],
)
def test_tlv_malformed(raw: str) -> None:
    with pytest.raises(TLVError):
        tlv.decode(bytes.fromhex(raw))


def test_tlv_depth_bound() -> None:
    data = b"\x01"
    for _ in range(40):
        data = tlv.encode(0x30, data)
    (top,) = tlv.decode(data)
    with pytest.raises(TLVError):
        list(top.walk())


@given(st.binary(max_size=300))
def test_tlv_hostile_bytes_only_tlverror(data: bytes) -> None:
    try:
        for item in tlv.decode(data):
            list(item.walk())
    except TLVError:
        pass


@given(st.integers(0, 0xFF), st.binary(max_size=2000))
def test_tlv_round_trip(tag: int, value: bytes) -> None:
    tag = tag & ~0x20 if tag & 0x1F != 0x1F else 0x04  # primitive single-byte tags
    (item,) = tlv.decode(tlv.encode(tag, value))
    assert (item.tag, item.value) == (tag, value)


def test_apdu_short_and_extended_encodings() -> None:
    assert select_file(0x011E).to_bytes() == bytes.fromhex("00A4020C02011E")
    assert read_binary(0, 256).to_bytes() == bytes.fromhex("00B0000000")
    assert read_binary(4, 1000).to_bytes() == bytes.fromhex("00B00004" "0003E8")
    ext = CommandAPDU(0x00, 0x88, 0, 0, b"\xaa" * 300, le=65536)
    assert ext.extended
    assert ext.to_bytes()[4:7] == b"\x00\x01\x2c" and ext.to_bytes()[-2:] == b"\x00\x00"
    assert read_binary_odd(0x8000, 0xDF).to_bytes() == bytes.fromhex("00B100000454028000DF")


@given(
    st.binary(max_size=400),
    st.one_of(st.none(), st.integers(1, 65536)),
)
def test_apdu_round_trip(data: bytes, le: int | None) -> None:
    cmd = CommandAPDU(0x0C, 0xB0, 0x01, 0x02, data, le)
    parsed = CommandAPDU.from_bytes(cmd.to_bytes())
    assert (parsed.data, parsed.le) == (data, le)


@given(st.binary(max_size=64))
def test_apdu_hostile_bytes_only_apduerror(raw: bytes) -> None:
    with contextlib.suppress(APDUError):
        CommandAPDU.from_bytes(raw)
    with contextlib.suppress(APDUError):
        ResponseAPDU.from_bytes(raw)


def test_response_status() -> None:
    r = ResponseAPDU.from_bytes(bytes.fromhex("01029000"))
    assert r.ok and r.data == b"\x01\x02"
    assert ResponseAPDU.from_bytes(bytes.fromhex("6A82")).sw == 0x6A82
