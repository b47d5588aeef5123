"""LDS decoding and encoding on the real test documents (bsi2008, loes2006, tr03105, misc), round trips,
decompression-bomb limits, and fuzzing with random and mutated bytes: only typed errors may come out."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from passport.errors import LDSError, PassportError
from passport.lds import files
from passport.lds.biometric_group import decode_biometric_group
from passport.lds.card_access import decode_card_access, decode_card_security, pace_infos
from passport.lds.com import EFCom, decode_com, encode_com
from passport.lds.dg1 import decode_dg1, encode_dg1
from passport.lds.dg2 import DG2, BiometricTemplate, FaceImage, FeaturePoint, decode_dg2, encode_dg2, make_dg2
from passport.lds.dg7 import decode_dg7, encode_dg7
from passport.lds.dg11 import DG11, decode_dg11, encode_dg11
from passport.lds.dg12 import decode_dg12, encode_dg12
from passport.lds.dg14 import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEInfo,
    SecurityInfos,
    TerminalAuthenticationInfo,
    decode_dg14,
    decode_security_infos,
    encode_dg14,
    encode_security_infos,
)
from passport.lds.dg15 import decode_dg15, encode_dg15
from passport.lds.displayed import decode_dg5
from passport.lds.image import decode_image
from passport.lds.sod import decode_sod
from passport.mrz import parse_mrz

DOCS = ["bsi2008", "loes2006", "tr03105"]


def doc(name: str) -> Path:
    return shared_data("emrtd", name)


def read(name: str, file: str) -> bytes:
    return (doc(name) / file).read_bytes()


def jpeg_bytes(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 120, np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


# --- file table ------------------------------------------------------------------------------------------


def test_file_table_matches_doc_9303_10():
    assert (files.EF_COM.fid, files.EF_COM.sfi, files.EF_COM.tag) == (0x011E, 0x1E, 0x60)
    assert (files.EF_SOD.fid, files.EF_SOD.sfi, files.EF_SOD.tag) == (0x011D, 0x1D, 0x77)
    assert (files.dg_info(1).fid, files.dg_info(1).tag) == (0x0101, 0x61)
    assert (files.dg_info(2).fid, files.dg_info(2).tag) == (0x0102, 0x75)
    assert (files.dg_info(14).sfi, files.dg_info(14).tag) == (0x0E, 0x6E)
    assert (files.dg_info(15).fid, files.dg_info(15).tag) == (0x010F, 0x6F)
    assert files.EF_CARD_ACCESS.fid == 0x011C and files.EF_CARD_ACCESS.in_master_file
    assert files.EF_CARD_SECURITY.fid == 0x011D and files.EF_CARD_SECURITY.in_master_file
    assert files.TAG_TO_DG[0x75] == 2
    with pytest.raises(LDSError):
        files.dg_info(17)


# --- EF.COM and DG1 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, groups",
    [("bsi2008", (1, 2, 3, 14)), ("loes2006", (1, 2, 15)), ("tr03105", (1, 2, 3, 4, 14))],
)
def test_ef_com_decodes_and_round_trips(name, groups):
    raw = read(name, "EF_COM.bin")
    com = decode_com(raw)
    assert com.lds_version == "0107" and com.unicode_version == "040000"
    assert com.data_groups == groups
    assert encode_com(com) == raw


@pytest.mark.parametrize(
    "name, surname, given, state, number",
    [
        ("bsi2008", "MUSTERMANN", "ERIKA", "D<<", "C11T002JM"),
        ("loes2006", "MEULENDIJK", "LOES ALBERTINE", "NLD", "XX0001328"),
        ("tr03105", "MUSTERMANN", "ERIKA", "D<<", "C11T002JM"),
    ],
)
def test_dg1_mrz_and_round_trip(name, surname, given, state, number):
    raw = read(name, "DG1.bin")
    dg1 = decode_dg1(raw)
    assert dg1.mrz.layout == "TD3"
    assert (dg1.mrz.surname, dg1.mrz.given_names, dg1.mrz.issuing_state) == (surname, given, state)
    assert dg1.mrz.document_number == number
    assert dg1.mrz.valid
    assert encode_dg1(dg1.mrz) == raw
    assert encode_dg1(dg1.mrz_text) == raw


def test_dg1_encodes_a_freshly_formatted_mrz():
    from passport.mrz import format_td3

    lines = format_td3(
        issuing_state="UTO", surname="ERIKSSON", given_names="ANNA MARIA", document_number="L898902C3",
        nationality="UTO", birth_date="740812", sex="F", expiry_date="120415", optional_data="ZE184226B",
    )  # fmt: skip
    dg1 = decode_dg1(encode_dg1(parse_mrz(list(lines))))
    assert dg1.mrz.surname == "ERIKSSON" and dg1.mrz.valid


# --- DG2 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, header_size, pixels",
    [
        ("bsi2008", (337, 449), (531, 413)),
        ("loes2006", (449, 598), (598, 449)),
        ("tr03105", (337, 449), (531, 413)),
    ],
)
def test_dg2_face_decodes_to_array_and_round_trips(name, header_size, pixels):
    raw = read(name, "DG2.bin")
    dg2 = decode_dg2(raw)
    assert len(dg2.faces) == 1
    face = dg2.faces[0]
    assert face.image_format == "jpeg2000" and face.image_data_type == 1
    assert (face.width, face.height) == header_size
    image = face.decode()
    assert image.dtype == np.uint8 and image.shape == (*pixels, 3)
    # bsi2008/tr03105 state 337x449 in the 19794-5 header for a 413x531 image; loes2006 agrees with itself
    assert face.header_size_matches(image) == (name == "loes2006")
    assert dg2.templates[0].header == (
        (0x81, b"\x02"),
        (0x82, b"\x00"),
        (0x87, b"\x01\x01"),
        (0x88, b"\x00\x08"),
    )
    assert encode_dg2(dg2) == raw


def test_misc_jpeg2000_face_decodes():
    image = decode_image((doc("misc") / "dg2_silver.jp2").read_bytes())
    assert image.shape == (531, 413, 3)


def test_make_dg2_with_jpeg_and_feature_points_round_trips():
    jpeg = jpeg_bytes(64, 80)
    raw = make_dg2(jpeg, 64, 80, feature_points=(FeaturePoint(1, 0x31, 20, 30),), gender=2)
    dg2 = decode_dg2(raw)
    face = dg2.faces[0]
    assert face.image_format == "jpeg" and face.image_data == jpeg
    assert face.feature_points == (FeaturePoint(1, 0x31, 20, 30),) and face.gender == 2
    assert face.decode().shape == (80, 64, 3)
    assert encode_dg2(dg2) == raw


def _dg2_39794(bdb: bytes) -> bytes:
    from passport.tlv import encode

    template = encode(0x7F60, encode(0xA1, encode(0x87, b"\x01\x01")) + encode(0x7F2E, bdb))
    return encode(0x75, encode(0x7F61, encode(0x02, b"\x01") + template))


def test_dg2_iso_39794_5_structured_block():
    """FaceImageDataBlock [APPLICATION 5] { version [0], representationBlocks [1] { RepresentationBlock } }."""
    from passport.tlv import encode

    jpeg = jpeg_bytes(32, 40)
    size = encode(0xA7, encode(0x80, b"\x20") + encode(0x81, b"\x28"))
    info = encode(0xA1, encode(0x80, b"\x00") + size)
    rep2d = encode(0xA0, encode(0x80, jpeg) + info)
    block = encode(0x30, encode(0x80, b"\x00") + encode(0xA1, encode(0xA0, rep2d)))
    version = encode(0xA0, encode(0x80, b"\x03") + encode(0x81, b"\x07\xe3"))
    raw = _dg2_39794(encode(0x65, version + encode(0xA1, block)))
    dg2 = decode_dg2(raw)
    assert dg2.templates[0].standard == "ISO/IEC 39794-5"
    face = dg2.faces[0]
    assert (face.width, face.height) == (32, 40) and face.image_data == jpeg
    assert face.decode().shape == (40, 32, 3) and face.header_size_matches(face.decode())
    assert encode_dg2(dg2) == raw


def test_dg2_iso_39794_5_unknown_layout_falls_back_to_the_image_data():
    from passport.tlv import encode

    jpeg = jpeg_bytes(32, 40)
    raw = _dg2_39794(encode(0xA1, encode(0xA0, encode(0x80, b"\x01") + encode(0x81, jpeg))))
    dg2 = decode_dg2(raw)
    assert dg2.faces[0].image_data == jpeg and dg2.faces[0].width == 0
    assert encode_dg2(dg2) == raw
    with pytest.raises(LDSError, match="no image data"):
        decode_dg2(_dg2_39794(encode(0xA1, encode(0x80, b"\x01"))))


def test_dg2_structural_errors_are_typed():
    raw = read("bsi2008", "DG2.bin")
    dg2 = decode_dg2(raw)
    face = dg2.faces[0]
    with pytest.raises(LDSError, match="19794-5 version"):
        decode_dg2(encode_dg2(DG2((BiometricTemplate((), (face,), version=b"030\x00"),))))
    with pytest.raises(LDSError, match="outer tag"):
        decode_dg2(b"\x61\x00")
    with pytest.raises(LDSError, match="after the outer TLV"):
        decode_dg2(raw + b"\x00")


# --- decompression bombs ---------------------------------------------------------------------------------


def test_image_dimensions_checked_before_decoding():
    big = jpeg_bytes(16, 16)
    # Patch the SOF0 frame header to claim 60000 x 60000 pixels
    sof = big.index(b"\xff\xc0")
    bomb = big[: sof + 5] + (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big") + big[sof + 9 :]
    with pytest.raises(LDSError, match="exceeds the decoding bound|decompression bomb"):
        decode_image(bomb)
    with pytest.raises(LDSError, match="exceeds the decoding bound"):
        decode_image(jpeg_bytes(300, 20), max_side=256)


def test_non_image_bytes_rejected():
    with pytest.raises(LDSError, match="neither JPEG nor JPEG 2000"):
        decode_image(b"GIF89a....")
    with pytest.raises(LDSError, match="undecodable"):
        decode_image(b"\xff\xd8\xff\xe0" + b"\x00" * 40)


# --- every file of the real documents -------------------------------------------------------------------


@pytest.mark.parametrize("name", [*DOCS, "misc"])
def test_every_file_of_the_real_documents_decodes(name):
    from passport.lds.registry import decode_file

    folder = doc(name)
    decoded = 0
    for path in sorted(folder.iterdir()):
        if path.suffix != ".bin" or path.stem.endswith("_pk"):
            continue
        file_name = path.stem.replace("EF_", "EF.")
        assert decode_file(file_name, path.read_bytes()) is not None
        decoded += 1
    assert decoded == {"bsi2008": 12, "loes2006": 5, "tr03105": 8, "misc": 1}[name]


def test_tr03105_public_key_files_match_dg14_and_dg15():
    from passport.lds.public_key import load_public_key

    ca_key = load_public_key(read("tr03105", "DG14_pk.bin"))
    aa_key = load_public_key(read("tr03105", "DG15_pk.bin"))
    assert (
        ca_key.ec_point
        == decode_dg14(read("tr03105", "DG14.bin")).chip_auth_public_keys[0].public_key.ec_point
    )
    assert aa_key.rsa_n == decode_dg15(read("tr03105", "DG15.bin")).rsa_n


def test_dg3_dg4_biometric_groups_and_dg5_portrait():
    from passport.lds.biometric_group import decode_biometric_group, encode_biometric_group
    from passport.lds.displayed import decode_dg5, encode_dg5

    for dg, fmt in ((3, "FIR"), (4, "IIR")):
        raw = read("tr03105", f"DG{dg}.bin")
        group = decode_biometric_group(raw, dg)
        assert [t.format_identifier for t in group.templates] == [fmt, fmt]
        assert encode_biometric_group(group, dg) == raw
    raw = read("bsi2008", "DG5.bin")
    dg5 = decode_dg5(raw)
    assert dg5.formats() == ["jpeg2000"] and dg5.decode().shape == (531, 413, 3)
    assert encode_dg5(dg5) == raw


# --- DG7, DG11, DG12 -------------------------------------------------------------------------------------


def test_dg7_signature_image():
    raw = read("bsi2008", "DG7.bin")
    dg7 = decode_dg7(raw)
    assert dg7.formats() == ["jpeg2000"]
    assert dg7.decode().shape == (142, 550, 3)
    assert encode_dg7(dg7) == raw


def test_dg11_personal_details():
    dg11 = decode_dg11(read("bsi2008", "DG11.bin"))
    assert dg11.full_name == "Doe John" and dg11.other_names == ("William",)
    assert dg11.full_date_of_birth == "19700101"  # stored as BCD 19 70 01 01
    assert dg11.place_of_birth == "TEST<TEST" and dg11.other_td_numbers == "123<123"
    assert decode_dg11(encode_dg11(dg11)) == dg11
    fresh = DG11(full_name="ERIKSSON<<ANNA<MARIA", full_date_of_birth="19740812", place_of_birth="ZENITH")
    assert decode_dg11(encode_dg11(fresh)) == fresh


def test_dg11_malformed_date_of_birth_is_not_in_the_error():
    from passport.tlv import encode

    data = encode(0x6B, encode(0x5C, bytes.fromhex("5F2B")) + encode(0x5F2B, b"19740812X"))
    with pytest.raises(LDSError) as err:
        decode_dg11(data)
    assert "19740812" not in str(err.value) and "full_date_of_birth" in str(err.value)


def test_dg12_document_details():
    dg12 = decode_dg12(read("bsi2008", "DG12.bin"))
    assert dg12.issuing_authority == "TEST" and dg12.date_of_issue == "20240101"
    assert dg12.personalization_time == "20240101123059" and dg12.other_names == ("William",)
    assert decode_dg12(encode_dg12(dg12)) == dg12


# --- DG14, DG15, EF.CardAccess / EF.CardSecurity ---------------------------------------------------------


@pytest.mark.parametrize("name", ["bsi2008", "tr03105"])
def test_dg14_security_infos(name):
    raw = read(name, "DG14.bin")
    infos = decode_dg14(raw)
    (pk,) = infos.chip_auth_public_keys
    (ca,) = infos.chip_auth_infos
    assert pk.protocol == "0.4.0.127.0.7.2.2.1.2" and pk.public_key.algorithm == "ec"
    assert pk.public_key.ec_domain.name == "BRAINPOOLP224r1"  # given as explicit parameters
    assert ca.protocol == "0.4.0.127.0.7.2.2.3.2.1" and ca.version == 1
    assert ca.agreement == "ECDH" and ca.cipher == ("3DES", 112)
    assert len(infos.of_type(TerminalAuthenticationInfo)) == 1
    assert encode_dg14(infos) == raw


def test_security_infos_encode_every_type():
    pk = decode_dg14(read("tr03105", "DG14.bin")).chip_auth_public_keys[0]
    infos = SecurityInfos(
        (
            ChipAuthenticationPublicKeyInfo(pk.protocol, pk.public_key, 7),
            ChipAuthenticationInfo("0.4.0.127.0.7.2.2.3.2.2", 2, 7),
            PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13),
            ActiveAuthenticationInfo("2.23.136.1.1.5", 1, "0.4.0.127.0.7.1.1.4.1.3"),
        )
    )
    decoded = decode_security_infos(encode_security_infos(infos))
    assert decoded == infos
    assert decoded.active_auth_info.hash_algorithm == "sha256"
    assert decoded.pace_infos[0].mapping == "ECDH-GM" and decoded.pace_infos[0].cipher == ("AES", 128)
    assert decoded.chip_auth_infos[0].cipher == ("AES", 128)


@pytest.mark.parametrize("name", DOCS)
def test_dg15_rsa_keys(name):
    raw = read(name, "DG15.bin")
    key = decode_dg15(raw)
    assert key.algorithm == "rsa" and key.bits == 1024 and key.rsa_e == 65537
    assert encode_dg15(key) == raw


def test_dg15_ec_key_with_explicit_parameters():
    from asn1crypto import keys

    pk = decode_dg14(read("tr03105", "DG14.bin")).chip_auth_public_keys[0].public_key
    raw = encode_dg15(pk.spki_der)
    key = decode_dg15(raw)
    assert key.algorithm == "ec" and key.ec_domain.name == "BRAINPOOLP224r1"
    assert keys.PublicKeyInfo.load(key.spki_der)["algorithm"]["parameters"].name == "specified"


def test_card_security_and_card_access():
    cs = decode_card_security((doc("misc") / "EF_CardSecurity.bin").read_bytes())
    (pk,) = cs.infos.chip_auth_public_keys
    assert pk.public_key.ec_domain.name == "BRAINPOOLP256r1"  # standardized domain parameters ID 13
    assert cs.infos.chip_auth_infos[0].cipher == ("AES", 128)
    from passport.pki import check_signed_data

    assert check_signed_data(cs.signed_data).signature_valid
    # EF.CardAccess is a bare SecurityInfos
    card_access = encode_security_infos([PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13)])
    assert [p.parameter_id for p in pace_infos(card_access)] == [13]
    assert decode_card_access(card_access).pace_infos[0].mapping == "ECDH-GM"


# --- EF.SOD ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, algorithm, groups",
    [
        ("bsi2008", "sha1", [1, 2, 3, 14]),
        ("loes2006", "sha256", [1, 2, 15]),
        ("tr03105", "sha256", [1, 2, 3, 4, 14]),
    ],
)
def test_sod_structure(name, algorithm, groups):
    sod = decode_sod(read(name, "EF_SOD.bin"))
    assert sod.hash_algorithm == algorithm and sorted(sod.dg_hashes) == groups
    assert len(sod.certificates) == 1


# --- fuzzing: hostile input gives typed errors only ------------------------------------------------------

DECODERS = {
    "EF_COM.bin": decode_com,
    "DG3.bin": lambda b: decode_biometric_group(b, 3),
    "DG5.bin": decode_dg5,
    "DG1.bin": decode_dg1,
    "DG2.bin": decode_dg2,
    "DG7.bin": decode_dg7,
    "DG11.bin": decode_dg11,
    "DG12.bin": decode_dg12,
    "DG14.bin": decode_dg14,
    "DG15.bin": decode_dg15,
    "EF_SOD.bin": decode_sod,
}


def _real_files() -> list[tuple[str, bytes]]:
    folder = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "emrtd" / "bsi2008"
    if not folder.exists():
        return []
    return [(f, (folder / f).read_bytes()) for f in DECODERS]


REAL = _real_files()


def _typed_only(decoder, data: bytes) -> None:
    with contextlib.suppress(PassportError):
        decoder(data)


@pytest.mark.skipif(not REAL, reason="test data not found: ../shared/data/emrtd")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_files_give_typed_errors(data):
    name, raw = data.draw(st.sampled_from(REAL))
    buf = bytearray(raw[:4096] if name == "DG2.bin" and data.draw(st.booleans()) else raw)
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "length"]))
        pos = data.draw(st.integers(0, max(0, len(buf) - 1)))
        if kind == "flip" and buf:
            buf[pos] ^= data.draw(st.integers(1, 255))
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "insert":
            buf[pos:pos] = data.draw(st.binary(min_size=1, max_size=8))
        elif kind == "length" and len(buf) > 2:
            buf[1] = data.draw(st.sampled_from([0x80, 0x84, 0x81, 0xFF, 0x00]))
    _typed_only(DECODERS[name], bytes(buf))


@settings(max_examples=300, deadline=None)
@given(decoder=st.sampled_from(list(DECODERS.values()) + [decode_security_infos, decode_card_security]),
       raw=st.binary(max_size=300))  # fmt: skip
def test_random_bytes_give_typed_errors(decoder, raw):
    _typed_only(decoder, raw)


@settings(max_examples=200, deadline=None)
@given(tag=st.sampled_from([0x60, 0x61, 0x75, 0x6E, 0x6F, 0x77, 0x31, 0x30]), body=st.binary(max_size=200))
def test_random_bodies_under_valid_tags_give_typed_errors(tag, body):
    from passport.tlv import encode

    for decoder in [*DECODERS.values(), decode_security_infos]:
        _typed_only(decoder, encode(tag, body))


@pytest.mark.skipif(not REAL, reason="test data not found: ../shared/data/emrtd")
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_mutated_images_give_typed_errors(data):
    raw = decode_dg2(dict(REAL)["DG2.bin"]).faces[0].image_data
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] ^= data.draw(st.integers(1, 255))
    if data.draw(st.booleans()):
        del buf[data.draw(st.integers(12, len(buf) - 1)) :]
    try:
        image = decode_image(bytes(buf))
        assert image.ndim in (2, 3)
    except LDSError:
        pass


def test_efcom_round_trip_of_constructed_value():
    com = EFCom("0108", "040000", (0x61, 0x75, 0x6F))
    assert decode_com(encode_com(com)) == com


def test_face_image_defaults_encode():
    face = FaceImage(image_data=jpeg_bytes(8, 8), width=8, height=8)
    dg2 = DG2((BiometricTemplate((), (face,)),))
    assert decode_dg2(encode_dg2(dg2)).faces[0] == face
