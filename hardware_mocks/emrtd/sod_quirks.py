"""EF.SOD encodings seen on real documents that deviate from Doc 9303-10, made from a correctly signed
EF.SOD (:func:`hardware_mocks.emrtd.generator.sign_sod`) and its document signer, for reader tests.

Each variant keeps the signature valid (re-signing where the signed attributes change), so a reader that
accepts the quirk verifies the document; see docs/chip-reading.md "Checks a document must pass".
"""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import cms, core, x509

from hardware_mocks.emrtd.faults import resign_sod
from hardware_mocks.emrtd.pki import Signer
from passport import tlv

SOD_TAG = 0x77


def _content_info(sod: bytes) -> cms.ContentInfo:
    inner, _ = tlv.decode_one(sod)
    return cms.ContentInfo.load(inner.value)


def _wrap(info: cms.ContentInfo) -> bytes:
    return tlv.encode(SOD_TAG, info.dump(force=True))


def bare_content_info(sod: bytes, signer: Signer) -> bytes:
    """The CMS ContentInfo without the application tag 77, as many tools export EF.SOD."""
    return _content_info(sod).dump()


def content_type_id_data(sod: bytes, signer: Signer) -> bytes:
    """eContentType (and the signed content-type attribute) id-data instead of id-icao-ldsSecurityObject."""
    info = _content_info(sod)
    sd = info["content"]
    sd["encap_content_info"]["content_type"] = "data"
    for attr in sd["signer_infos"][0]["signed_attrs"]:
        if attr["type"].native == "content_type":
            attr["values"] = ["data"]
    return resign_sod(_wrap(info), signer.certificate, signer.private_key)


def _reencoded(name: x509.Name) -> x509.Name:
    """The same attributes in reverse order, every string as UTF8String (DER of the name changes)."""
    rdns = []
    for rdn in reversed(list(name.chosen)):
        atvs = []
        for atv in rdn:
            kind = "printable_string" if atv["type"].native == "country_name" else "utf8_string"
            value = x509.DirectoryString(name=kind, value=atv["value"].native)
            atvs.append(x509.NameTypeAndValue({"type": atv["type"].native, "value": value}))
        rdns.append(x509.RelativeDistinguishedName(atvs))
    return x509.Name(name="", value=x509.RDNSequence(rdns))


def issuer_encoded_differently(sod: bytes, signer: Signer) -> bytes:
    """SignerInfo names its signer by issuer and serial, the issuer's name encoded unlike the certificate's."""
    info = _content_info(sod)
    sid = info["content"]["signer_infos"][0]["sid"]
    reencoded = _reencoded(sid.chosen["issuer"])
    assert reencoded.dump() != sid.chosen["issuer"].dump()
    info["content"]["signer_infos"][0]["sid"] = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value={"issuer": reencoded, "serial_number": sid.chosen["serial_number"].native},
    )
    return _wrap(info)


def serial_number_mismatch(sod: bytes, signer: Signer) -> bytes:
    """SignerInfo names a serial number no certificate has: only the signature tells which one signed."""
    info = _content_info(sod)
    sid = info["content"]["signer_infos"][0]["sid"]
    info["content"]["signer_infos"][0]["sid"] = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value={"issuer": sid.chosen["issuer"], "serial_number": sid.chosen["serial_number"].native + 1},
    )
    return _wrap(info)


def signer_by_subject_key_identifier(sod: bytes, signer: Signer) -> bytes:
    """SignerInfo v3 naming its signer by subjectKeyIdentifier."""
    info = _content_info(sod)
    si = info["content"]["signer_infos"][0]
    cert = info["content"]["certificates"][0].chosen
    si["version"] = "v3"
    si["sid"] = cms.SignerIdentifier(name="subject_key_identifier", value=cert.key_identifier)
    return _wrap(info)


def without_certificate(sod: bytes, signer: Signer) -> bytes:
    """No certificates in EF.SOD: the document signer certificate must come from the trust store."""
    info = _content_info(sod)
    del info["content"]["certificates"]
    return _wrap(info)


def _indefinite(tag: bytes, *parts: bytes) -> bytes:
    return tag + b"\x80" + b"".join(parts) + b"\x00\x00"


def indefinite_length(sod: bytes, signer: Signer, chunk: int = 64) -> bytes:
    """BER as streaming encoders write it: tag 77, ContentInfo, SignedData and its SETs in indefinite
    length, the eContent as a constructed OCTET STRING of chunks; certificates and SignerInfo stay DER."""
    info = _content_info(sod)
    sd = info["content"]
    octets = bytes(sd["encap_content_info"]["content"])
    chunks = [core.OctetString(octets[i : i + chunk]).dump() for i in range(0, len(octets), chunk)]
    encap = _indefinite(
        b"\x30",
        sd["encap_content_info"]["content_type"].dump(),
        _indefinite(b"\xa0", _indefinite(b"\x24", *chunks)),
    )
    certs = _indefinite(b"\xa0", *[c.chosen.dump() for c in sd["certificates"]])
    signers = _indefinite(b"\x31", *[si.dump() for si in sd["signer_infos"]])
    body = sd["version"].dump() + sd["digest_algorithms"].dump() + encap + certs + signers
    content_info = _indefinite(b"\x30", info["content_type"].dump(), _indefinite(b"\xa0", _indefinite(b"\x30", body)))
    return _indefinite(bytes([SOD_TAG]), content_info)


# name → (variant, quirk codes passive authentication reports for it)
SOD_QUIRKS: dict[str, tuple[Callable[[bytes, Signer], bytes], tuple[str, ...]]] = {
    "bare": (bare_content_info, ("sod_without_application_tag",)),
    "id-data": (content_type_id_data, ("sod_content_type_id_data",)),
    "issuer-encoding": (issuer_encoded_differently, ("signer_issuer_name_encoded_differently",)),
    "ski": (signer_by_subject_key_identifier, ("signer_by_subject_key_identifier",)),
    "serial-mismatch": (serial_number_mismatch, ("signer_found_by_signature",)),
    "no-dsc": (without_certificate, ("signer_certificate_not_in_signed_data",)),
    "indefinite": (indefinite_length, ("ber_indefinite_length",)),
}
