"""Symmetric cryptography of ICAO 9303-11: key derivation (§9.7.1), ISO 9797-1 padding method 2, retail MAC,
AES-CMAC, 3DES/AES-CBC and the secure-messaging IV rule (§9.8.6, §9.8.7).

Everything here works on bytes; the ciphers come from ``cryptography`` (3DES from its "decrepit" module).
Two-key 3DES keys are 16 bytes (K1 || K2) and are expanded to K1 K2 K1 internally.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from passport.errors import SecureMessagingError

CipherName = Literal["3DES", "AES"]

KDF_ENC = 1
KDF_MAC = 2
KDF_PACE = 3


def block_size(cipher: CipherName) -> int:
    return 8 if cipher == "3DES" else 16


# --- padding -----------------------------------------------------------------------------------------


def pad(data: bytes, block: int = 8) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 0x80, then zeros up to a multiple of ``block``."""
    data = bytes(data) + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    """Remove ISO/IEC 9797-1 padding method 2; SecureMessagingError when it is not there."""
    stripped = bytes(data).rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise SecureMessagingError("padding method 2 not found after decryption")
    return stripped[:-1]


# --- DES keys ----------------------------------------------------------------------------------------


def adjust_parity(key: bytes) -> bytes:
    """Set the least significant bit of every byte so that each byte has odd parity (DES key parity)."""
    out = bytearray(key)
    for i, b in enumerate(out):
        high = b & 0xFE
        out[i] = high | (0 if bin(high).count("1") % 2 else 1)
    return bytes(out)


def _des3_key(key: bytes) -> bytes:
    if len(key) == 16:
        return key + key[:8]
    if len(key) in (8, 24):
        return key
    raise ValueError(f"3DES key of {len(key)} bytes (want 16)")


# --- KDF (§9.7.1) -------------------------------------------------------------------------------------


def kdf(secret: bytes, counter: int, cipher: CipherName = "3DES", key_length: int = 16) -> bytes:
    """KDF(K, c) of 9303-11 §9.7.1: SHA-1 for 3DES and AES-128, SHA-256 for AES-192/256.

    For 3DES the two 8-byte halves get their parity bits adjusted (Appendix D.1 shows adjusted keys).
    """
    data = bytes(secret) + counter.to_bytes(4, "big")
    if cipher == "3DES":
        return adjust_parity(hashlib.sha1(data).digest()[:16])
    if key_length == 16:
        return hashlib.sha1(data).digest()[:16]
    if key_length in (24, 32):
        return hashlib.sha256(data).digest()[:key_length]
    raise ValueError(f"AES key length {key_length} (want 16, 24 or 32)")


# --- block cipher modes -------------------------------------------------------------------------------


def _algorithm(cipher: CipherName, key: bytes) -> algorithms.AES | TripleDES:
    return TripleDES(_des3_key(key)) if cipher == "3DES" else algorithms.AES(key)


def cbc_encrypt(cipher: CipherName, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """CBC encryption of block-aligned data (no padding added); IV defaults to zeros."""
    iv = iv if iv is not None else bytes(block_size(cipher))
    enc = Cipher(_algorithm(cipher, key), modes.CBC(iv)).encryptor()
    return enc.update(bytes(data)) + enc.finalize()


def cbc_decrypt(cipher: CipherName, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    if len(data) % block_size(cipher):
        raise SecureMessagingError(f"{cipher} ciphertext of {len(data)} bytes is not block aligned")
    iv = iv if iv is not None else bytes(block_size(cipher))
    dec = Cipher(_algorithm(cipher, key), modes.CBC(iv)).decryptor()
    return dec.update(bytes(data)) + dec.finalize()


def ecb_encrypt_block(cipher: CipherName, key: bytes, block: bytes) -> bytes:
    enc = Cipher(_algorithm(cipher, key), modes.ECB()).encryptor()
    return enc.update(bytes(block)) + enc.finalize()


def des3_cbc_encrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    return cbc_encrypt("3DES", key, data, iv)


def des3_cbc_decrypt(key: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    return cbc_decrypt("3DES", key, data, iv)


def aes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    return cbc_encrypt("AES", key, data, iv)


def aes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    return cbc_decrypt("AES", key, data, iv)


def sm_iv(cipher: CipherName, ks_enc: bytes, ssc: bytes) -> bytes:
    """The SM encryption IV: zero for 3DES (§9.8.6.1), E(KSenc, SSC) for AES (§9.8.7.1)."""
    if cipher == "3DES":
        return bytes(8)
    return ecb_encrypt_block("AES", ks_enc, ssc)


# --- MACs ---------------------------------------------------------------------------------------------


def retail_mac(key: bytes, data: bytes, *, padded: bool = False) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (retail MAC), zero IV, 8 bytes.

    ``key`` is Ka || Kb (16 bytes). The data is padded with method 2 unless ``padded`` says it already is.
    """
    if len(key) != 16:
        raise ValueError(f"retail MAC key of {len(key)} bytes (want 16)")
    msg = bytes(data) if padded else pad(data, 8)
    if not msg or len(msg) % 8:
        raise ValueError("retail MAC input is not a non-empty multiple of 8 bytes")
    ka, kb = key[:8], key[8:]
    h = cbc_encrypt("3DES", ka * 3, msg)[-8:]  # K1=K2=K3 is single DES
    dec = Cipher(TripleDES(kb * 3), modes.ECB()).decryptor()
    h = dec.update(h) + dec.finalize()
    return ecb_encrypt_block("3DES", ka * 3, h)


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC (NIST SP 800-38B), the full 16 bytes."""
    mac = CMAC(algorithms.AES(key))
    mac.update(bytes(data))
    return mac.finalize()


def mac8(cipher: CipherName, key: bytes, data: bytes, *, padded: bool = False) -> bytes:
    """The 8-byte MAC of 9303: retail MAC or AES-CMAC truncated to 8 bytes.

    ``padded=True`` when the caller already applied padding method 2 (secure messaging pads SSC || data
    itself, §9.8.1); the retail MAC then adds nothing. CMAC always runs over the bytes as given.
    """
    if cipher == "3DES":
        return retail_mac(key, data, padded=padded)
    return aes_cmac(key, data)[:8]


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(bytes(a), bytes(b))
