"""CMS SignedData (RFC 5652) as eMRTDs use it: EF.SOD, EF.CardSecurity, CSCA master lists.

One signer; its certificate is found the way real documents name it: issuerAndSerialNumber (also when the
issuer's name is encoded differently from the certificate's: attribute order or string types differ),
subjectKeyIdentifier, or, failing both, by trying the first certificates of the SignedData on the signature.
The candidates named are the certificates in the SignedData and those supplied by the caller (a trust
store's document signers). How the signer was found is reported as a quirk code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, core, x509

from passport.asn1_guard import parse_guarded, scan_encoding
from passport.errors import LDSError
from passport.lds.public_key import hash_bytes, load_public_key
from passport.signature import check_hash, verify_signature

# Quirk codes: how a SignerInfo named its certificate when not by an exact issuer and serial number.
QUIRK_SIGNER_NAME_ENCODING = "signer_issuer_name_encoded_differently"
QUIRK_SIGNER_BY_SKI = "signer_by_subject_key_identifier"
QUIRK_SIGNER_BY_SIGNATURE = "signer_found_by_signature"
QUIRK_SIGNER_OUTSIDE = "signer_certificate_not_in_signed_data"
QUIRK_INDEFINITE_LENGTH = "ber_indefinite_length"
MAX_TRIED = 4  # certificates tried on the signature when the SignerInfo names none of them


@dataclass
class SignedDataCheck:
    """Outcome of checking a CMS SignedData's single signer."""

    content_type: str
    content: bytes
    signer_cert: x509.Certificate | None
    signature_valid: bool
    digest_algorithm: str | None
    errors: list[str] = field(default_factory=list)
    signing_time: datetime | None = None
    quirks: list[str] = field(default_factory=list)


def load_signed_data(der: bytes) -> cms.SignedData:
    """Parse a ContentInfo holding SignedData (DER or BER); LDSError otherwise, nesting bounded first."""
    scan_encoding(der)

    def parse() -> cms.SignedData:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise LDSError(f"CMS content is {info['content_type'].native}, not signed data")
        sd = info["content"]
        if not isinstance(sd, cms.SignedData):
            raise LDSError("signed-data ContentInfo without content")
        sd.native  # noqa: B018 - force a full parse so malformed inner structures fail here
        return sd

    return parse_guarded(parse, "CMS SignedData")


def encapsulated_content(sd: cms.SignedData) -> tuple[str, bytes]:
    """(eContentType OID, eContent octets); the octets of a BER constructed OCTET STRING are joined."""
    encap = sd["encap_content_info"]
    content = encap["content"]
    if not isinstance(content, core.OctetString | core.ParsableOctetString) or content.native is None:
        raise LDSError("SignedData has no encapsulated content")
    return encap["content_type"].dotted, bytes(content)


def embedded_certificates(sd: cms.SignedData) -> list[x509.Certificate]:
    certs = sd["certificates"]
    return [c.chosen for c in certs if c.name == "certificate"] if certs else []


def canonical_name(name: x509.Name) -> tuple[tuple[str, str], ...]:
    """A name's attributes as (type OID, RFC 4518-prepared value), ignoring order and string types."""
    return tuple(sorted((atv["type"].dotted, atv.prepped_value) for rdn in name.chosen for atv in rdn))


def _named_signer(sid: cms.SignerIdentifier, candidates: list[x509.Certificate]):
    """(certificate, quirk or None) the SignerIdentifier names, or (None, None)."""
    if sid.name == "subject_key_identifier":
        for cert in candidates:
            if cert.key_identifier == sid.chosen.native:
                return cert, QUIRK_SIGNER_BY_SKI
        return None, None
    issuer, serial = sid.chosen["issuer"], sid.chosen["serial_number"].native
    for cert in candidates:
        if cert.serial_number == serial and cert.issuer == issuer:
            return cert, None
    for cert in candidates:
        if cert.serial_number == serial and canonical_name(cert.issuer) == canonical_name(issuer):
            return cert, QUIRK_SIGNER_NAME_ENCODING
    return None, None


