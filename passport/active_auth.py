"""Active authentication, terminal side (Doc 9303-11 §6.1): INTERNAL AUTHENTICATE with a random challenge.

RSA signatures use ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery:
``F = 6A || M1 || H(M1 || challenge) || trailer`` where the trailer is BC (SHA-1 implied) or
``xx CC`` naming the hash (ISO/IEC 10118-3 identifiers). ECDSA signatures are plain r || s
(BSI TR-03111) over the challenge, with the hash named by DG14's ActiveAuthenticationInfo.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import core

from passport.apdu import CommandAPDU, ResponseAPDU, internal_authenticate
from passport.errors import AuthenticationError, LDSError, PassportError, TransportError
from passport.lds.dg14 import ActiveAuthenticationInfo, SecurityInfos, decode_dg14
from passport.lds.dg15 import decode_dg15
from passport.lds.public_key import PublicKey

CHALLENGE_LENGTH = 8

# ISO/IEC 10118-3 hash-function identifiers used in the 'xxCC' trailer
TRAILER_HASHES = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}
HASH_TRAILERS = {name: ident for ident, name in TRAILER_HASHES.items()}
FALLBACK_EC_HASHES = ("sha256", "sha1", "sha224", "sha384", "sha512")


@dataclass(frozen=True)
class AAResult:
    performed: bool
    valid: bool | None  # None: not performed
    detail: str = ""
    algorithm: str = ""


@dataclass(frozen=True)
class RecoveredMessage:
    m1: bytes
    digest: bytes
    hash_name: str
    partial: bool


def iso9796_2_recover(key: PublicKey, signature: bytes) -> RecoveredMessage:
    """Open an ISO/IEC 9796-2 scheme 1 signature; LDSError when its structure is wrong."""
    n, e = key.rsa_n, key.rsa_e
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if not signature or len(signature) > k or s >= n:
        raise LDSError("signature is not smaller than the RSA modulus")
    m = pow(s, e, n)
    if m & 0x0F != 0x0C:  # the signer may return min(J, n - J)
        m = n - m
    f = m.to_bytes(k, "big")
    if f[-1] == 0xBC:
        hash_name, trailer_len = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in TRAILER_HASHES:
        hash_name, trailer_len = TRAILER_HASHES[f[-2]], 2
    else:
        raise LDSError(f"unknown ISO/IEC 9796-2 trailer {f[-2:].hex()}")
    # Strip leading zero bytes of a modulus whose length is not a multiple of 8 bits
    body = f.lstrip(b"\x00")
    header = body[0]
    if header & 0xC0 != 0x40 or header & 0x0F != 0x0A:
        raise LDSError(f"ISO/IEC 9796-2 header {header:02X} is not 4A/6A")
    partial = bool(header & 0x20)
    hlen = hashlib.new(hash_name).digest_size
    if len(body) < 1 + hlen + trailer_len:
        raise LDSError("ISO/IEC 9796-2 block too short for its hash")
    m1 = body[1 : len(body) - hlen - trailer_len]
    digest = body[len(body) - hlen - trailer_len : len(body) - trailer_len]
    return RecoveredMessage(m1, digest, hash_name, partial)


def verify_rsa_aa(key: PublicKey, challenge: bytes, signature: bytes) -> tuple[bool, str]:
    try:
        rec = iso9796_2_recover(key, signature)
    except LDSError as exc:
        return False, str(exc)
    if not rec.partial:
        return False, "ISO/IEC 9796-2 total recovery does not bind the challenge"
    expected = hashlib.new(rec.hash_name, rec.m1 + challenge).digest()
    if not hmac.compare_digest(expected, rec.digest):
        return False, f"ISO/IEC 9796-2 hash ({rec.hash_name}) does not match M1 || challenge"
    return True, f"RSA ISO/IEC 9796-2 with {rec.hash_name}"


def _ecdsa_signature_variants(key: PublicKey, signature: bytes) -> bytes:
    """Plain r||s; a DER-encoded signature (some chips) is converted to plain."""
    size = (key.ec_domain.n.bit_length() + 7) // 8  # type: ignore[union-attr]
    if len(signature) == 2 * size:
        return signature
    try:
        seq = core.load(signature, strict=True)
        r, s = seq[0].native, seq[1].native
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise LDSError(f"ECDSA signature of {len(signature)} bytes is neither r||s nor DER") from exc


def verify_ec_aa(
    key: PublicKey, challenge: bytes, signature: bytes, info: ActiveAuthenticationInfo | None
) -> tuple[bool, str]:
    try:
        plain = _ecdsa_signature_variants(key, signature)
    except LDSError as exc:
        return False, str(exc)
    if info is not None:
        try:
            hash_name = info.hash_algorithm
        except LDSError as exc:
            return False, str(exc)
        ok = key.verify_ecdsa(plain, challenge, hash_name, plain=True)
        return ok, f"ECDSA with {hash_name}" + ("" if ok else ": signature does not verify")
    # Without ActiveAuthenticationInfo (no DG14) the hash is not named; try the standard ones.
    for hash_name in FALLBACK_EC_HASHES:
        if key.verify_ecdsa(plain, challenge, hash_name, plain=True):
            return True, f"ECDSA with {hash_name} (no ActiveAuthenticationInfo; hash inferred)"
    return False, "ECDSA signature does not verify with any standard hash"


def verify_aa_signature(
    key: PublicKey, challenge: bytes, signature: bytes, info: ActiveAuthenticationInfo | None = None
) -> tuple[bool, str]:
    """(valid, detail) for a chip's answer to INTERNAL AUTHENTICATE."""
    if key.algorithm == "rsa":
        return verify_rsa_aa(key, challenge, signature)
    if key.algorithm == "ec":
        return verify_ec_aa(key, challenge, signature, info)
    return False, f"unsupported AA key type {key.algorithm}"


