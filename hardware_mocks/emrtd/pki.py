"""A test PKI for generated passports: CSCA -> document signers, with a CRL.

It mirrors a country's real set-up closely enough for passive authentication to be exercised end to end:
a self-signed CSCA (keyCertSign, cRLSign), document signer certificates (digitalSignature, the ICAO
DocumentSigner extended key usage is optional in practice and omitted here), one DSC revoked on the
CSCA's CRL, and an "unknown" DSC issued by a CSCA that no trust store holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Signer:
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class TestPKI:
    country: str  # ISO 3166-1 alpha-2, as in the certificates' C attribute
    csca: Signer
    dsc: Signer
    revoked_dsc: Signer
    unknown_dsc: Signer  # issued by a CSCA outside the trust store
    crl: x509.CertificateRevocationList
    extra: dict[str, Signer] = field(default_factory=dict)

    def write_trust_store(self, folder: Path) -> Path:
        """Write the CSCA certificate and its CRL (what an inspection system's trust store holds)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.country}_CSCA.cer").write_bytes(self.csca.der)
        (folder / f"{self.country}_CSCA.crl").write_bytes(self.crl.public_bytes(serialization.Encoding.DER))
        return folder

    def trust_store(self) -> Any:
        """A :class:`passport.pki.TrustStore` holding this PKI's CSCA and CRL, built in memory."""
        from passport.pki import TrustStore

        trust = TrustStore()
        trust.add_certificate(self.csca.der)
        trust.add_crl(self.crl.public_bytes(serialization.Encoding.DER))
        return trust


# Key types a document signer can have: the curves and RSA size seen on issued documents.
DSC_KEY_TYPES = ("ec-p256", "ec-brainpoolP256r1", "rsa2048")


def _name(country: str, cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "egate test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _key(key_type: str = "ec-p256") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-brainpoolP256r1":
        return ec.generate_private_key(ec.BrainpoolP256R1())
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown document signer key type {key_type!r}; known: {', '.join(DSC_KEY_TYPES)}")


def _csca(country: str, cn: str) -> Signer:
    key = _key("ec-p256")
    name = _name(country, cn)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=365))
        .not_valid_after(_NOW + dt.timedelta(days=365 * 15))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return Signer(cert, key)


def _dsc(issuer: Signer, country: str, cn: str, key_type: str = "ec-p256") -> Signer:
    key = _key(key_type)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(country, cn))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=30))
        .not_valid_after(_NOW + dt.timedelta(days=365 * 11))
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer.private_key, hashes.SHA256())
    )
    return Signer(cert, key)


def make_test_pki(country: str = "UT", *, dsc_key: str = "ec-p256") -> TestPKI:
    """A fresh PKI (keys are generated per call: nothing secret is stored in the repository).

    The CSCAs have P-256 keys; ``dsc_key`` chooses the document signers' keys (one of DSC_KEY_TYPES).
    """
    if dsc_key not in DSC_KEY_TYPES:
        raise ValueError(f"unknown document signer key type {dsc_key!r}; known: {', '.join(DSC_KEY_TYPES)}")
    csca = _csca(country, f"CSCA {country} test")
    dsc = _dsc(csca, country, f"DS {country} test 1", dsc_key)
    revoked = _dsc(csca, country, f"DS {country} test 2 (revoked)", dsc_key)
    rogue_csca = _csca(country, f"CSCA {country} unknown")
    unknown = _dsc(rogue_csca, country, f"DS {country} unknown", dsc_key)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.certificate.subject)
        .last_update(_NOW - dt.timedelta(days=1))
        .next_update(_NOW + dt.timedelta(days=3650))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(revoked.certificate.serial_number)
            .revocation_date(_NOW - dt.timedelta(days=2))
            .build()
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca.private_key.public_key()), critical=False
        )
        .add_extension(x509.CRLNumber(1), critical=False)
        .sign(csca.private_key, hashes.SHA256())
    )
    return TestPKI(country, csca, dsc, revoked, unknown, crl)


# -- CMS signing and master lists ---------------------------------------------------------------------------

CMS_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
              "sha384": hashes.SHA384, "sha512": hashes.SHA512}  # fmt: skip


def sign_attributes(private_key: Any, to_sign: bytes, digest: str) -> tuple[bytes, str]:
    """The CMS signature over DER signed attributes and its algorithm name: ECDSA for an EC key,
    PKCS#1 v1.5 for an RSA key."""
    from cryptography.hazmat.primitives.asymmetric import padding

    hash_cls = CMS_HASHES[digest]
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(to_sign, ec.ECDSA(hash_cls())), f"{digest}_ecdsa"
    return private_key.sign(to_sign, padding.PKCS1v15(), hash_cls()), f"{digest}_rsa"


def sign_cms(
    content_type: str,
    content: bytes,
    signer: Signer,
    digest: str = "sha256",
    signing_time: dt.datetime | None = None,
) -> bytes:
    """DER ContentInfo(SignedData v3) over ``content`` with signed attributes (content type, signing time,
    message digest), signer named by issuer and serial number and its certificate embedded. EC signers
    sign with ECDSA, RSA signers with PKCS#1 v1.5."""
    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509

    hash_cls = CMS_HASHES[digest]
    ctx = hashes.Hash(hash_cls())
    ctx.update(content)
    when = (signing_time or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    signed_attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time(name="utc_time", value=when)]}),
        cms.CMSAttribute({"type": "message_digest", "values": [ctx.finalize()]}),
    ])
    to_sign = signed_attrs.dump()  # a DER SET OF: what the signature covers (RFC 5652 §5.4)
    signature, algorithm = sign_attributes(signer.private_key, to_sign, digest)
    cert = asn1_x509.Certificate.load(signer.der)
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier(
            name="issuer_and_serial_number", value={"issuer": cert.issuer, "serial_number": cert.serial_number}
        ),
        "digest_algorithm": {"algorithm": digest},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": algorithm},
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": digest}],
        "encap_content_info": {"content_type": content_type, "content": content},
        "certificates": [cert],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def master_list_signer(pki: TestPKI) -> Signer:
    """A master list signer certificate issued by the PKI's CSCA (keyUsage digitalSignature)."""
    return _dsc(pki.csca, pki.country, f"Master List Signer {pki.country} test")


def sign_master_list(signer: Signer, cscas: list[x509.Certificate]) -> bytes:
    """A CSCA master list (ICAO Doc 9303-12 §9) holding ``cscas``, signed by ``signer``."""
    from asn1crypto import x509 as asn1_x509

    from passport.pki import OID_MASTER_LIST, CscaMasterList

    certs = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in cscas]
    content = CscaMasterList({"version": 0, "cert_list": certs}).dump()
    return sign_cms(OID_MASTER_LIST, content, signer)
