"""Chip authentication, terminal side (Doc 9303-11 §6.2, BSI TR-03110 CA v1/v2 key agreement).

The terminal makes an ephemeral key pair on the chip's static CA domain parameters (DG14), sends the
public key — MSE:Set KAT for CA with 3DES (P1P2 41A6, DO'91'), or MSE:Set AT (41A4, DO'80' protocol OID)
followed by GENERAL AUTHENTICATE (7C{80 key}) otherwise — and both sides derive
``KS_enc = KDF(K, 1)``, ``KS_mac = KDF(K, 2)`` from the shared secret K (the x-coordinate for ECDH).
Secure messaging restarts with those keys and SSC 0. Only a genuine chip knows the private key, so the
first response under the new keys with a correct MAC proves it; the function reads EF.COM to get one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from asn1crypto import core

from passport import ecdh, tlv
from passport.apdu import CommandAPDU, general_authenticate, mse_set_kat, read_binary, select_file
from passport.crypto import kdf
from passport.errors import AuthenticationError, LDSError, PassportError, TransportError
from passport.lds.dg14 import (
    ID_CA_DH,
    ID_CA_ECDH,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
    decode_dg14,
)
from passport.lds.files import EF_COM
from passport.lds.public_key import PublicKey
from passport.sm import SecureMessaging

KDF_ENC = 1
KDF_MAC = 2


@dataclass
class CAResult:
    performed: bool
    valid: bool | None  # None: not performed; True once the chip answered correctly under the new keys
    sm: SecureMessaging | None = None  # the new session (already installed on the channel)
    detail: str = ""
    protocol: str = ""


@dataclass(frozen=True)
class EphemeralKey:
    private: int
    public: bytes  # uncompressed EC point, or the DH public value as big-endian bytes of the prime's size


def generate_ephemeral(key: PublicKey) -> EphemeralKey:
    """An ephemeral key pair on the chip key's domain parameters (EC: through OpenSSL on the curves it
    knows, see :mod:`passport.ecdh`)."""
    if key.algorithm == "ec" and key.ec_domain is not None:
        d = key.ec_domain
        k = secrets.randbelow(d.n - 1) + 1
        curve = d.ecdsa_curve()
        try:
            point = ecdh.public_key(curve, curve.generator, k)
        except ecdh.ECDHError as exc:
            raise AuthenticationError(f"chip authentication key agreement: {exc}") from exc
        return EphemeralKey(k, d.encode_point(point.x(), point.y()))
    if key.algorithm == "dh" and key.dh_domain is not None:
        dh = key.dh_domain
        bound = dh.q if dh.q else dh.p - 1
        x = secrets.randbelow(bound - 2) + 2
        size = (dh.p.bit_length() + 7) // 8
        return EphemeralKey(x, pow(dh.g, x, dh.p).to_bytes(size, "big"))
    raise AuthenticationError(f"chip authentication key of type {key.algorithm} is not supported")


def shared_secret(key: PublicKey, private: int, peer_public: bytes | None = None) -> bytes:
    """ECDH x-coordinate or DH value of private·peer (peer defaults to the static chip key)."""
    if key.algorithm == "ec" and key.ec_domain is not None:
        d = key.ec_domain
        x, y = d.decode_point(peer_public if peer_public is not None else key.ec_point)
        curve = d.ecdsa_curve()
        try:
            sx = ecdh.shared_x(curve, ecdh.Point(curve.curve, x, y, 1, d.n), private)
        except ecdh.ECDHError as exc:
            raise LDSError(f"chip authentication key agreement: {exc}") from exc
        return sx.to_bytes(d.size_bytes, "big")
    if key.algorithm == "dh" and key.dh_domain is not None:
        dh = key.dh_domain
        y = int.from_bytes(peer_public, "big") if peer_public is not None else key.dh_y
        if not 1 < y < dh.p - 1:
            raise LDSError("DH public value out of range")
        size = (dh.p.bit_length() + 7) // 8
        return pow(y, private, dh.p).to_bytes(size, "big")
    raise AuthenticationError(f"chip authentication key of type {key.algorithm} is not supported")


def session_keys(secret: bytes, cipher: str, key_bits: int) -> tuple[bytes, bytes]:
    """(KS_enc, KS_mac) from a CA shared secret (Doc 9303-11 §9.7.1)."""
    length = 16 if cipher == "3DES" else key_bits // 8
    return kdf(secret, KDF_ENC, cipher, length), kdf(secret, KDF_MAC, cipher, length)  # type: ignore[arg-type]


def select_protocol(
    infos: SecurityInfos,
) -> tuple[ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo]:
    """The CA protocol and matching public key to use: the strongest cipher whose key is present."""
    keys = infos.chip_auth_public_keys
    if not keys:
        raise AuthenticationError("DG14 has no ChipAuthenticationPublicKeyInfo")
    cas = infos.chip_auth_infos
    if not cas:
        # DG14 of early documents: only the key; CA v1 with 3DES is implied (TR-03110 v1).
        k = keys[0]
        suffix = ID_CA_ECDH if k.public_key.algorithm == "ec" else ID_CA_DH
        return ChipAuthenticationInfo(f"{suffix}.1", 1, k.key_id), k
    candidates = []
    for ca in cas:
        for k in keys:
            if ca.key_id is not None and k.key_id is not None and ca.key_id != k.key_id:
                continue
            want = "ec" if ca.agreement == "ECDH" else "dh"
            if k.public_key.algorithm == want:
                candidates.append((ca, k))
    if not candidates:
        raise AuthenticationError("no ChipAuthenticationInfo matches a public key in DG14")
    return max(candidates, key=lambda c: (c[0].cipher[0] == "AES", c[0].cipher[1]))


def _oid_value(dotted: str) -> bytes:
    """The content bytes of an OBJECT IDENTIFIER (DO'80' carries the OID without its tag and length)."""
    encoded = core.ObjectIdentifier(dotted).dump()
    tlv_obj, _ = tlv.decode_one(encoded)
    return tlv_obj.value


def _key_ref(key_id: int | None) -> bytes:
    if key_id is None:
        return b""
    return tlv.encode(0x84, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big"))


def _mse_set_at_ca(data: bytes) -> CommandAPDU:
    """MSE:Set AT for chip authentication: P1=41 (computation, decipherment...), P2=A4 (9303-11 §6.2.4)."""
    return CommandAPDU(0x00, 0x22, 0x41, 0xA4, data)


def build_commands(
    ca: ChipAuthenticationInfo, ephemeral_public: bytes, key_id: int | None
) -> list[CommandAPDU]:
    """The APDUs that hand the ephemeral public key to the chip."""
    cipher, _ = ca.cipher
    if cipher == "3DES":
        return [mse_set_kat(tlv.encode(0x91, ephemeral_public) + _key_ref(key_id))]
    return [
        _mse_set_at_ca(tlv.encode(0x80, _oid_value(ca.protocol)) + _key_ref(key_id)),
        general_authenticate(tlv.encode(0x7C, tlv.encode(0x80, ephemeral_public)), le=256),
    ]


def chip_authenticate(channel: object, dg14: bytes | SecurityInfos, *, confirm: bool = True) -> CAResult:
    """Run chip authentication over an established secure channel and switch it to the new keys.

    ``channel`` has ``.transmit(CommandAPDU) -> ResponseAPDU`` and a replaceable ``.sm``. Returns
    valid=False if the chip refuses the key or its first answer under the new keys does not verify;
    raises AuthenticationError when DG14 offers nothing this terminal supports, TransportError on
    transport failure.
    """
    infos = decode_dg14(dg14) if isinstance(dg14, bytes) else dg14
    ca, key_info = select_protocol(infos)
    try:
        cipher, key_bits = ca.cipher
    except KeyError as exc:
        raise AuthenticationError(f"unsupported chip authentication protocol {ca.protocol}") from exc
    key = key_info.public_key
    ephemeral = generate_ephemeral(key)
    key_id = key_info.key_id if key_info.key_id is not None else ca.key_id
    commands = build_commands(ca, ephemeral.public, key_id)
    for cmd in commands:
        try:
            response = channel.transmit(cmd)  # type: ignore[attr-defined]
        except TransportError:
            raise
        except PassportError as exc:
            return CAResult(True, False, None, f"chip authentication command failed: {exc}", ca.protocol)
        if not response.ok:
            return CAResult(
                True, False, None, f"chip refused chip authentication ({response.sw:04X})", ca.protocol
            )
    secret = shared_secret(key, ephemeral.private)
    ks_enc, ks_mac = session_keys(secret, cipher, key_bits)
    sm = SecureMessaging(ks_enc, ks_mac, 0, cipher)  # type: ignore[arg-type]
    channel.sm = sm  # type: ignore[attr-defined]
    if not confirm:
        return CAResult(True, None, sm, "keys switched; not yet confirmed by the chip", ca.protocol)
    try:
        sel = channel.transmit(select_file(EF_COM.fid))  # type: ignore[attr-defined]
        head = channel.transmit(read_binary(0, 4)) if sel.ok else sel  # type: ignore[attr-defined]
    except TransportError:
        raise
    except PassportError as exc:
        return CAResult(
            True, False, sm, f"chip's answer under the new keys does not verify: {exc}", ca.protocol
        )
    if not head.ok:
        return CAResult(True, False, sm, f"chip answered {head.sw:04X} under the new keys", ca.protocol)
    return CAResult(True, True, sm, f"{ca.agreement} chip authentication, {cipher}-{key_bits}", ca.protocol)