def _transmitter(transmit_fn: object) -> Callable[[CommandAPDU], ResponseAPDU]:
    if hasattr(transmit_fn, "transmit"):
        return transmit_fn.transmit  # type: ignore[attr-defined,no-any-return]
    if callable(transmit_fn):
        return transmit_fn  # type: ignore[return-value]
    raise AuthenticationError("active authentication needs a channel or a transmit function")


def active_authenticate(
    transmit_fn: object,
    dg15_pubkey: PublicKey | bytes,
    dg14_info: ActiveAuthenticationInfo | SecurityInfos | bytes | None = None,
    *,
    challenge: bytes | None = None,
) -> AAResult:
    """Send INTERNAL AUTHENTICATE with a fresh 8-byte challenge and verify the signature.

    ``transmit_fn`` is a secure channel (``.transmit(CommandAPDU) -> ResponseAPDU``) or such a function;
    ``dg15_pubkey`` a decoded key or the raw DG15; ``dg14_info`` the ActiveAuthenticationInfo, the
    decoded DG14 or its raw bytes (needed for ECDSA). Transport errors propagate.
    """
    key = dg15_pubkey if isinstance(dg15_pubkey, PublicKey) else decode_dg15(dg15_pubkey)
    info: ActiveAuthenticationInfo | None
    if isinstance(dg14_info, bytes):
        info = decode_dg14(dg14_info).active_auth_info
    elif isinstance(dg14_info, SecurityInfos):
        info = dg14_info.active_auth_info
    else:
        info = dg14_info
    challenge = os.urandom(CHALLENGE_LENGTH) if challenge is None else challenge
    if len(challenge) != CHALLENGE_LENGTH:
        raise AuthenticationError("the AA challenge must be 8 bytes")
    transmit = _transmitter(transmit_fn)
    le = 256 if key.bits <= 2048 else 65536
    try:
        response = transmit(internal_authenticate(challenge, le=le))
    except TransportError:
        raise
    except PassportError as exc:
        return AAResult(True, False, f"INTERNAL AUTHENTICATE failed: {exc}", key.algorithm)
    if not response.ok:
        return AAResult(True, False, f"chip refused INTERNAL AUTHENTICATE ({response.sw:04X})", key.algorithm)
    valid, detail = verify_aa_signature(key, challenge, response.data, info)
    return AAResult(True, valid, detail, key.algorithm)
