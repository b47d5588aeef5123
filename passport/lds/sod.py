"""EF.SOD: the document security object, a CMS SignedData over an LDSSecurityObject (Doc 9303-10 §4.6.2).

``LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
dataGroupHashValues SEQUENCE OF DataGroupHash, ldsVersionInfo LDSVersionInfo OPTIONAL }``.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509

from passport.asn1_guard import ASN1_ERRORS, scan_encoding
from passport.errors import LDSError
from passport.lds.files import EF_SOD, MAX_FILE_BYTES, unwrap
from passport.signed_data import QUIRK_INDEFINITE_LENGTH, encapsulated_content, load_signed_data
from passport.tlv import encode

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
OID_DATA = "1.2.840.113549.1.7.1"  # id-data, used instead of the LDS OID by at least one large issuer
QUIRK_NO_APPLICATION_TAG = "sod_without_application_tag"  # the bare CMS ContentInfo, as tools export it
QUIRK_CONTENT_TYPE_ID_DATA = "sod_content_type_id_data"
MAX_DG_HASHES = 16


class _DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("hash_value", core.OctetString)]


class _DataGroupHashValues(core.SequenceOf):
    _child_spec = _DataGroupHash


class _LDSVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashValues),
        ("lds_version_info", _LDSVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class SOD:
    version: int
    hash_algorithm: str  # asn1crypto name: "sha1", "sha256", ...
    dg_hashes: dict[int, bytes]
    lds_version: str | None
    unicode_version: str | None
    signed_data: cms.SignedData
    content: bytes  # the encapsulated LDSSecurityObject DER, as signed
    quirks: tuple[str, ...] = ()  # accepted deviations of the encoding (QUIRK_* codes)

    @property
    def certificates(self) -> list[x509.Certificate]:
        certs = self.signed_data["certificates"]
        return [c.chosen for c in certs if c.name == "certificate"] if certs else []

    @property
    def digest_algorithm(self) -> str:
        return self.signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].native


def parse_lds_security_object(content: bytes) -> tuple[int, str, dict[int, bytes], str | None, str | None]:
    try:
        lso = LDSSecurityObject.load(content, strict=True)
        version = lso["version"].native
        hash_algorithm = lso["hash_algorithm"]["algorithm"].native
        if hash_algorithm not in ("sha1", "sha224", "sha256", "sha384", "sha512"):
            raise LDSError(f"EF.SOD: unsupported hash algorithm {hash_algorithm}")
        values = lso["data_group_hash_values"]
        if not 1 <= len(values) <= MAX_DG_HASHES:
            raise LDSError(f"EF.SOD: {len(values)} data-group hashes")
        hashes: dict[int, bytes] = {}
        for v in values:
            n = v["data_group_number"].native
            if not 1 <= n <= 16 or n in hashes:
                raise LDSError(f"EF.SOD: bad or repeated data group number {n}")
            hashes[n] = v["hash_value"].native
        lds_version = unicode_version = None
        info = lso["lds_version_info"]
        if info.native is not None:
            lds_version, unicode_version = info["lds_version"].native, info["unicode_version"].native
        return version, hash_algorithm, hashes, lds_version, unicode_version
    except LDSError:
        raise
    except ASN1_ERRORS as exc:
        raise LDSError(f"EF.SOD: malformed LDSSecurityObject: {str(exc)[:200]}") from None


def _content_info(data: bytes, quirks: list[str]) -> bytes:
    """The ContentInfo inside EF.SOD's tag 77, also when it comes bare or in BER indefinite-length form."""
    if len(data) > MAX_FILE_BYTES:
        raise LDSError(f"EF.SOD: {len(data)} bytes exceeds the {MAX_FILE_BYTES}-byte bound")
    if data[:1] == b"\x30":
        quirks.append(QUIRK_NO_APPLICATION_TAG)
        return data
    if data[:2] == b"\x77\x80":
        if data[-2:] != b"\x00\x00":
            raise LDSError("EF.SOD: indefinite-length tag 77 without end-of-contents")
        return data[2:-2]
    return unwrap(data, EF_SOD.tag, "EF.SOD").value  # type: ignore[arg-type]


def decode_sod(data: bytes) -> SOD:
    """Decode EF.SOD; the real-world encodings it accepts are listed in ``SOD.quirks`` (see QUIRK_*)."""
    quirks: list[str] = []
    info = _content_info(bytes(data), quirks)
    try:
        sd = load_signed_data(info)
        content_type, content = encapsulated_content(sd)
    except LDSError as exc:
        raise LDSError(f"EF.SOD: {exc}") from None
    if data[:2] == b"\x77\x80" or scan_encoding(info).indefinite:
        quirks.append(QUIRK_INDEFINITE_LENGTH)
    if content_type == OID_DATA:
        quirks.append(QUIRK_CONTENT_TYPE_ID_DATA)
    elif content_type != OID_LDS_SECURITY_OBJECT:
        raise LDSError(f"EF.SOD: content type {content_type} is not an LDSSecurityObject")
    if len(sd["signer_infos"]) != 1:
        raise LDSError(f"EF.SOD: {len(sd['signer_infos'])} signers, expected one")
    version, hash_algorithm, hashes, lds_version, unicode_version = parse_lds_security_object(content)
    return SOD(version, hash_algorithm, hashes, lds_version, unicode_version, sd, content, tuple(quirks))


def encode_lds_security_object(
    hash_algorithm: str,
    dg_hashes: dict[int, bytes],
    lds_version: str | None = None,
    unicode_version: str = "040000",
) -> bytes:
    """LDSSecurityObject DER (version 0, or 1 with LDS version info) for the virtual document signer."""
    value = {
        "version": 1 if lds_version else 0,
        "hash_algorithm": {"algorithm": hash_algorithm},
        "data_group_hash_values": [
            {"data_group_number": n, "hash_value": h} for n, h in sorted(dg_hashes.items())
        ],
    }
    if lds_version:
        value["lds_version_info"] = {"lds_version": lds_version, "unicode_version": unicode_version}
    return LDSSecurityObject(value).dump()


def encode_sod(signed_data_content_info: bytes) -> bytes:
    """Wrap a DER ContentInfo(SignedData) in the EF.SOD tag 77."""
    return encode(EF_SOD.tag, signed_data_content_info)  # type: ignore[arg-type]
