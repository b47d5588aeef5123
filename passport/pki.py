"""eMRTD PKI: trust store of CSCA certificates (from master lists, certificate files and CRLs) and CMS checks.

A CSCA master list is a CMS SignedData whose content (OID 2.23.136.1.1.2) is
``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``. Its own signature
is verified against the signer certificate it carries, and that signer is looked up among the CSCAs
already trusted, so a list is only as good as the root it was checked against; the result says which.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import algos, cms, core, crl, pem, x509

from passport.errors import LDSError
from passport.lds.public_key import PublicKey, hash_bytes, load_public_key

log = logging.getLogger(__name__)

OID_MASTER_LIST = "2.23.136.1.1.2"
MAX_FILE_BYTES = 16 * 1024 * 1024
CERT_SUFFIXES = {".cer", ".crt", ".der", ".pem"}
CRL_SUFFIXES = {".crl"}
ML_SUFFIXES = {".ml"}


class SetOfCertificates(core.SetOf):
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):
    _fields = [("version", core.Integer), ("cert_list", SetOfCertificates)]


# ---------------------------------------------------------------------------------------------------------
# Signature verification with an algorithm identifier (X.509, CRL and CMS signatures)


def verify_signature(
    key: PublicKey,
    algorithm: algos.SignedDigestAlgorithm,
    data: bytes,
    signature: bytes,
    digest_algorithm: str | None = None,
) -> bool:
    """Verify signature over data; digest_algorithm is the CMS digest when the signature OID lacks one.

    Raises LDSError when the algorithm is unsupported or does not fit the key.
    """
    try:
        sig_algo = algorithm.signature_algo
    except ValueError as exc:
        raise LDSError(f"unsupported signature algorithm: {exc}") from exc
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        hash_name = digest_algorithm
    if sig_algo == "rsassa_pss":
        params = algorithm["parameters"]
        hash_name = params["hash_algorithm"]["algorithm"].native
        mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        salt = params["salt_length"].native
        if key.algorithm != "rsa":
            raise LDSError("RSA-PSS signature with a non-RSA key")
        return key.verify_rsa_pss(signature, data, hash_name, mgf_hash, salt)
    if hash_name is None:
        raise LDSError("signature algorithm does not name a hash")
    if sig_algo == "rsassa_pkcs1v15":
        if key.algorithm != "rsa":
            raise LDSError("RSA signature with a non-RSA key")
        return key.verify_rsa_pkcs1(signature, data, hash_name)
    if sig_algo == "ecdsa":
        if key.algorithm != "ec":
            raise LDSError("ECDSA signature with a non-EC key")
        return key.verify_ecdsa(signature, data, hash_name)
    raise LDSError(f"unsupported signature algorithm {sig_algo}")


def verify_certificate_signature(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when issuer's key verifies cert's signature; LDSError if it cannot be checked at all."""
    key = load_public_key(issuer["tbs_certificate"]["subject_public_key_info"])
    return verify_signature(
        key, cert["signature_algorithm"], cert["tbs_certificate"].dump(), cert["signature_value"].native
    )


def cert_country(cert: x509.Certificate) -> str | None:
    """The subject's country (C=) as written in the certificate."""
    return cert.subject.native.get("country_name")


