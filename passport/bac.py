"""Basic Access Control, terminal side (ICAO 9303-11 §4.3, worked example in Appendix D).

GET CHALLENGE, then MUTUAL AUTHENTICATE (INS 82) with E_IFD || M_IFD, then the session keys from
K_IFD xor K_IC and the SSC from the low halves of RND.IC and RND.IFD.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from passport import crypto
from passport.apdu import ResponseAPDU, external_authenticate, get_challenge
from passport.errors import AccessControlError, APDUError, CardStatusError
from passport.sm import SecureMessaging, Transport


@dataclass(frozen=True)
class BacKeys:
    """The document basic access keys K_Enc and K_MAC (§9.7.2)."""

    k_enc: bytes
    k_mac: bytes

    @classmethod
    def from_seed(cls, key_seed: bytes) -> BacKeys:
        if len(key_seed) != 16:
            raise AccessControlError(f"BAC key seed of {len(key_seed)} bytes (want 16)")
        return cls(crypto.kdf(key_seed, crypto.KDF_ENC), crypto.kdf(key_seed, crypto.KDF_MAC))


def cryptogram(keys: BacKeys, first: bytes, second: bytes, key_half: bytes) -> bytes:
    """E(K_Enc, first || second || key_half) || MAC(K_MAC, E): E_IFD||M_IFD or E_IC||M_IC."""
    encrypted = crypto.des3_cbc_encrypt(keys.k_enc, first + second + key_half)
    return encrypted + crypto.retail_mac(keys.k_mac, encrypted)


def open_cryptogram(keys: BacKeys, data: bytes) -> bytes:
    """Verify M and decrypt E of a 40-byte BAC cryptogram; AccessControlError on any mismatch."""
    if len(data) != 40:
        raise AccessControlError(f"BAC cryptogram of {len(data)} bytes (want 40)")
    encrypted, mac = data[:32], data[32:]
    if not crypto.constant_time_equal(crypto.retail_mac(keys.k_mac, encrypted), mac):
        raise AccessControlError("BAC cryptogram MAC does not verify (wrong MRZ key?)")
    return crypto.des3_cbc_decrypt(keys.k_enc, encrypted)


def session_from_key_halves(k_ifd: bytes, k_ic: bytes, rnd_ic: bytes, rnd_ifd: bytes) -> SecureMessaging:
    """Session keys from K_IFD xor K_IC and SSC = RND.IC[4:8] || RND.IFD[4:8] (§9.8.6.3)."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big")
    return SecureMessaging(crypto.kdf(seed, crypto.KDF_ENC), crypto.kdf(seed, crypto.KDF_MAC), ssc, "3DES")


def _exchange(transport: Transport, apdu: bytes, context: str) -> ResponseAPDU:
    try:
        return ResponseAPDU.from_bytes(transport.transmit(apdu))
    except APDUError as exc:
        raise AccessControlError(f"{context}: {exc}") from exc


def perform_bac(
    transport: Transport, key_seed: bytes, rnd_ifd: bytes | None = None, k_ifd: bytes | None = None
) -> SecureMessaging:
    """Run BAC; return the secure-messaging session. ``rnd_ifd``/``k_ifd`` are for reproducible tests."""
    keys = BacKeys.from_seed(key_seed)
    rnd_ifd = rnd_ifd if rnd_ifd is not None else secrets.token_bytes(8)
    k_ifd = k_ifd if k_ifd is not None else secrets.token_bytes(16)
    if len(rnd_ifd) != 8 or len(k_ifd) != 16:
        raise AccessControlError("RND.IFD must be 8 bytes and K.IFD 16 bytes")

    challenge = _exchange(transport, get_challenge(8).to_bytes(), "GET CHALLENGE")
    if not challenge.ok:
        raise CardStatusError(challenge.sw, "GET CHALLENGE")
    rnd_ic = challenge.data
    if len(rnd_ic) != 8:
        raise AccessControlError(f"GET CHALLENGE returned {len(rnd_ic)} bytes (want 8)")

    answer = _exchange(
        transport, external_authenticate(cryptogram(keys, rnd_ifd, rnd_ic, k_ifd), le=40).to_bytes(),
        "MUTUAL AUTHENTICATE")
    if not answer.ok:
        raise AccessControlError(
            f"BAC rejected by the chip with {answer.sw:04X} (wrong MRZ key or BAC not supported)")
    plain = open_cryptogram(keys, answer.data)
    if not crypto.constant_time_equal(plain[:8], rnd_ic) or not crypto.constant_time_equal(plain[8:16], rnd_ifd):
        raise AccessControlError("BAC response does not contain the exchanged nonces")
    return session_from_key_halves(k_ifd, plain[16:32], rnd_ic, rnd_ifd)
