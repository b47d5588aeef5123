"""DG14 and the SecurityInfos it shares with EF.CardAccess / EF.CardSecurity (Doc 9303-11 §9.2, BSI TR-03110).

``SecurityInfos ::= SET OF SecurityInfo``; ``SecurityInfo ::= SEQUENCE { protocol OID, requiredData ANY,
optionalData ANY OPTIONAL }``. Each element is decoded with the asn1crypto type its protocol OID selects;
unknown protocols are kept as :class:`UnknownInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core, keys

from passport.errors import LDSError
from passport.lds.files import DATA_GROUPS, unwrap
from passport.lds.public_key import PublicKey, load_public_key
from passport.tlv import encode

TAG = DATA_GROUPS[14].tag
MAX_INFOS = 64

BSI = "0.4.0.127.0.7.2.2"
ID_PK_DH = f"{BSI}.1.1"
ID_PK_ECDH = f"{BSI}.1.2"
ID_TA = f"{BSI}.2"
ID_CA_DH = f"{BSI}.3.1"
ID_CA_ECDH = f"{BSI}.3.2"
ID_PACE = f"{BSI}.4"
ID_AA = "2.23.136.1.1.5"
ECDSA_PLAIN = "0.4.0.127.0.7.1.1.4.1"  # ecdsa-plain-signatures (BSI TR-03111)

# CA / PACE cipher suffixes: 1 3DES, 2 AES-128, 3 AES-192, 4 AES-256
CIPHERS = {1: ("3DES", 112), 2: ("AES", 128), 3: ("AES", 192), 4: ("AES", 256)}
PACE_MAPPINGS = {1: "DH-GM", 2: "ECDH-GM", 3: "DH-IM", 4: "ECDH-IM", 6: "ECDH-CAM"}
# ecdsa-plain-SHAx OIDs (TR-03111 §5.2.1) → hash
PLAIN_ECDSA_HASHES = {
    f"{ECDSA_PLAIN}.1": "sha1",
    f"{ECDSA_PLAIN}.2": "sha224",
    f"{ECDSA_PLAIN}.3": "sha256",
    f"{ECDSA_PLAIN}.4": "sha384",
    f"{ECDSA_PLAIN}.5": "sha512",
}


class _SecurityInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class _SecurityInfos(core.SetOf):
    _child_spec = _SecurityInfo


class _ChipAuthenticationPublicKeyInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("public_key", keys.PublicKeyInfo),
        ("key_id", core.Integer, {"optional": True}),
    ]


class _InlinedSPKI(core.Sequence):
    _fields = [("algorithm", core.Any), ("public_key", core.BitString)]


class _InlinedChipAuthenticationPublicKeyInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("algorithm", core.Any),
        ("public_key", core.BitString),
        ("key_id", core.Integer, {"optional": True}),
    ]


class _VersionedInfo(core.Sequence):
    """ChipAuthenticationInfo, PACEInfo, TerminalAuthenticationInfo: protocol, version, optional INTEGER."""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("extra", core.Any, {"optional": True}),
    ]


class _AlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _PACEDomainParameterInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("domain_parameter", _AlgorithmIdentifier),
        ("parameter_id", core.Integer, {"optional": True}),
    ]


class _ActiveAuthenticationInfo(core.Sequence):
    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("signature_algorithm", core.ObjectIdentifier),
    ]


@dataclass(frozen=True)
class ChipAuthenticationPublicKeyInfo:
    protocol: str
    public_key: PublicKey
    key_id: int | None


@dataclass(frozen=True)
class ChipAuthenticationInfo:
    protocol: str
    version: int
    key_id: int | None

    @property
    def agreement(self) -> str:
        return "ECDH" if self.protocol.startswith(ID_CA_ECDH) else "DH"

    @property
    def cipher(self) -> tuple[str, int]:
        return CIPHERS[int(self.protocol.rsplit(".", 1)[1])]


@dataclass(frozen=True)
class PACEInfo:
    protocol: str
    version: int
    parameter_id: int | None

    @property
    def mapping(self) -> str:
        return PACE_MAPPINGS[int(self.protocol.split(".")[-2])]

    @property
    def cipher(self) -> tuple[str, int]:
        return CIPHERS[int(self.protocol.rsplit(".", 1)[1])]


@dataclass(frozen=True)
class PACEDomainParameterInfo:
    protocol: str
    algorithm: str
    parameters_der: bytes
    parameter_id: int | None


@dataclass(frozen=True)
class TerminalAuthenticationInfo:
    protocol: str
    version: int


@dataclass(frozen=True)
class ActiveAuthenticationInfo:
    protocol: str
    version: int
    signature_algorithm: str

    @property
    def hash_algorithm(self) -> str:
        if self.signature_algorithm not in PLAIN_ECDSA_HASHES:
            raise LDSError(f"unknown AA signature algorithm {self.signature_algorithm}")
        return PLAIN_ECDSA_HASHES[self.signature_algorithm]


@dataclass(frozen=True)
class UnknownInfo:
    protocol: str
    der: bytes


SecurityInfo = (
    ChipAuthenticationPublicKeyInfo
    | ChipAuthenticationInfo
    | PACEInfo
    | PACEDomainParameterInfo
    | TerminalAuthenticationInfo
    | ActiveAuthenticationInfo
    | UnknownInfo
)


@dataclass(frozen=True)
class SecurityInfos:
    infos: tuple[SecurityInfo, ...]

    def of_type(self, cls: type) -> list:
        return [i for i in self.infos if isinstance(i, cls)]

    @property
    def chip_auth_public_keys(self) -> list[ChipAuthenticationPublicKeyInfo]:
        return self.of_type(ChipAuthenticationPublicKeyInfo)

    @property
    def chip_auth_infos(self) -> list[ChipAuthenticationInfo]:
        return self.of_type(ChipAuthenticationInfo)

    @property
    def pace_infos(self) -> list[PACEInfo]:
        return self.of_type(PACEInfo)

    @property
    def active_auth_info(self) -> ActiveAuthenticationInfo | None:
        found = self.of_type(ActiveAuthenticationInfo)
        return found[0] if found else None


def _optional_int(value: core.Asn1Value | None, what: str) -> int | None:
    if value is None or isinstance(value, core.Void):
        return None
    native = core.Integer.load(value.dump(), strict=True).native
    if not isinstance(native, int) or not 0 <= native < 1 << 64:
        raise LDSError(f"{what} out of range")
    return native


def _version(raw: _VersionedInfo | _ActiveAuthenticationInfo, allowed: tuple[int, ...]) -> int:
    version = raw["version"].native
    if version not in allowed:
        raise LDSError(f"{raw['protocol'].dotted}: unsupported version {version}")
    return version


def _decode_info(item: _SecurityInfo) -> SecurityInfo:
    oid = item["protocol"].dotted
    der = item.dump()
    if oid in (ID_PK_DH, ID_PK_ECDH):
        try:
            raw = _ChipAuthenticationPublicKeyInfo.load(der, strict=True)
            key = load_public_key(raw["public_key"].dump())
        except (LDSError, ValueError):
            # Seen in issued EF.CardSecurity files: the SubjectPublicKeyInfo's fields inlined in the
            # SecurityInfo, { protocol, AlgorithmIdentifier, BIT STRING, keyId OPTIONAL }.
            raw = _InlinedChipAuthenticationPublicKeyInfo.load(der, strict=True)
            spki = _InlinedSPKI({"algorithm": raw["algorithm"], "public_key": raw["public_key"]}).dump()
            key = load_public_key(spki)
        if (oid == ID_PK_ECDH) != (key.algorithm == "ec"):
            raise LDSError(f"{oid}: public key type {key.algorithm} does not match the protocol")
        return ChipAuthenticationPublicKeyInfo(oid, key, _optional_int(raw["key_id"], "keyId"))
    if oid.startswith(ID_CA_DH + ".") or oid.startswith(ID_CA_ECDH + "."):
        if int(oid.rsplit(".", 1)[1]) not in CIPHERS:
            return UnknownInfo(oid, der)
        raw = _VersionedInfo.load(der, strict=True)
        return ChipAuthenticationInfo(oid, _version(raw, (1, 2, 3)), _optional_int(raw["extra"], "keyId"))
    if oid == ID_TA:
        raw = _VersionedInfo.load(der, strict=True)
        return TerminalAuthenticationInfo(oid, _version(raw, (1, 2)))
    if oid.startswith(ID_PACE + "."):
        arcs = oid[len(ID_PACE) + 1 :].split(".")
        if len(arcs) == 2 and int(arcs[0]) in PACE_MAPPINGS and int(arcs[1]) in CIPHERS:
            raw = _VersionedInfo.load(der, strict=True)
            return PACEInfo(oid, _version(raw, (1, 2)), _optional_int(raw["extra"], "parameterId"))
        if len(arcs) == 1 and int(arcs[0]) in PACE_MAPPINGS:
            raw = _PACEDomainParameterInfo.load(der, strict=True)
            dp = raw["domain_parameter"]
            return PACEDomainParameterInfo(
                oid,
                dp["algorithm"].dotted,
                dp["parameters"].dump() if dp["parameters"] is not None else b"",
                _optional_int(raw["parameter_id"], "parameterId"),
            )
        return UnknownInfo(oid, der)
    if oid == ID_AA:
        raw = _ActiveAuthenticationInfo.load(der, strict=True)
        return ActiveAuthenticationInfo(oid, _version(raw, (1,)), raw["signature_algorithm"].dotted)
    return UnknownInfo(oid, der)


def decode_security_infos(der: bytes, where: str = "SecurityInfos") -> SecurityInfos:
    """Decode a DER SET OF SecurityInfo; LDSError on anything malformed."""
    try:
        parsed = _SecurityInfos.load(bytes(der), strict=True)
        if len(parsed) > MAX_INFOS:
            raise LDSError(f"{where}: more than {MAX_INFOS} SecurityInfo elements")
        return SecurityInfos(tuple(_decode_info(item) for item in parsed))
    except LDSError as exc:
        raise LDSError(f"{where}: {exc}") from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise LDSError(f"{where}: malformed SecurityInfos: {exc}") from exc


def decode_dg14(data: bytes) -> SecurityInfos:
    tlv = unwrap(data, TAG, "DG14")  # type: ignore[arg-type]
    return decode_security_infos(tlv.value, "DG14")


# ---------------------------------------------------------------------------------------------------------
# encoding (for generated documents)


def encode_security_info(info: SecurityInfo) -> bytes:
    if isinstance(info, ChipAuthenticationPublicKeyInfo):
        value = {"protocol": info.protocol, "public_key": keys.PublicKeyInfo.load(info.public_key.spki_der)}
        if info.key_id is not None:
            value["key_id"] = info.key_id
        return _ChipAuthenticationPublicKeyInfo(value).dump()
    if isinstance(info, ChipAuthenticationInfo | PACEInfo):
        extra = info.key_id if isinstance(info, ChipAuthenticationInfo) else info.parameter_id
        value = {"protocol": info.protocol, "version": info.version}
        if extra is not None:
            value["extra"] = core.Integer(extra)
        return _VersionedInfo(value).dump()
    if isinstance(info, TerminalAuthenticationInfo):
        return _VersionedInfo({"protocol": info.protocol, "version": info.version}).dump()
    if isinstance(info, ActiveAuthenticationInfo):
        return _ActiveAuthenticationInfo(
            {
                "protocol": info.protocol,
                "version": info.version,
                "signature_algorithm": info.signature_algorithm,
            }
        ).dump()
    if isinstance(info, PACEDomainParameterInfo):
        dp = {"algorithm": info.algorithm}
        if info.parameters_der:
            dp["parameters"] = core.Any.load(info.parameters_der)
        value = {"protocol": info.protocol, "domain_parameter": dp}
        if info.parameter_id is not None:
            value["parameter_id"] = info.parameter_id
        return _PACEDomainParameterInfo(value).dump()
    return info.der


def encode_security_infos(infos: SecurityInfos | list[SecurityInfo]) -> bytes:
    items = infos.infos if isinstance(infos, SecurityInfos) else infos
    # Elements are written in the given order (issued documents do not always sort the SET OF).
    return encode(0x31, b"".join(encode_security_info(i) for i in items))


def encode_dg14(infos: SecurityInfos | list[SecurityInfo]) -> bytes:
    return encode(TAG, encode_security_infos(infos))  # type: ignore[arg-type]
