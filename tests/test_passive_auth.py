"""Passive authentication on the real test documents (EF.SOD signatures: ECDSA on explicit brainpoolP224r1,
RSA PKCS#1 v1.5, RSA-PSS; DG hashes over the files as read) and on documents signed in memory by a test
CSCA, so a complete valid chain, a revoked DSC, an expired DSC and a wrong issuing state are covered."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from conftest import shared_data
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from test_pki import NOW, Country, der, make_crl

from passport.lds.sod import OID_LDS_SECURITY_OBJECT, decode_sod, encode_lds_security_object, encode_sod
from passport.passive_auth import mrz_state_to_alpha2, verify_sod
from passport.pki import TrustStore

DOCS = {
    # name: (MRZ issuing state, DSC issuer as named in "CSCA not found")
    "bsi2008": ("D<<", "Common Name: CSCA BDR TEST 19.09.07"),
    "loes2006": ("NLD", "Common Name: CSCA Test, Organizational Unit: CSCA Test, Organization: Sdu Identification bv, Country: NL"),
    "tr03105": ("D<<", "Common Name: HJP PB CS, Organizational Unit: Country Signer, Organization: HJP Consulting, Country: DE"),
}  # fmt: skip


def document(name: str) -> tuple[bytes, dict[int, bytes]]:
    folder = shared_data("emrtd", name)
    dgs = {int(f.stem[2:]): f.read_bytes() for f in folder.glob("DG*.bin") if f.stem[2:].isdigit()}
    return (folder / "EF_SOD.bin").read_bytes(), dgs


@pytest.fixture(scope="module")
def real_trust() -> TrustStore:
    trust = TrustStore()
    trust.load_path(shared_data("pki"))
    return trust


# --- the real documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOCS))
def test_real_document_sod_signature_and_hashes(name, real_trust):
    sod_bytes, dgs = document(name)
    sod = decode_sod(sod_bytes)
    covered = {n: b for n, b in dgs.items() if n in sod.dg_hashes}
    result = verify_sod(sod_bytes, covered, real_trust, DOCS[name][0], NOW)
    assert result.sod_signature_valid, result.errors
    assert result.dg_hashes_valid
    assert all(c.status == "valid" for c in result.dg_checks.values())
    assert result.issuer_matches is True  # D<< ↔ DE, NLD ↔ NL
    # Test documents are signed by test CSCAs, which are in neither master list nor DE_CSCA07.cer
    assert not result.chain_valid
    assert result.chain_detail == f"CSCA not found for issuer '{DOCS[name][1]}'"
    assert not result.valid


def test_signature_algorithms_of_the_real_documents():
    algos = {}
    for name in DOCS:
        sod = decode_sod(document(name)[0])
        si = sod.signed_data["signer_infos"][0]
        cert = sod.certificates[0]
        params = cert["tbs_certificate"]["subject_public_key_info"]["algorithm"]["parameters"]
        algos[name] = (si["signature_algorithm"]["algorithm"].native, getattr(params, "name", None))
    assert algos["bsi2008"] == ("sha1_ecdsa", "specified")  # brainpoolP224r1, explicit: verified via ecdsa
    assert algos["loes2006"][0] == "sha256_rsa"
    assert algos["tr03105"][0] == "rsassa_pss"


@pytest.mark.parametrize("name", list(DOCS))
def test_flipped_byte_in_a_data_group_is_detected(name, real_trust):
    sod_bytes, dgs = document(name)
    dgs = dict(dgs)
    raw = bytearray(dgs[1])
    raw[20] ^= 0x01
    dgs[1] = bytes(raw)
    result = verify_sod(sod_bytes, dgs, real_trust, None, NOW)
    assert result.dg_checks[1].status == "mismatch"
    assert not result.dg_hashes_valid
    assert "DG1 hash does not match EF.SOD" in result.errors
    assert result.sod_signature_valid  # the SOD itself is untouched


def test_uncovered_and_unread_groups_are_reported(real_trust):
    sod_bytes, dgs = document("bsi2008")
    result = verify_sod(sod_bytes, {1: dgs[1], 11: dgs[11]}, real_trust, "D<<", NOW)
    assert result.dg_checks[2].status == "not read"
    assert result.dg_checks[11].status == "not in SOD"  # bsi2008's DG11 comes from another test set
    assert not result.dg_hashes_valid


@pytest.mark.parametrize("name", list(DOCS))
def test_flipped_byte_in_the_signature_or_signed_attributes_is_detected(name, real_trust):
    sod_bytes, dgs = document(name)
    signer = decode_sod(sod_bytes).signed_data["signer_infos"][0]
    for part in (signer["signature"].contents, signer["signed_attrs"].contents):
        raw = bytearray(sod_bytes)
        pos = raw.index(part) + len(part) - 3
        raw[pos] ^= 0x01
        result = verify_sod(bytes(raw), dgs, real_trust, None, NOW)
        assert not result.sod_signature_valid


def test_mrz_issuer_mapping():
    assert mrz_state_to_alpha2("D<<") == "DE"
    assert mrz_state_to_alpha2("NLD") == "NL"
    assert mrz_state_to_alpha2("GBD") == "GB"
    assert mrz_state_to_alpha2("XYZ") is None


def test_malformed_sod_is_reported_not_raised(real_trust):
    result = verify_sod(b"\x77\x03\x30\x01\x00", {}, real_trust)
    assert not result.sod_signature_valid and result.errors


# --- documents signed in memory --------------------------------------------------------------------------


def sign_sod(
    country: Country, dgs: dict[int, bytes], *, pss: bool = False, hash_name: str = "sha256"
) -> bytes:
    """EF.SOD over dgs: LDSSecurityObject in a CMS SignedData signed by the country's DSC."""
    content = encode_lds_security_object(
        hash_name, {n: hashlib.new(hash_name, b).digest() for n, b in dgs.items()}
    )
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [OID_LDS_SECURITY_OBJECT]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.new(hash_name, content).digest()]}
            ),
        ]
    )
    to_sign = attrs.dump()
    key = country.dsc_key
    h = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}[hash_name]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(to_sign, ec.ECDSA(h))
        sig_alg = {"algorithm": f"{hash_name}_ecdsa"}
    elif pss:
        signature = key.sign(to_sign, padding.PSS(padding.MGF1(h), 32), h)
        sig_alg = {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": hash_name},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
                "salt_length": 32,
            },
        }
    else:
        signature = key.sign(to_sign, padding.PKCS1v15(), h)
        sig_alg = {"algorithm": "rsassa_pkcs1v15"}
    cert = asn1_x509.Certificate.load(der(country.dsc))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                "issuer_and_serial_number", {"issuer": cert.issuer, "serial_number": cert.serial_number}
            ),
            "digest_algorithm": {"algorithm": hash_name},
            "signed_attrs": attrs,
            "signature_algorithm": sig_alg,
            "signature": signature,
        }
    )
    sd = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_name}],
            "encap_content_info": {
                "content_type": OID_LDS_SECURITY_OBJECT,
                "content": core.ParsableOctetString(content),
            },
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    return encode_sod(cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump())


