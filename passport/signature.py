"""Signatures named by an AlgorithmIdentifier (X.509, CRL, CMS) under an algorithm policy.

Only the hashes ICAO Doc 9303-12 §4.4 admits are used (SHA-1 for documents issued before SHA-2 was
required, SHA-224 to SHA-512); MD5 is refused outright. RSASSA-PSS must carry its parameters in a
signature's AlgorithmIdentifier (RFC 4055 §3.1), with MGF1, trailer field 1 and a salt that fits the key.
Anything else raises :class:`UnsupportedAlgorithm`, which callers report as "not valid".
"""

from __future__ import annotations

from asn1crypto import algos

from passport.asn1_guard import parse_guarded
from passport.errors import LDSError
from passport.lds.public_key import HASHES, PublicKey

ALLOWED_HASHES = frozenset(HASHES)  # sha1, sha224, sha256, sha384, sha512
FORBIDDEN_HASHES = frozenset({"md2", "md5"})


class UnsupportedAlgorithm(LDSError):
    """A signature uses an algorithm the policy refuses (MD5, malformed or missing PSS parameters, ...)."""


def check_hash(name: str | None, what: str = "hash") -> str:
    """The hash name if the policy allows it; UnsupportedAlgorithm otherwise."""
    if name in FORBIDDEN_HASHES:
        raise UnsupportedAlgorithm(f"forbidden algorithm: {what} {name} is refused")
    if name not in ALLOWED_HASHES:
        raise UnsupportedAlgorithm(f"unsupported algorithm: {what} {name}")
    return name


def _pss_parameters(algorithm: algos.SignedDigestAlgorithm, key: PublicKey) -> tuple[str, str, int]:
    """(hash, MGF1 hash, salt length) of an RSASSA-PSS AlgorithmIdentifier, checked against the policy."""
    params = algorithm["parameters"]
    if not isinstance(params, algos.RSASSAPSSParams):
        raise UnsupportedAlgorithm("unsupported algorithm: RSASSA-PSS signature without parameters")
    hash_name = check_hash(params["hash_algorithm"]["algorithm"].native, "PSS hash")
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise UnsupportedAlgorithm(f"unsupported algorithm: PSS mask generation {mgf['algorithm'].dotted}")
    mgf_hash = check_hash(mgf["parameters"]["algorithm"].native, "PSS MGF1 hash")
    salt = params["salt_length"].native
    hash_len = HASHES[hash_name].digest_size
    if not 0 <= salt <= max(0, (key.bits + 7) // 8 - hash_len - 2):
        raise UnsupportedAlgorithm(f"unsupported algorithm: PSS salt length {salt} does not fit the key")
    if params["trailer_field"].native != "trailer_field_bc":
        raise UnsupportedAlgorithm("unsupported algorithm: PSS trailer field other than 1")
    return hash_name, mgf_hash, salt


def _verify(
    key: PublicKey, algorithm: algos.SignedDigestAlgorithm, data: bytes, signature: bytes, digest: str | None
) -> bool:
    try:
        sig_algo = algorithm.signature_algo
    except ValueError:
        raise UnsupportedAlgorithm(f"unsupported algorithm {algorithm['algorithm'].dotted}") from None
    if sig_algo == "rsassa_pss":
        if key.algorithm != "rsa":
            raise LDSError("RSA-PSS signature with a non-RSA key")
        return key.verify_rsa_pss(signature, data, *_pss_parameters(algorithm, key))
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        hash_name = digest
    hash_name = check_hash(hash_name, "signature hash")
    if sig_algo == "rsassa_pkcs1v15":
        if key.algorithm != "rsa":
            raise LDSError("RSA signature with a non-RSA key")
        return key.verify_rsa_pkcs1(signature, data, hash_name)
    if sig_algo == "ecdsa":
        if key.algorithm != "ec":
            raise LDSError("ECDSA signature with a non-EC key")
        return key.verify_ecdsa(signature, data, hash_name)
    raise UnsupportedAlgorithm(f"unsupported algorithm {sig_algo}")


def verify_signature(
    key: PublicKey,
    algorithm: algos.SignedDigestAlgorithm,
    data: bytes,
    signature: bytes,
    digest_algorithm: str | None = None,
) -> bool:
    """Verify signature over data; digest_algorithm is the CMS digest when the signature OID lacks one.

    Raises LDSError (UnsupportedAlgorithm for a refused algorithm) when the signature cannot be checked.
    """
    return parse_guarded(
        lambda: _verify(key, algorithm, data, signature, digest_algorithm), "signature algorithm"
    )
