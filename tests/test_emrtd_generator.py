"""Generated ePassports: LDS decoding, passive authentication against the test PKI, tampering, DG2 sizing,
chip keys matching DG14/DG15, and whole reads from the simulated chip (no pcscd: APDUs go to the chip
object directly). Faces stay in memory; only the write test puts files in a pytest tmp dir."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image

from hardware_mocks.emrtd import auth as emrtd_auth
from hardware_mocks.emrtd.chip import EmrtdChip
from hardware_mocks.emrtd.files import FID_CARD_ACCESS, FID_DG, load_chip_files
from hardware_mocks.emrtd.generator import (
    GeneratedPassport,
    GeneratorError,
    generate_passport,
    passport_for_lfw_person,
)
from hardware_mocks.emrtd.pki import make_test_pki
from passport.active_auth import verify_aa_signature
from passport.lds.card_access import pace_infos
from passport.lds.com import decode_com
from passport.lds.dg1 import decode_dg1
from passport.lds.dg2 import decode_dg2
from passport.lds.dg14 import decode_dg14
from passport.lds.dg15 import decode_dg15
from passport.passive_auth import verify_sod
from passport.reader import MRZKey, read_passport

SAMPLE_FACES = Path(__file__).resolve().parent.parent / "hardware_mocks" / "sample" / "faces"
PERSON = {
    "surname": "Blix",
    "given_names": "Hans Martin",
    "document_number": "C01X00T47",
    "issuing_state": "D",
    "nationality": "D",
    "birth_date": "350628",
    "expiry_date": "320101",
    "sex": "M",
}


class DirectTransport:
    """APDUs straight to the chip object (the PC/SC path is covered by the reader tests)."""

    def __init__(self, chip: EmrtdChip):
        self.chip = chip

    def transmit(self, apdu: bytes) -> bytes:
        return self.chip.process_apdu(apdu)


@pytest.fixture(scope="module")
def face() -> bytes:
    return (SAMPLE_FACES / "Hans_Blix" / "Hans_Blix_0007.jpg").read_bytes()


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return make_test_pki("DE")


@pytest.fixture(scope="module")
def trust(pki):  # type: ignore[no-untyped-def]
    return pki.trust_store()


@pytest.fixture(scope="module")
def good(pki, face) -> GeneratedPassport:  # type: ignore[no-untyped-def]
    return generate_passport(**PERSON, face_jpeg=face, pki=pki)


def make(pki, face, **kwargs) -> GeneratedPassport:  # type: ignore[no-untyped-def]
    kwargs.setdefault("aa_algorithm", "rsa1024")  # fast key generation
    return generate_passport(**{**PERSON, **kwargs}, face_jpeg=face, pki=pki)


def passive_auth(gp: GeneratedPassport, trust):  # type: ignore[no-untyped-def]
    return verify_sod(gp.sod, gp.dg_bytes(), trust, gp.mrz.issuing_state)


def read_chip(gp: GeneratedPassport, trust):  # type: ignore[no-untyped-def]
    files = gp.chip_files
    key = MRZKey(files.document_number, files.birth_date, files.expiry_date)
    return read_passport(DirectTransport(EmrtdChip(files)), key, trust=trust)


# -- LDS ---------------------------------------------------------------------------------------------------


def test_generated_files_decode_with_the_lds_decoders(good: GeneratedPassport) -> None:
    files = good.files
    assert set(files) == {"EF_COM.bin", "DG1.bin", "DG2.bin", "DG14.bin", "DG15.bin", "EF_SOD.bin",
                          "EF_CardAccess.bin"}  # fmt: skip
    assert decode_com(files["EF_COM.bin"]).data_groups == (1, 2, 14, 15)

    dg1 = decode_dg1(files["DG1.bin"])
    assert dg1.mrz_text == "".join(good.mrz_lines) and dg1.mrz.valid
    assert (dg1.mrz.surname, dg1.mrz.given_names) == ("BLIX", "HANS MARTIN")
    assert (dg1.mrz.document_number, dg1.mrz.birth_date, dg1.mrz.expiry_date) == (
        "C01X00T47",
        "350628",
        "320101",
    )
    assert (dg1.mrz.issuing_state, dg1.mrz.nationality, dg1.mrz.sex) == ("D<<", "D<<", "M")

    (portrait,) = decode_dg2(files["DG2.bin"]).faces
    assert portrait.image_format == "jpeg2000" and portrait.image_data_type == 1
    pixels = portrait.decode()
    assert pixels.shape == (320, 240, 3) and good.face_size == (240, 320)
    assert portrait.header_size_matches(pixels)

    dg14 = decode_dg14(files["DG14.bin"])
    (ca_key,) = dg14.chip_auth_public_keys
    assert ca_key.public_key.algorithm == "ec" and ca_key.public_key.ec_domain.name == "BRAINPOOLP256r1"
    assert dg14.chip_auth_infos[0].cipher == ("AES", 128)
    assert dg14.pace_infos == pace_infos(files["EF_CardAccess.bin"])
    assert dg14.active_auth_info is None  # RSA AA needs none
    aa_key = decode_dg15(files["DG15.bin"])
    assert aa_key.algorithm == "rsa" and aa_key.bits == 2048

    chip = good.chip_files
    assert chip.data_groups == [1, 2, 14, 15] and chip.card_access == files["EF_CardAccess.bin"]
    assert (chip.document_number, chip.birth_date, chip.expiry_date) == ("C01X00T47", "350628", "320101")
    assert all(chip.files[FID_DG[n]] == files[f"DG{n}.bin"] for n in (1, 2, 14, 15))


def test_options_shape_the_document(pki, face) -> None:  # type: ignore[no-untyped-def]
    gp = make(pki, face, with_ca=False, with_aa=False, pace=False, dg2_format="jpeg", portrait_size=None)
    assert set(gp.files) == {"EF_COM.bin", "DG1.bin", "DG2.bin", "EF_SOD.bin"}
    assert gp.chip_files.ca_private_key is None and gp.chip_files.aa_private_key is None
    assert FID_CARD_ACCESS not in gp.chip_files.files and gp.chip_files.pace_oid is None
    (portrait,) = decode_dg2(gp.files["DG2.bin"]).faces
    assert portrait.image_format == "jpeg" and portrait.decode().shape == (250, 250, 3)

    ecdsa_aa = make(pki, face, with_ca=False, aa_algorithm="ecdsa-brainpoolP256r1")
    info = decode_dg14(ecdsa_aa.files["DG14.bin"]).active_auth_info
    assert info is not None and info.hash_algorithm == "sha256"
    assert decode_dg15(ecdsa_aa.files["DG15.bin"]).algorithm == "ec"


def test_face_given_as_an_array(pki, face) -> None:  # type: ignore[no-untyped-def]
    pixels = np.asarray(Image.open(io.BytesIO(face)).convert("RGB"))
    gp = generate_passport(**PERSON, face_jpeg=pixels, pki=pki, with_aa=False, portrait_size=(300, 400))
    assert decode_dg2(gp.files["DG2.bin"]).faces[0].decode().shape == (400, 300, 3)


# -- passive authentication --------------------------------------------------------------------------------


def test_good_passport_passes_passive_authentication(good: GeneratedPassport, trust) -> None:  # type: ignore[no-untyped-def]
    pa = passive_auth(good, trust)
    assert pa.valid and not pa.errors
    assert pa.sod_signature_valid and pa.chain_valid and pa.issuer_matches and pa.dg_hashes_valid
    assert pa.dsc_revoked is False and pa.hash_algorithm == "sha256" and pa.signer_country == "DE"
    assert {n: c.status for n, c in pa.dg_checks.items()} == {
        1: "valid",
        2: "valid",
        14: "valid",
        15: "valid",
    }


def test_default_issuer_gets_a_matching_test_pki(face) -> None:  # type: ignore[no-untyped-def]
    gp = generate_passport(
        **{**PERSON, "issuing_state": "UTO", "nationality": "UTO"}, face_jpeg=face, with_aa=False
    )
    assert gp.pki.country == "UT" and gp.signer is gp.pki.dsc
    pa = verify_sod(gp.sod, gp.dg_bytes(), gp.pki.trust_store())
    assert pa.valid and pa.signer_country == "UT"


@pytest.mark.parametrize("digest", ["sha1", "sha384", "sha512"])
def test_other_digests(pki, face, trust, digest: str) -> None:  # type: ignore[no-untyped-def]
    pa = passive_auth(make(pki, face, digest=digest, with_ca=False), trust)
    assert pa.valid and pa.hash_algorithm == digest


@pytest.mark.parametrize("dsc_key", ["ec-brainpoolP256r1", "rsa2048"])
def test_other_document_signer_keys(face, dsc_key: str) -> None:  # type: ignore[no-untyped-def]
    other = make_test_pki("DE", dsc_key=dsc_key)
    pa = passive_auth(make(other, face, with_ca=False), other.trust_store())
    assert pa.valid and not pa.errors


def test_revoked_signer_is_reported(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    pa = passive_auth(make(pki, face, signer="revoked"), trust)
    assert pa.sod_signature_valid and pa.dg_hashes_valid
    assert pa.dsc_revoked is True and not pa.valid
    assert "document signer certificate is revoked" in pa.errors


def test_unknown_signer_has_no_csca(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    pa = passive_auth(make(pki, face, signer="unknown"), trust)
    assert pa.sod_signature_valid and pa.dg_hashes_valid
    assert not pa.chain_valid and "CSCA not found" in pa.chain_detail and not pa.valid


def test_tampered_dg1_is_named(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    gp = make(pki, face, tamper={1})
    assert gp.tampered == {1}
    mrz = decode_dg1(gp.files["DG1.bin"]).mrz
    assert mrz.valid and mrz.surname != "BLIX"  # still a well-formed MRZ, with another name
    pa = passive_auth(gp, trust)
    assert pa.sod_signature_valid and pa.chain_valid and not pa.dg_hashes_valid and not pa.valid
    assert pa.dg_checks[1].status == "mismatch" and pa.dg_checks[2].status == "valid"
    assert "DG1 hash does not match EF.SOD" in pa.errors


def test_tampered_dg2_still_decodes(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    gp = make(pki, face, tamper={2}, with_ca=False)
    assert decode_dg2(gp.files["DG2.bin"]).faces[0].decode().shape == (320, 240, 3)
    pa = passive_auth(gp, trust)
    assert [n for n, c in pa.dg_checks.items() if c.status == "mismatch"] == [2]


# -- DG2 size ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dg2_format", "target"), [("jpeg2000", 20_000), ("jpeg2000", 8_000), ("jpeg", 12_000)]
)
def test_target_dg2_size_is_honoured(pki, face, dg2_format: str, target: int) -> None:  # type: ignore[no-untyped-def]
    gp = make(pki, face, dg2_format=dg2_format, target_dg2_size=target, with_ca=False, with_aa=False)
    size = len(gp.files["DG2.bin"])
    assert abs(size - target) <= 0.1 * target
    assert decode_dg2(gp.files["DG2.bin"]).faces[0].image_format == dg2_format


def test_unreachable_dg2_size_is_an_error(pki, face) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GeneratorError, match="cannot make"):
        make(pki, face, target_dg2_size=3_000_000, with_ca=False, with_aa=False)
    with pytest.raises(GeneratorError, match="cannot make"):
        make(pki, face, dg2_format="jpeg", target_dg2_size=800, with_ca=False, with_aa=False)


# -- chip keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("aa_algorithm", ["rsa1024", "ecdsa-p256"])
def test_aa_key_on_the_chip_matches_dg15(pki, face, aa_algorithm: str) -> None:  # type: ignore[no-untyped-def]
    gp = make(pki, face, aa_algorithm=aa_algorithm)
    challenge = os.urandom(8)
    signature = emrtd_auth.aa_sign(gp.chip_files.aa_private_key, challenge)
    info = decode_dg14(gp.files["DG14.bin"]).active_auth_info
    ok, detail = verify_aa_signature(decode_dg15(gp.files["DG15.bin"]), challenge, signature, info)
    assert ok, detail


def test_ca_key_on_the_chip_matches_dg14(good: GeneratedPassport) -> None:
    chip_key = emrtd_auth.load_private_key(good.chip_files.ca_private_key)
    (published,) = decode_dg14(good.files["DG14.bin"]).chip_auth_public_keys
    assert chip_key.public.ec_point == published.public_key.ec_point


def test_substituted_key_passes_aa_but_not_passive_auth(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    result = read_chip(make(pki, face, tamper={15}, with_ca=False), trust)
    assert result.active_auth.performed and result.active_auth.valid
    assert not result.passive_auth.valid and result.passive_auth.dg_checks[15].status == "mismatch"


# -- whole reads from the simulated chip -------------------------------------------------------------------


def test_chip_read_with_pace_ca_and_passive_auth(good: GeneratedPassport, trust) -> None:  # type: ignore[no-untyped-def]
    result = read_chip(good, trust)
    assert result.access == "PACE" and not result.errors and not result.warnings
    assert result.passive_auth.valid
    assert result.chip_auth.performed and result.chip_auth.valid
    assert result.files["DG2"] == good.files["DG2.bin"] and result.face.format == "JPEG2000"


def test_bac_chip_read_with_active_auth(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    result = read_chip(make(pki, face, pace=False, with_ca=False), trust)
    assert result.access == "BAC" and not result.errors
    assert result.passive_auth.valid and result.active_auth.performed and result.active_auth.valid


def test_ecdsa_active_auth_when_dg14_offers_no_chip_authentication(pki, face, trust) -> None:  # type: ignore[no-untyped-def]
    # DG14 then holds only the ActiveAuthenticationInfo naming the ECDSA hash: the reader must fall back to AA.
    passport = make(pki, face, with_ca=False, aa_algorithm="ecdsa-p256")
    assert "DG14.bin" in passport.files
    result = read_chip(passport, trust)
    assert not result.chip_auth.performed
    assert result.active_auth.performed and result.active_auth.valid, result.active_auth
    assert not result.clone_suspected


# -- files, people, bad input ------------------------------------------------------------------------------


def test_written_folder_loads_as_the_same_chip(good: GeneratedPassport, tmp_path: Path) -> None:
    folder = good.write(tmp_path / "doc")
    loaded = load_chip_files(folder)
    assert loaded.files == good.chip_files.files and loaded.mrz == good.chip_files.mrz
    assert loaded.aa_private_key == good.private_keys["DG15_sk.pkcs8"]
    assert loaded.ca_private_key == good.private_keys["DG14_sk.pkcs8"]
    no_face = good.write(tmp_path / "no_face", include_face=False, include_keys=False)
    assert sorted(p.name for p in no_face.iterdir()) == sorted(set(good.files) - {"DG2.bin"})


def test_passport_for_sample_person_is_deterministic(pki) -> None:  # type: ignore[no-untyped-def]
    person = SAMPLE_FACES / "Tony_Blair"
    a = passport_for_lfw_person(person, pki=pki, rng_seed=7, aa_algorithm="rsa1024", with_ca=False)
    b = passport_for_lfw_person(person / "Tony_Blair_0018.jpg", pki=pki, rng_seed=7, with_aa=False)
    c = passport_for_lfw_person(person, pki=pki, rng_seed=8, with_aa=False, with_ca=False)
    assert a.mrz_lines == b.mrz_lines and a.mrz_lines != c.mrz_lines
    assert (a.mrz.surname, a.mrz.given_names) == ("BLAIR", "TONY") and a.mrz.valid
    assert a.files["DG2.bin"] == b.files["DG2.bin"]  # the folder's first image


def test_passports_for_lfw_people(pki, trust) -> None:  # type: ignore[no-untyped-def]
    images = shared_data("lfw", "images")
    people = [images / name for name in ("Abdel_Madi_Shabneh", "Abdullah", "Colin_Powell")]
    for seed, person in enumerate(people):
        if not person.is_dir():
            pytest.skip(f"{person} is not in the shared LFW copy")
        gp = passport_for_lfw_person(
            person,
            pki=pki,
            rng_seed=seed,
            issuing_state="D",
            nationality="D",
            aa_algorithm="rsa1024",
            target_dg2_size=20_000,
        )
        assert gp.mrz.valid and gp.mrz.surname == person.name.split("_")[-1].upper()
        assert abs(len(gp.files["DG2.bin"]) - 20_000) <= 2_000
        assert passive_auth(gp, trust).valid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"document_number": "C01X00T4789"}, "MRZ"),
        ({"birth_date": "1935-06-28"}, "MRZ"),
        ({"face_jpeg": b"not an image"}, "cannot be decoded"),
        ({"face_jpeg": np.zeros((4, 4, 3), np.uint8)}, "out of range"),
        ({"tamper": {3}}, "DG3"),
        ({"signer": "mallory"}, "signer"),
        ({"dg2_format": "png"}, "dg2_format"),
    ],
)
def test_bad_input_is_a_generator_error(pki, face, change: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    kwargs = {**PERSON, "face_jpeg": face, "pki": pki, "with_aa": False, "with_ca": False, **change}
    with pytest.raises(GeneratorError, match=message):
        generate_passport(**kwargs)