def _signed_bytes(signer: cms.SignerInfo, content_type: str, content: bytes, digest: str) -> tuple[bytes, list]:
    """What the signature covers, with the problems of the signed attributes."""
    signed_attrs = signer["signed_attrs"]
    if signed_attrs.native is None or len(signed_attrs) == 0:
        return content, []
    errors = []
    attrs = {a["type"].native: a["values"] for a in signed_attrs}
    if attrs.get("content_type") is None or attrs["content_type"][0].dotted != content_type:
        errors.append("signed content-type attribute does not match the encapsulated content")
    md = attrs.get("message_digest")
    if md is None:
        errors.append("signed attributes lack a message digest")
    elif md[0].native != hash_bytes(digest, content):
        errors.append("message digest attribute does not match the content")
    # The signature covers the DER SET OF attributes: the [0] IMPLICIT tag replaced by SET. A BER
    # (indefinite-length) encoding is re-encoded as DER.
    encoded = signed_attrs.dump()
    if encoded[1] == 0x80:
        encoded = cms.CMSAttributes([a.copy() for a in signed_attrs]).dump(force=True)
    return b"\x31" + encoded[1:], errors


def signing_time(signer: cms.SignerInfo) -> datetime | None:
    """The signingTime signed attribute, when present."""
    for attr in signer["signed_attrs"] or []:
        if attr["type"].native == "signing_time" and len(attr["values"]):
            return attr["values"][0].native
    return None


def _verifies(cert: x509.Certificate, signer: cms.SignerInfo, signed: bytes, digest: str) -> bool:
    key = load_public_key(cert["tbs_certificate"]["subject_public_key_info"])
    return verify_signature(key, signer["signature_algorithm"], signed, signer["signature"].native, digest)


def _by_signature(candidates: list[x509.Certificate], signer: cms.SignerInfo, signed: bytes, digest: str):
    for cert in candidates:
        try:
            if _verifies(cert, signer, signed, digest):
                return cert
        except LDSError:
            continue
    return None


def _check(sd: cms.SignedData, extra: list[x509.Certificate]) -> SignedDataCheck:
    content_type, content = encapsulated_content(sd)
    if len(sd["signer_infos"]) != 1:
        raise LDSError(f"expected exactly one SignerInfo, found {len(sd['signer_infos'])}")
    signer = sd["signer_infos"][0]
    digest = check_hash(signer["digest_algorithm"]["algorithm"].native, "digest algorithm")
    signed, errors = _signed_bytes(signer, content_type, content, digest)
    check = SignedDataCheck(content_type, content, None, False, digest, errors, signing_time(signer))
    embedded = embedded_certificates(sd)
    cert, quirk = _named_signer(signer["sid"], embedded + extra)
    if cert is None:  # only the SignedData's own first certificates: a hostile file must not cost much
        cert, quirk = _by_signature(embedded[:MAX_TRIED], signer, signed, digest), QUIRK_SIGNER_BY_SIGNATURE
    if cert is None:
        check.errors.append("signer certificate not found")
        return check
    check.quirks += [q for q in (quirk,) if q]
    if all(cert.sha256 != c.sha256 for c in embedded):
        check.quirks.append(QUIRK_SIGNER_OUTSIDE)
    check.signer_cert = cert
    valid = _verifies(cert, signer, signed, digest)
    if not valid:
        check.errors.append("CMS signature does not verify with the signer certificate")
    check.signature_valid = valid and not check.errors
    return check


def check_signed_data(sd: cms.SignedData, extra_certs: Iterable[x509.Certificate] = ()) -> SignedDataCheck:
    """Verify the (single) signer of a SignedData: message digest attribute and signature.

    ``extra_certs`` are candidate signer certificates from outside the SignedData (a trust store's
    document signers). LDSError when the structure cannot be checked at all.
    """
    return parse_guarded(lambda: _check(sd, list(extra_certs)), "SignedData signer")
