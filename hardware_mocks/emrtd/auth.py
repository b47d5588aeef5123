"""Chip side of active and chip authentication for the simulated ePassport (Doc 9303-11 §6.1, §6.2).

Private keys come as PKCS#8 DER (``DG15_sk.pkcs8`` / ``DG14_sk.pkcs8`` of the test documents) or as
already-loaded `cryptography` keys. EC keys of eMRTDs often use explicit curve parameters, which
`cryptography` refuses, so PKCS#8 is parsed with asn1crypto and EC arithmetic uses the `ecdsa` package.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import ecdsa
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from ecdsa.util import sigencode_string

from passport.active_auth import HASH_TRAILERS
from passport.chip_auth import session_keys, shared_secret
from passport.errors import AuthenticationError, LDSError
from passport.lds.dg14 import ChipAuthenticationInfo, decode_dg14
from passport.lds.public_key import DHDomain, ECDomain, PublicKey, ec_domain_from_params, load_public_key
from passport.sm import SecureMessaging


@dataclass(frozen=True)
class ChipPrivateKey:
    """An RSA, EC or DH private key with the public half in the form the terminal sees."""

    algorithm: str  # "rsa" | "ec" | "dh"
    private: int  # RSA d, EC scalar or DH exponent
    public: PublicKey


def load_private_key(key: object) -> ChipPrivateKey:
    """PKCS#8 DER bytes, a ChipPrivateKey or a cryptography RSA/EC private key."""
    if isinstance(key, ChipPrivateKey):
        return key
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return load_private_key(der)
    if not isinstance(key, bytes | bytearray):
        raise LDSError(f"unsupported private key object {type(key).__name__}")
    try:
        info = keys.PrivateKeyInfo.load(bytes(key), strict=True)
        alg = info["private_key_algorithm"]["algorithm"].native
        if alg == "rsa":
            priv = info["private_key"].parsed
            n, e, d = priv["modulus"].native, priv["public_exponent"].native, priv["private_exponent"].native
            spki = keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "rsa"},
                    "public_key": keys.RSAPublicKey({"modulus": n, "public_exponent": e}),
                }
            )
            return ChipPrivateKey("rsa", d, load_public_key(spki.dump()))
        if alg == "ec":
            params = info["private_key_algorithm"]["parameters"]
            domain = ec_domain_from_params(params)
            d = info["private_key"].parsed["private_key"].native
            point = domain.encode_point(*domain.generator_multiply(d))
            spki = keys.PublicKeyInfo(
                {"algorithm": {"algorithm": "ec", "parameters": params}, "public_key": point}
            )
            return ChipPrivateKey("ec", d, load_public_key(spki.dump()))
        if alg == "dh":
            params = info["private_key_algorithm"]["parameters"]
            x = info["private_key"].parsed.native
            p, g = params["p"].native, params["g"].native
            public = PublicKey("dh", b"", dh_domain=DHDomain(p, g, params["q"].native), dh_y=pow(g, x, p))
            return ChipPrivateKey("dh", x, public)
        raise LDSError(f"unsupported private key algorithm {alg}")
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise LDSError(f"malformed PKCS#8 private key: {exc}") from exc


def iso9796_2_sign(key: ChipPrivateKey, m2: bytes, hash_name: str = "sha1", m1: bytes | None = None) -> bytes:
    """ISO/IEC 9796-2 scheme 1 signature with partial recovery: F = 6A || M1 || H(M1||M2) || trailer."""
    n = key.public.rsa_n
    length = n.bit_length() // 8  # F < 2^(8·length - 1) <= n
    trailer = b"\xbc" if hash_name == "sha1" else bytes([HASH_TRAILERS[hash_name], 0xCC])
    hlen = hashlib.new(hash_name).digest_size
    m1_len = length - 1 - hlen - len(trailer)
    if m1_len < 1:
        raise LDSError("RSA modulus too small for ISO/IEC 9796-2 with this hash")
    m1 = os.urandom(m1_len) if m1 is None else m1
    if len(m1) != m1_len:
        raise LDSError(f"M1 must be {m1_len} bytes")
    f = b"\x6a" + m1 + hashlib.new(hash_name, m1 + m2).digest() + trailer
    s = pow(int.from_bytes(f, "big"), key.private, n)
    s = min(s, n - s)
    return s.to_bytes((n.bit_length() + 7) // 8, "big")


def aa_sign(private_key: object, challenge: bytes, hash_name: str | None = None) -> bytes:
    """Answer to INTERNAL AUTHENTICATE: RSA ISO/IEC 9796-2 (SHA-1 'BC' by default) or plain ECDSA r||s."""
    key = load_private_key(private_key)
    if key.algorithm == "rsa":
        return iso9796_2_sign(key, challenge, hash_name or "sha1")
    if key.algorithm == "ec":
        domain: ECDomain = key.public.ec_domain  # type: ignore[assignment]
        sk = ecdsa.SigningKey.from_secret_exponent(key.private, curve=domain.ecdsa_curve())
        digest = hashlib.new(hash_name or "sha256", challenge).digest()
        return sk.sign_digest(digest, sigencode=sigencode_string, allow_truncate=True)
    raise AuthenticationError(f"active authentication with a {key.algorithm} key is not supported")


active_auth_sign = aa_sign


def ca_chip_agreement(private_key: object, terminal_pubkey: bytes) -> bytes:
    """The CA shared secret as the chip computes it: static private key · terminal ephemeral public key."""
    key = load_private_key(private_key)
    if key.algorithm not in ("ec", "dh"):
        raise AuthenticationError("chip authentication needs an EC or DH key")
    return shared_secret(key.public, key.private, terminal_pubkey)


def _protocol(dg14: bytes, oid: str | None, key_id: int | None, algorithm: str) -> ChipAuthenticationInfo:
    infos = decode_dg14(dg14).chip_auth_infos
    agreement = "ECDH" if algorithm == "ec" else "DH"
    for ca in infos:
        if key_id is not None and ca.key_id is not None and ca.key_id != key_id:
            continue
        if ca.agreement != agreement:
            continue
        if oid is None and ca.cipher[0] == "3DES":
            return ca  # MSE:Set KAT is the 3DES variant
        if oid is not None and ca.protocol == oid:
            return ca
    if oid is None and not infos:
        prefix = "0.4.0.127.0.7.2.2.3.2" if algorithm == "ec" else "0.4.0.127.0.7.2.2.3.1"
        return ChipAuthenticationInfo(f"{prefix}.1", 1, key_id)  # DG14 without ChipAuthenticationInfo
    raise AuthenticationError(
        f"chip authentication protocol {oid or '3DES (Set KAT)'} is not offered in DG14"
    )


def chip_authenticate(
    private_key: object, dg14: bytes, public: bytes, *, oid: str | None = None, key_id: bytes | None = None
) -> SecureMessaging:
    """The chip's new secure-messaging session after receiving the terminal's ephemeral public key."""
    key = load_private_key(private_key)
    ref = int.from_bytes(key_id, "big") if key_id else None
    ca = _protocol(dg14, oid, ref, key.algorithm)
    cipher, key_bits = ca.cipher
    secret = ca_chip_agreement(key, public)
    ks_enc, ks_mac = session_keys(secret, cipher, key_bits)
    return SecureMessaging(ks_enc, ks_mac, 0, cipher)  # type: ignore[arg-type]