def cert_valid_at(cert: x509.Certificate, at: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= at <= validity["not_after"].native


def describe(cert: x509.Certificate) -> str:
    return cert.subject.human_friendly


# ---------------------------------------------------------------------------------------------------------
# CMS SignedData


@dataclass
class SignedDataCheck:
    """Outcome of checking a CMS SignedData's single signer."""

    content_type: str
    content: bytes
    signer_cert: x509.Certificate | None
    signature_valid: bool
    digest_algorithm: str | None
    errors: list[str] = field(default_factory=list)


def load_signed_data(der: bytes) -> cms.SignedData:
    """Parse a ContentInfo holding SignedData; LDSError otherwise."""
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise LDSError(f"CMS content is {info['content_type'].native}, not signed data")
        sd = info["content"]
        sd.native  # noqa: B018 - force a full parse so malformed inner structures fail here
        return sd
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise LDSError(f"malformed CMS SignedData: {exc}") from exc


def _encapsulated_content(sd: cms.SignedData) -> tuple[str, bytes]:
    encap = sd["encap_content_info"]
    content = encap["content"]
    if content.native is None:
        raise LDSError("SignedData has no encapsulated content")
    raw = content.contents if isinstance(content, core.ParsableOctetString) else content.native
    if not isinstance(raw, bytes):
        raise LDSError("encapsulated content is not an OCTET STRING")
    return encap["content_type"].dotted, raw


def _signer_certificate(sd: cms.SignedData, signer: cms.SignerInfo, extra: Iterable[x509.Certificate]):
    sid = signer["sid"]
    candidates = (
        [c.chosen for c in sd["certificates"] if c.name == "certificate"] if sd["certificates"] else []
    )
    candidates += list(extra)
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer == ias["issuer"] and cert.serial_number == ias["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def check_signed_data(sd: cms.SignedData, extra_certs: Iterable[x509.Certificate] = ()) -> SignedDataCheck:
    """Verify the (single) signer of a SignedData: message digest attribute and signature."""
    errors: list[str] = []
    try:
        content_type, content = _encapsulated_content(sd)
        if len(sd["signer_infos"]) != 1:
            raise LDSError(f"expected exactly one SignerInfo, found {len(sd['signer_infos'])}")
        signer = sd["signer_infos"][0]
        digest_algo = signer["digest_algorithm"]["algorithm"].native
        cert = _signer_certificate(sd, signer, extra_certs)
        if cert is None:
            return SignedDataCheck(
                content_type, content, None, False, digest_algo, ["signer certificate not found"]
            )
        signed_attrs = signer["signed_attrs"]
        if signed_attrs.native is None or len(signed_attrs) == 0:
            signed_bytes = content
        else:
            attrs = {a["type"].native: a["values"] for a in signed_attrs}
            if attrs.get("content_type") is None or attrs["content_type"][0].dotted != content_type:
                errors.append("signed content-type attribute does not match the encapsulated content")
            md = attrs.get("message_digest")
            if md is None:
                errors.append("signed attributes lack a message digest")
            elif md[0].native != hash_bytes(digest_algo, content):
                errors.append("message digest attribute does not match the content")
            # The signature covers the DER SET OF attributes, i.e. the [0] IMPLICIT tag replaced by SET.
            signed_bytes = b"\x31" + signed_attrs.dump()[1:]
        key = load_public_key(cert["tbs_certificate"]["subject_public_key_info"])
        valid = verify_signature(
            key, signer["signature_algorithm"], signed_bytes, signer["signature"].native, digest_algo
        )
        if not valid:
            errors.append("CMS signature does not verify with the signer certificate")
        return SignedDataCheck(content_type, content, cert, valid and not errors, digest_algo, errors)
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise LDSError(f"malformed SignedData signer: {exc}") from exc


# ---------------------------------------------------------------------------------------------------------
# Trust store


@dataclass(frozen=True)
class MasterListInfo:
    """What loading one master list gave."""

    source: str
    csca_count: int
    signer: str | None
    signature_valid: bool
    signer_trusted: bool | None  # signer issued by a CSCA trusted beforehand (None: no signer certificate)
    signer_issuer: str | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainResult:
    valid: bool
    csca: x509.Certificate | None
    detail: str


class TrustStore:
    """CSCA certificates and CRLs, indexed by subject and subject key identifier."""

    def __init__(self) -> None:
        self._cscas: dict[bytes, x509.Certificate] = {}  # by SHA-256 fingerprint
        self._crls: list[crl.CertificateList] = []
        self.master_lists: list[MasterListInfo] = []

    def __len__(self) -> int:
        return len(self._cscas)

    @property
    def cscas(self) -> list[x509.Certificate]:
        return list(self._cscas.values())

    def add_certificate(self, cert: x509.Certificate | bytes) -> x509.Certificate:
        try:
            if isinstance(cert, bytes):
                if pem.detect(cert):
                    _, _, cert = pem.unarmor(cert)
                cert = x509.Certificate.load(cert, strict=True)
            cert.native  # noqa: B018 - parse fully
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise LDSError(f"malformed certificate: {exc}") from exc
        self._cscas[cert.sha256] = cert
        return cert

    def add_crl(self, data: bytes | crl.CertificateList) -> None:
        try:
            if isinstance(data, bytes):
                if pem.detect(data):
                    _, _, data = pem.unarmor(data)
                data = crl.CertificateList.load(data, strict=True)
            data.native  # noqa: B018
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise LDSError(f"malformed CRL: {exc}") from exc
        self._crls.append(data)

    def load_master_list(self, data: bytes, source: str = "<bytes>") -> MasterListInfo:
        """Add every CSCA of a CMS master list; the list's own signature is checked and reported."""
        sd = load_signed_data(data)
        check = check_signed_data(sd)
        if check.content_type != OID_MASTER_LIST:
            raise LDSError(f"{source}: not a CSCA master list (content type {check.content_type})")
        try:
            ml = CscaMasterList.load(check.content, strict=True)
            certs = list(ml["cert_list"])
            for c in certs:
                c.native  # noqa: B018
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise LDSError(f"{source}: malformed master list content: {exc}") from exc
        signer_trusted: bool | None = None
        signer_issuer: str | None = None
        errors = list(check.errors)
        if check.signer_cert is not None:
            # Anchored only when the signer's issuer was trusted before this list was read; a signer
            # issued by a CSCA inside the list itself is reported but not counted as trusted.
            signer_trusted = False
            anchored = [(c, True) for c in self.find_issuers(check.signer_cert)]
            in_list = [(c, False) for c in certs if c.subject == check.signer_cert.issuer]
            for issuer, trusted_before in anchored + in_list:
                try:
                    ok = verify_certificate_signature(check.signer_cert, issuer)
                except LDSError as exc:
                    errors.append(f"signer certificate: {exc}")
                    continue
                if ok:
                    signer_issuer = describe(issuer)
                    signer_trusted = trusted_before
                    break
            if not signer_trusted:
                errors.append("master list signer is not issued by a CSCA trusted before the list was loaded")
        for c in certs:
            self._cscas[c.sha256] = c
        info = MasterListInfo(
            source,
            len(certs),
            describe(check.signer_cert) if check.signer_cert is not None else None,
            check.signature_valid,
            signer_trusted,
            signer_issuer,
            tuple(errors),
        )
        self.master_lists.append(info)
        log.info("master list %s: %d CSCAs, signature valid %s", source, len(certs), check.signature_valid)
        return info

    def load_path(self, path: str | Path) -> None:
        """Load a file or every file of a folder: .ml master lists, .cer/.crt/.der/.pem certificates, .crl."""
        path = Path(path)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for f in files:
            suffix = f.suffix.lower()
            if suffix not in ML_SUFFIXES | CERT_SUFFIXES | CRL_SUFFIXES:
                continue
            if f.stat().st_size > MAX_FILE_BYTES:
                raise LDSError(f"{f}: larger than {MAX_FILE_BYTES} bytes")
            data = f.read_bytes()
            try:
                if suffix in ML_SUFFIXES:
                    self.load_master_list(data, str(f))
                elif suffix in CRL_SUFFIXES:
                    self.add_crl(data)
                elif pem.detect(data):  # a PEM file may hold a bundle
                    for _, _, block in pem.unarmor(data, multiple=True):
                        self.add_certificate(block)
                else:
                    self.add_certificate(data)
            except LDSError as exc:
                raise LDSError(f"{f}: {exc}") from exc

    def find_csca(self, issuer: x509.Name, key_identifier: bytes | None = None) -> list[x509.Certificate]:
        """CSCAs with subject `issuer` and, when given and present in the CSCA, subject key identifier."""
        found = []
        for csca in self._cscas.values():
            if csca.subject != issuer:
                continue
            if (
                key_identifier is not None
                and csca.key_identifier is not None
                and csca.key_identifier != key_identifier
            ):
                continue
            found.append(csca)
        return found

    def find_issuers(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """CSCAs that may have issued cert: by issuer name and authority key identifier."""
        return self.find_csca(cert.issuer, cert.authority_key_identifier)

    def _crl_verified(self, revocation_list: crl.CertificateList) -> bool:
        """A CRL counts only when a trusted CSCA of its issuer signed it."""
        tbs = revocation_list["tbs_cert_list"]
        aki = None
        for ext in tbs["crl_extensions"] or []:
            if ext["extn_id"].native == "authority_key_identifier":
                aki = ext["extn_value"].parsed["key_identifier"].native
        for csca in self.find_csca(revocation_list.issuer, aki):
            try:
                key = load_public_key(csca["tbs_certificate"]["subject_public_key_info"])
                if verify_signature(
                    key,
                    revocation_list["signature_algorithm"],
                    tbs.dump(),
                    revocation_list["signature"].native,
                ):
                    return True
            except LDSError as exc:
                log.warning("CRL of %s: %s", revocation_list.issuer.human_friendly, exc)
        return False

    def is_revoked(self, cert: x509.Certificate) -> bool | None:
        """True if a verified CRL of cert's issuer lists it, False if one does not, None without such a CRL."""
        relevant = [c for c in self._crls if c.issuer == cert.issuer and self._crl_verified(c)]
        if not relevant:
            return None
        for c in relevant:
            for entry in c["tbs_cert_list"]["revoked_certificates"] or []:
                if entry["user_certificate"].native == cert.serial_number:
                    return True
        return False

    def verify_chain(self, dsc: x509.Certificate, at: datetime | None = None) -> ChainResult:
        """DSC → CSCA: issuer found, signature valid, both within their validity periods at `at`."""
        at = _aware(at or datetime.now(UTC))
        issuers = self.find_issuers(dsc)
        if not issuers:
            return ChainResult(False, None, f"CSCA not found for issuer '{dsc.issuer.human_friendly}'")
        problems = []
        # Several certificates may hold the issuing key (renewals, link certificates): any valid one will do.
        for csca in issuers:
            try:
                if not verify_certificate_signature(dsc, csca):
                    problems.append(f"DSC signature does not verify with CSCA '{describe(csca)}'")
                    continue
            except LDSError as exc:
                problems.append(f"CSCA '{describe(csca)}': {exc}")
                continue
            if not cert_valid_at(dsc, at):
                return ChainResult(False, csca, f"DSC not valid at {at.isoformat()}")
            if not cert_valid_at(csca, at):
                problems.append(f"CSCA '{describe(csca)}' not valid at {at.isoformat()}")
                continue
            return ChainResult(True, csca, f"DSC issued by CSCA '{describe(csca)}'")
        return ChainResult(False, None, "; ".join(problems))


def _aware(at: datetime) -> datetime:
    """Naive datetimes are taken as UTC (certificate times are UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