@pytest.fixture(scope="module")
def dgs() -> dict[int, bytes]:
    return {n: b for n, b in document("tr03105")[1].items() if n in (1, 2, 14)}


@pytest.mark.parametrize("kind, pss", [("ec", False), ("rsa", False), ("rsa", True)])
def test_complete_passive_authentication(kind, pss, dgs):
    ut = Country("DE", kind=kind, pss=pss)
    trust = TrustStore()
    trust.add_certificate(der(ut.csca))
    trust.add_crl(make_crl(ut.csca_name, ut.csca_key, [99]))
    result = verify_sod(sign_sod(ut, dgs, pss=pss), dgs, trust, "D<<", NOW)
    assert result.valid, result.errors
    assert result.chain_valid and result.signer_country == "DE" and result.issuer_matches
    assert result.dsc_revoked is False and result.errors == []


def test_revoked_expired_and_foreign_signers(dgs):
    ut = Country("DE")
    trust = TrustStore()
    trust.add_certificate(der(ut.csca))
    sod = sign_sod(ut, dgs)
    later = NOW + dt.timedelta(days=4000)
    expired = verify_sod(sod, dgs, trust, "D<<", later)
    assert not expired.chain_valid and "not valid at" in expired.chain_detail
    wrong_state = verify_sod(sod, dgs, trust, "NLD", NOW)
    assert wrong_state.issuer_matches is False and not wrong_state.valid
    trust.add_crl(make_crl(ut.csca_name, ut.csca_key, [4711]))
    revoked = verify_sod(sod, dgs, trust, "D<<", NOW)
    assert revoked.dsc_revoked is True and not revoked.valid
    assert "document signer certificate is revoked" in revoked.errors


def test_sod_signed_by_another_key_fails(dgs):
    ut, other = Country("DE"), Country("DE")
    trust = TrustStore()
    trust.add_certificate(der(ut.csca))
    ut.dsc_key = other.dsc_key  # the certificate says one key, the signature comes from another
    result = verify_sod(sign_sod(ut, dgs), dgs, trust, "D<<", NOW)
    assert not result.sod_signature_valid and not result.valid
