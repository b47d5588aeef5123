"""Trust store: the real DE and NL master lists (their own signatures and CSCA counts), certificate and
CRL loading, CSCA look-up and DSC → CSCA chains built in memory (RSA, RSA-PSS, ECDSA with explicit curves)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from conftest import shared_data
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from passport.errors import LDSError
from passport.pki import TrustStore, verify_certificate_signature

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


# --- in-memory PKI helpers (also used by test_passive_auth) ----------------------------------------------

# KeyUsage(digital_signature, content_commitment, key_encipherment, data_encipherment, key_agreement,
#          key_cert_sign, crl_sign, encipher_only, decipher_only)
CA_USAGE = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
DS_USAGE = x509.KeyUsage(True, False, False, False, False, False, False, False, False)


def name(country: str, cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, country), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def make_cert(
    subject: x509.Name,
    key,
    issuer: x509.Name,
    issuer_key,
    *,
    ca: bool,
    not_before: dt.datetime = NOW - dt.timedelta(days=365),
    days: int = 3650,
    serial: int | None = None,
    pss: bool = False,
    key_usage: x509.KeyUsage | None | str = "default",
    basic_ca: bool | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    basic_ca = ca if basic_ca is None else basic_ca
    builder = builder.add_extension(
        x509.BasicConstraints(ca=basic_ca, path_length=0 if basic_ca else None), critical=True
    )
    if key_usage == "default":
        key_usage = CA_USAGE if ca else DS_USAGE
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    kwargs = {}
    if pss:
        kwargs["rsa_padding"] = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    return builder.sign(issuer_key, hashes.SHA256(), **kwargs)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def make_crl(
    issuer: x509.Name, issuer_key, revoked_serials: list[int], next_update: dt.datetime = NOW + dt.timedelta(days=30)
) -> bytes:
    builder = x509.CertificateRevocationListBuilder().issuer_name(issuer)
    builder = builder.last_update(NOW - dt.timedelta(days=1)).next_update(next_update)
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - dt.timedelta(days=1))
            .build()
        )
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class Country:
    """A CSCA and one document signer of a test country."""

    def __init__(self, country: str = "UT", kind: str = "ec", pss: bool = False):
        self.csca_key = (
            ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
        )
        self.csca_name = name(country, f"CSCA {country}")
        self.csca = make_cert(self.csca_name, self.csca_key, self.csca_name, self.csca_key, ca=True, pss=pss)
        self.dsc_key = (
            ec.generate_private_key(ec.BrainpoolP256R1())
            if kind == "ec"
            else rsa.generate_private_key(65537, 2048)
        )
        self.dsc = make_cert(
            name(country, f"DS {country}"),
            self.dsc_key,
            self.csca_name,
            self.csca_key,
            ca=False,
            serial=4711,
            pss=pss,
        )


# --- master lists ----------------------------------------------------------------------------------------


def test_master_lists_load_with_verified_signatures():
    pki = shared_data("pki")
    trust = TrustStore()
    trust.add_certificate((pki / "DE_CSCA07.cer").read_bytes())
    trust.add_certificate((pki / "NL_root.cer").read_bytes())
    de = trust.load_master_list((pki / "DE_masterlist_2024-04-10.ml").read_bytes(), "DE")
    nl = trust.load_master_list((pki / "NL_masterlist.ml").read_bytes(), "NL")
    assert (de.csca_count, nl.csca_count) == (526, 411)
    assert de.signature_valid and nl.signature_valid
    assert "CSCA Master List Signer" in de.signer and "Masterlist Signer NL" in nl.signer
    # NL: the list signer is issued by NL_root.cer, loaded beforehand.
    assert nl.signer_trusted and "CSCA NL" in nl.signer_issuer, nl.errors
    # DE: the 2024-04 list's signer is issued by an earlier csca-germany key (AKI a40a5f...), not by
    # DE_CSCA07 (issued 2024-10); that CSCA is only inside the list itself, so the list is not anchored.
    assert de.signer_trusted is False and "csca-germany" in de.signer_issuer
    assert any("trusted before" in e for e in de.errors)
    # so only the NL list contributes (it holds NL_root and DE_CSCA07 itself)
    assert nl.accepted and not de.accepted and len(trust) == 411


def test_master_list_without_prior_root_is_not_anchored():
    trust = TrustStore()
    info = trust.load_master_list((shared_data("pki") / "NL_masterlist.ml").read_bytes(), "NL")
    assert info.signature_valid
    # the signer's issuer is inside the list itself: reported, but not counted as trusted
    assert info.signer_trusted is False and info.signer_issuer is not None
    assert any("trusted before" in e for e in info.errors)


def test_load_path_reads_a_folder():
    trust = TrustStore()
    trust.load_path(shared_data("pki"))  # certificates first: NL_root.cer anchors the NL list
    assert len(trust.master_lists) == 2 and len(trust) == 411
    assert [m.accepted for m in trust.master_lists] == [False, True]  # DE (not anchored), NL
    csca07 = asn1_x509.Certificate.load((shared_data("pki") / "DE_CSCA07.cer").read_bytes())
    assert any(c.sha256 == csca07.sha256 for c in trust.cscas)


def test_tampered_master_list_signature_is_reported():
    raw = bytearray((shared_data("pki") / "NL_masterlist.ml").read_bytes())
    raw[-10] ^= 0x01  # inside the signature value
    info = TrustStore().load_master_list(bytes(raw), "NL")
    assert not info.signature_valid


def test_garbage_is_a_typed_error(tmp_path: Path):
    with pytest.raises(LDSError):
        TrustStore().load_master_list(b"\x30\x03\x02\x01\x00")
    with pytest.raises(LDSError):
        TrustStore().add_certificate(b"not a certificate")
    bad = tmp_path / "bad.cer"
    bad.write_bytes(b"\x30\x82\xff\xff")
    with pytest.raises(LDSError, match="bad.cer"):
        TrustStore().load_path(bad)
    with pytest.raises(LDSError):
        TrustStore().load_master_list(der(Country().csca))  # a certificate is not a CMS structure


# --- chains and CRLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, pss", [("ec", False), ("rsa", False), ("rsa", True)])
def test_chain_validates_and_checks_validity(kind, pss):
    c = Country(kind=kind, pss=pss)
    trust = TrustStore()
    trust.add_certificate(der(c.csca))
    dsc = asn1_x509.Certificate.load(der(c.dsc))
    result = trust.verify_chain(dsc, NOW)
    assert result.valid, result.detail
    assert not trust.verify_chain(dsc, NOW + dt.timedelta(days=4000)).valid
    assert "not valid at" in trust.verify_chain(dsc, NOW + dt.timedelta(days=4000)).detail


def test_chain_reports_missing_csca_and_wrong_key():
    c, other = Country(), Country()
    trust = TrustStore()
    dsc = asn1_x509.Certificate.load(der(c.dsc))
    assert trust.verify_chain(dsc, NOW).detail.startswith("CSCA not found")
    # a CSCA with the same name but another key: found by name, refused by key identifier or signature
    impostor = make_cert(c.csca_name, other.csca_key, c.csca_name, other.csca_key, ca=True)
    trust.add_certificate(der(impostor))
    result = trust.verify_chain(dsc, NOW)
    assert not result.valid


def test_crl_marks_revoked_dsc():
    c = Country()
    trust = TrustStore()
    trust.add_certificate(der(c.csca))
    dsc = asn1_x509.Certificate.load(der(c.dsc))
    assert trust.is_revoked(dsc, NOW) is None  # no CRL: unknown
    trust.add_crl(make_crl(c.csca_name, c.csca_key, [1234]))
    assert trust.is_revoked(dsc, NOW) is False
    trust.add_crl(make_crl(c.csca_name, c.csca_key, [4711]))
    assert trust.is_revoked(dsc, NOW) is True


def test_certificate_signature_with_explicit_curve_issuer():
    """An issuer key with EXPLICIT brainpool parameters (which `cryptography` refuses to load)."""
    from asn1crypto import keys

    from passport.lds.public_key import load_public_key

    c = Country()
    # Re-encode the CSCA's P-256 key with explicit parameters and verify the DSC with it.
    csca = asn1_x509.Certificate.load(der(c.csca))
    named = load_public_key(csca["tbs_certificate"]["subject_public_key_info"].dump())
    explicit = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters("specified", named.ec_domain.to_specified()),
            },
            "public_key": named.ec_point,
        }
    )
    key = load_public_key(explicit.dump())
    assert key.ec_domain == named.ec_domain
    tbs = csca["tbs_certificate"].copy()
    tbs["subject_public_key_info"] = explicit
    csca_explicit = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": csca["signature_algorithm"],
            "signature_value": csca["signature_value"],
        }
    )
    dsc = asn1_x509.Certificate.load(der(c.dsc))
    assert verify_certificate_signature(dsc, csca_explicit)


def test_crl_signed_by_someone_else_is_ignored():
    c, other = Country(), Country()
    trust = TrustStore()
    trust.add_certificate(der(c.csca))
    trust.add_crl(make_crl(c.csca_name, other.csca_key, [4711]))  # right name, wrong key
    assert trust.is_revoked(asn1_x509.Certificate.load(der(c.dsc)), NOW) is None


def test_find_csca_and_pem_bundles(tmp_path: Path):
    a, b = Country("UT"), Country("XX")
    bundle = tmp_path / "cscas.pem"
    bundle.write_bytes(b"".join(x.csca.public_bytes(serialization.Encoding.PEM) for x in (a, b)))
    trust = TrustStore()
    trust.load_path(tmp_path)
    assert len(trust) == 2
    subject = asn1_x509.Certificate.load(der(a.csca)).subject
    ski = asn1_x509.Certificate.load(der(a.csca)).key_identifier
    assert len(trust.find_csca(subject, ski)) == 1
    assert trust.find_csca(subject, b"\x00" * 20) == []


def test_ecdsa_on_explicit_parameters_no_library_knows(monkeypatch):
    """Explicit domain parameters that match no named curve still verify (the curve is built from them)."""
    import hashlib

    import ecdsa

    from hardware_mocks.emrtd.auth import load_private_key

    key = load_private_key(shared_data("emrtd", "tr03105", "DG14_sk.pkcs8").read_bytes())
    monkeypatch.setattr(ecdsa.curves, "curves", [])  # as if brainpoolP224r1 were unknown
    curve = key.public.ec_domain.ecdsa_curve()
    assert curve.name == "explicit-224"
    signer = ecdsa.SigningKey.from_secret_exponent(key.private, curve=curve)
    signature = signer.sign_digest(
        hashlib.sha256(b"data").digest(), sigencode=ecdsa.util.sigencode_string, allow_truncate=True
    )
    assert key.public.verify_ecdsa(signature, b"data", "sha256", plain=True)
    assert not key.public.verify_ecdsa(signature, b"other", "sha256", plain=True)
