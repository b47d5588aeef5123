"""Fuzzing kept in the test suite: every parser of chip or reader input, fed random and structured input,
gives a result or the library's own error (``passport.errors.PassportError``; ``PortraitError`` for the
portrait), never another exception and never a hang.

The inputs are built to get past the first check of each parser: BER-TLV and DER trees whose tags are those
of the file under test (with real OIDs of the LDS), mutations of real files, well-formed secure-messaging
objects with random content, and image headers with random fields. Example counts come from the hypothesis
profile (``tests/conftest.py``): ``ci`` by default (bounded: a few seconds for the whole file),
``HYPOTHESIS_PROFILE=long`` for a longer run (see docs/testing.md).
"""

from __future__ import annotations

import contextlib
import os
import struct
from pathlib import Path

import pytest
from conftest import SHARED_DATA
from hypothesis import given
from hypothesis import strategies as st
from lds_grammar import GRAMMARS, oid, sods
from lds_grammar import name as grammar_name

from biometrics import images
from biometrics.images import ImageError
from biometrics.portrait import PORTRAIT_FORMATS
from passport.apdu import CommandAPDU, ResponseAPDU
from passport.errors import PassportError
from passport.lds.codestream import inspect_image
from passport.lds.image import decode_image
from passport.lds.registry import DECODERS
from passport.mrz import parse_mrz
from passport.sm import SecureMessaging, split_dos
from passport.tlv import decode, decode_one, encode

# A hang guard, not a timing: the long profile runs for minutes.
pytestmark = pytest.mark.timeout(3600 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 120)

# Tags and OIDs that the LDS files use, so that generated trees reach past the outer checks.
FILE_TAGS = {"EF.COM": 0x60, "DG1": 0x61, "DG2": 0x75, "DG3": 0x63, "DG4": 0x76, "DG5": 0x65, "DG7": 0x67,
             "DG11": 0x6B, "DG12": 0x6C, "DG14": 0x6E, "DG15": 0x6F, "EF.SOD": 0x77}  # fmt: skip
INNER_TAGS = [0x5F01, 0x5F36, 0x5C, 0x5F1F, 0x7F61, 0x7F60, 0xA1, 0x5F2E, 0x7F2E, 0x02, 0x80, 0x81, 0x87,
              0x88, 0x5C, 0x5F0E, 0x5F0F, 0x5F2B, 0x5F11, 0x5F42, 0x5F19, 0x5F26, 0x5F55, 0x5F43, 0xA0, 0x30,
              0x31, 0x06, 0x04, 0x03, 0x5F40, 0x5F43, 0x7F2E]  # fmt: skip
OIDS = [
    "0.4.0.127.0.7.2.2.4.2.2", "0.4.0.127.0.7.2.2.4.6.2", "0.4.0.127.0.7.2.2.4.1.1", "0.4.0.127.0.7.2.2.3.2.4",
    "0.4.0.127.0.7.2.2.1.2", "0.4.0.127.0.7.2.2.1.1", "2.23.136.1.1.5", "2.23.136.1.1.1",
    "1.2.840.113549.1.7.2", "1.2.840.113549.1.7.1", "1.2.840.10045.2.1", "1.2.840.113549.1.1.1",
    "2.16.840.1.101.3.4.2.1", "1.2.840.10045.4.3.2", "1.2.840.113549.1.1.10", "1.2.840.10045.1.1",
    "0.4.0.127.0.7.3.2.1", "0.4.0.127.0.7.1.1.5.1.1",
]  # fmt: skip




