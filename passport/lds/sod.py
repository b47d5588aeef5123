"""EF.SOD: the document security object, a CMS SignedData over an LDSSecurityObject (Doc 9303-10 §4.6.2).

``LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
dataGroupHashValues SEQUENCE OF DataGroupHash, ldsVersionInfo LDSVersionInfo OPTIONAL }``.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509

from passport.errors import LDSError
from passport.lds.files import EF_SOD, unwrap
from passport.tlv import encode

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
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
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise LDSError(f"EF.SOD: malformed LDSSecurityObject: {exc}") from exc


def decode_sod(data: bytes) -> SOD:
    from passport.pki import load_signed_data

    tlv = unwrap(data, EF_SOD.tag, "EF.SOD")  # type: ignore[arg-type]
    try:
        sd = load_signed_data(tlv.value)
    except LDSError as exc:
        raise LDSError(f"EF.SOD: {exc}") from exc
    encap = sd["encap_content_info"]
    if encap["content_type"].dotted != OID_LDS_SECURITY_OBJECT:
        raise LDSError(f"EF.SOD: content type {encap['content_type'].dotted} is not an LDSSecurityObject")
    if encap["content"].native is None:
        raise LDSError("EF.SOD: no encapsulated content")
    if len(sd["signer_infos"]) != 1:
        raise LDSError(f"EF.SOD: {len(sd['signer_infos'])} signers, expected one")
    content = encap["content"].contents
    version, hash_algorithm, hashes, lds_version, unicode_version = parse_lds_security_object(content)
    return SOD(version, hash_algorithm, hashes, lds_version, unicode_version, sd, content)


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
