"""The hash chain: how one audit record is encoded, hashed and sealed.

A record's hash is SHA-256 over the canonical encoding of ``[seq, time, kind, body, prev_hash]``: a JSON array
(UTF-8, no spaces, no ASCII escaping) in which ``seq`` is an integer and the others are the stored strings
exactly as they are in the database (``body`` is the record's canonical JSON text, not re-serialised). The
first record's ``prev_hash`` is :data:`GENESIS_HASH`. Anyone can recompute the chain from an export.

The seal is HMAC-SHA256 of the record's hash under a key derived from the gate's audit key: without the key,
a forger who rewrites records and recomputes every hash after them still cannot produce valid seals.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

GENESIS_HASH = "0" * 64
MIN_KEY_BYTES = 16
_SEAL_LABEL = b"egate audit record seal v1"
_HEAD_LABEL = b"egate audit head seal v1"


def canonical_json(body: Any) -> str:
    """The one text form of a JSON value: sorted keys, no spaces, UTF-8 characters as they are, no NaN."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(seq: int, time: str, kind: str, body: str, prev_hash: str) -> str:
    encoded = json.dumps([seq, time, kind, body, prev_hash], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _subkey(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def record_seal(key: bytes, record_hash_hex: str) -> str:
    return hmac.new(_subkey(key, _SEAL_LABEL), record_hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


def head_seal(key: bytes, seq: int, record_hash_hex: str) -> str:
    message = f"{seq}|{record_hash_hex}".encode("ascii")
    return hmac.new(_subkey(key, _HEAD_LABEL), message, hashlib.sha256).hexdigest()


def keyed_document_hash(key: bytes, number: str) -> str:
    """HMAC-SHA256 (hex) of a document number, upper-cased with MRZ fillers and spaces removed."""
    normalised = number.strip().upper().replace("<", "").replace(" ", "")
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
