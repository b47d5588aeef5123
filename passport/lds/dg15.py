"""DG15: the Active Authentication public key, a SubjectPublicKeyInfo (RSA or EC, named or explicit curve)."""

from __future__ import annotations

from passport.lds.files import DATA_GROUPS, unwrap
from passport.lds.public_key import PublicKey, load_public_key
from passport.tlv import encode

TAG = DATA_GROUPS[15].tag


def decode_dg15(data: bytes) -> PublicKey:
    tlv = unwrap(data, TAG, "DG15")  # type: ignore[arg-type]
    return load_public_key(tlv.value)


def encode_dg15(key: PublicKey | bytes) -> bytes:
    """DG15 from a PublicKey or from SubjectPublicKeyInfo DER."""
    der = key.spki_der if isinstance(key, PublicKey) else load_public_key(key).spki_der
    return encode(TAG, der)  # type: ignore[arg-type]