_leaf = st.one_of(
    st.sampled_from(OIDS).map(oid),
    st.integers(-(2**70), 2**70).map(
        lambda n: encode(0x02, n.to_bytes((n.bit_length() + 8) // 8 or 1, "big", signed=True))
    ),  # fmt: skip
    st.builds(
        encode, st.sampled_from([0x04, 0x03, 0x0C, 0x13, 0x17, 0x18, 0x01, 0x05]), st.binary(max_size=40)
    ),
    st.builds(encode, st.sampled_from(INNER_TAGS), st.binary(max_size=40)),
    st.binary(max_size=6),  # stray bytes: broken lengths, truncations
)
_tree = st.recursive(
    _leaf,
    lambda children: st.builds(
        encode,
        st.sampled_from([0x30, 0x31, 0xA0, 0xA1, 0xA3, 0x7F61, 0x7F60, 0x7F49, 0x5C, 0x70]),
        st.lists(children, max_size=4).map(b"".join),
    ),
    max_leaves=12,
)


@given(st.sampled_from(sorted(DECODERS)), st.lists(_tree, max_size=4).map(b"".join))
def test_lds_decoders_on_structured_trees(name: str, body: bytes) -> None:
    decoder = DECODERS[name]
    for data in (encode(FILE_TAGS[name], body), body) if name in FILE_TAGS else (body, encode(0x31, body)):
        with contextlib.suppress(PassportError):
            decoder(data)


@given(st.sampled_from(sorted(GRAMMARS)).flatmap(lambda name: st.tuples(st.just(name), GRAMMARS[name])))
def test_lds_decoders_on_their_grammar(case: tuple[str, bytes]) -> None:
    name, data = case
    with contextlib.suppress(PassportError):
        DECODERS[name](data)


@pytest.fixture(scope="module")
def test_pki():  # type: ignore[no-untyped-def]
    from hardware_mocks.emrtd.pki import make_test_pki

    return make_test_pki()


@given(data=st.data())
def test_passive_authentication_on_grammar_sods(test_pki, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    """EF.SODs whose certificates may name a trusted CSCA as issuer, so that the chain check is reached."""
    from passport.passive_auth import verify_sod

    csca_name = test_pki.csca.certificate.subject.public_bytes()
    sod = data.draw(sods(st.one_of(st.just(csca_name), grammar_name)))
    groups = data.draw(st.dictionaries(st.integers(1, 16), st.binary(max_size=40), max_size=3))
    result = verify_sod(sod, groups, test_pki.trust_store(), mrz_issuer=data.draw(st.sampled_from([None, "UTO", "D"])))
    assert not result.valid


@st.composite
def _face_record_block(draw: st.DrawFn) -> bytes:
    """An ISO/IEC 19794-5 facial record block (5F2E) with random header fields and counts."""
    points = draw(st.integers(0, 3))
    image = draw(st.binary(max_size=30))
    record = 20 + 8 * points + 12 + len(image)
    info = struct.pack(">IHBBB3s2s3s3s", draw(st.one_of(st.just(record), st.integers(0, 2**32 - 1))),
                       draw(st.one_of(st.just(points), st.integers(0, 0xFFFF))), 0, 0, 0, b"\0" * 3, b"\0" * 2,
                       b"\0" * 3, b"\0" * 3)  # fmt: skip
    body = info + draw(st.binary(min_size=8 * points, max_size=8 * points))
    body += struct.pack(">BBHHBBHH", 1, draw(st.integers(0, 3)), *draw(st.tuples(*[st.integers(0, 0xFFFF)] * 2)),
                        1, 2, 0, 0) + image  # fmt: skip
    count = draw(st.one_of(st.just(1), st.integers(0, 0xFFFF)))
    header = b"FAC\0" + draw(st.sampled_from([b"010\0", b"030\0"]))
    header += draw(st.one_of(st.just(14 + len(body)), st.integers(0, 2**32 - 1))).to_bytes(4, "big")
    return encode(0x5F2E, header + count.to_bytes(2, "big") + body)


@given(_face_record_block(), st.integers(0, 3), st.booleans())
def test_dg2_on_structured_facial_records(block: bytes, count: int, with_header: bool) -> None:
    template = encode(0x7F60, (encode(0xA1, encode(0x87, b"\x01\x01")) if with_header else b"") + block)
    with contextlib.suppress(PassportError):
        DECODERS["DG2"](encode(0x75, encode(0x7F61, encode(0x02, bytes([count])) + template)))


@given(st.lists(st.text(alphabet="ABCDEFZ0123456789<", min_size=28, max_size=46), min_size=1, max_size=3))
def test_dg1_on_mrz_like_lines(lines: list[str]) -> None:
    with contextlib.suppress(PassportError):
        DECODERS["DG1"](encode(0x61, encode(0x5F1F, "".join(lines).encode())))


@given(st.binary(max_size=400))
def test_tlv_decoding_any_bytes(data: bytes) -> None:
    with contextlib.suppress(PassportError):
        decode(data)
    with contextlib.suppress(PassportError):
        decode_one(data)


@given(st.binary(max_size=300))
def test_apdu_parsing_any_bytes(data: bytes) -> None:
    with contextlib.suppress(PassportError):
        CommandAPDU.from_bytes(data)
    with contextlib.suppress(PassportError):
        ResponseAPDU.from_bytes(data)


@given(st.one_of(st.text(max_size=120), st.lists(st.text(alphabet="ABCDEFZ0123456789<\n a", max_size=50),
                                                 max_size=4)),
       st.booleans())  # fmt: skip
def test_mrz_parsing_any_text(text: str | list[str], strict: bool) -> None:
    with contextlib.suppress(PassportError):
        parse_mrz(text, strict=strict)


_sm_objects = st.lists(
    st.tuples(st.sampled_from([0x85, 0x87, 0x99, 0x8E, 0x97, 0x01]), st.binary(max_size=40)), max_size=4
).map(lambda dos: b"".join(encode(tag, value) for tag, value in dos))


@given(st.sampled_from(["AES", "3DES"]), st.one_of(_sm_objects, st.binary(max_size=80)),
       st.binary(min_size=2, max_size=2))  # fmt: skip
def test_sm_unwrap_any_response(cipher: str, body: bytes, sw: bytes) -> None:
    sm = SecureMessaging(bytes(16), bytes(16), 0, cipher)  # type: ignore[arg-type]
    with contextlib.suppress(PassportError):
        split_dos(body)
    with contextlib.suppress(PassportError):
        sm.unwrap(body + sw)


# --- images: header walk on random fields, decoding of mutated real images -----------------------------------


def _jpeg_segments(draw: st.DrawFn) -> bytes:
    out = b"\xff\xd8"
    for _ in range(draw(st.integers(0, 6))):
        marker = draw(st.sampled_from([0xC0, 0xC2, 0xC3, 0xC4, 0xDB, 0xDA, 0xE0, 0xDD, 0xD0, 0xFE, 0xD9]))
        payload = draw(st.binary(max_size=30))
        length = draw(st.one_of(st.just(len(payload) + 2), st.integers(0, 0xFFFF)))
        out += bytes([0xFF, marker]) + length.to_bytes(2, "big") + payload
    return out + draw(st.binary(max_size=20))


def _j2k_header(draw: st.DrawFn) -> bytes:
    csiz = draw(st.integers(0, 6))
    fields = [draw(st.integers(0, 2**32 - 1)) for _ in range(8)]
    siz = struct.pack(">H8IH", 0, *fields, csiz) + draw(st.binary(min_size=3 * csiz, max_size=3 * csiz))
    code = b"\xff\x4f\xff\x51" + (len(siz) + 2).to_bytes(2, "big") + siz + draw(st.binary(max_size=20))
    if draw(st.booleans()):
        return code
    jp2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + encode_box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ")
    return jp2 + encode_box(b"jp2c", code, draw(st.sampled_from([None, 0, 1, 3])))


def encode_box(box: bytes, payload: bytes, length: int | None = None) -> bytes:
    return (len(payload) + 8 if length is None else length).to_bytes(4, "big") + box + payload


@given(st.data())
def test_image_header_walk_on_random_fields(data: st.DataObject) -> None:
    make_header = data.draw(st.sampled_from([_jpeg_segments, _j2k_header]))
    with contextlib.suppress(PassportError):
        inspect_image(make_header(data.draw))


def _real_portraits() -> list[bytes]:
    from passport.lds.dg2 import decode_dg2

    found = []
    for name in ("bsi2008", "loes2006"):
        path = SHARED_DATA / "emrtd" / name / "DG2.bin"
        if path.exists():
            found.append(decode_dg2(path.read_bytes()).faces[0].image_data)
    jpeg = Path(__file__).resolve().parent.parent / "hardware_mocks" / "sample"
    found += [p.read_bytes()[:60_000] for p in sorted(jpeg.rglob("*.jpg"))[:1]]
    return found


PORTRAITS = _real_portraits()


@pytest.mark.skipif(not PORTRAITS, reason="no portrait to mutate")
@given(st.data())
def test_portrait_decoding_of_mutated_images(data: st.DataObject) -> None:
    """The bounded chip decoder ends in LDSError, the in-process portrait decoder in ImageError."""
    buf = bytearray(data.draw(st.sampled_from(PORTRAITS)))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, min(len(buf) - 1, 400)))  # headers live at the start
        buf[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del buf[data.draw(st.integers(2, len(buf) - 1)) :]
    with contextlib.suppress(PassportError):
        decode_image(bytes(buf))
    with contextlib.suppress(ImageError):
        images.decode_image(bytes(buf), formats=PORTRAIT_FORMATS)
