"""SubjectPublicKeyInfo as found in DG14, DG15 and certificates, with signature verification.

eMRTD keys often carry EXPLICIT elliptic-curve domain parameters, which `cryptography` refuses to
load. EC keys are therefore held as domain parameters plus a point and verified with the `ecdsa`
package, which accepts explicit curves (and recognises the standard ones among them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import ecdsa
from asn1crypto import core, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from ecdsa.ellipticcurve import CurveFp, PointJacobi
from ecdsa.util import sigdecode_der, sigdecode_string

from passport.errors import LDSError

MAX_KEY_BITS = 8192

HASHES = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def hash_bytes(hash_name: str, data: bytes) -> bytes:
    """Digest of data with a hash named as asn1crypto names it ('sha1', 'sha256', ...)."""
    if hash_name not in HASHES:
        raise LDSError(f"unsupported hash algorithm {hash_name!r}")
    return hashlib.new(hash_name, data).digest()


@dataclass(frozen=True)
class ECDomain:
    """Prime-field elliptic curve domain parameters (explicit or resolved from a named curve)."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    h: int
    name: str | None = None

    @property
    def size_bytes(self) -> int:
        return (self.p.bit_length() + 7) // 8

    def ecdsa_curve(self) -> ecdsa.curves.Curve:
        for known in ecdsa.curves.curves:
            c = known.curve
            g = known.generator
            if (c.p(), c.a() % c.p(), c.b(), g.x(), g.y(), known.order) == (
                self.p,
                self.a % self.p,
                self.b,
                self.gx,
                self.gy,
                self.n,
            ):
                return known
        fp = CurveFp(self.p, self.a, self.b, self.h)
        gen = PointJacobi(fp, self.gx, self.gy, 1, self.n, generator=True)
        return ecdsa.curves.Curve(f"explicit-{self.p.bit_length()}", fp, gen, (0, 0))

    def decode_point(self, point: bytes) -> tuple[int, int]:
        """Uncompressed point 04||x||y → (x, y), checked to lie on the curve."""
        size = self.size_bytes
        if len(point) != 1 + 2 * size or point[0] != 0x04:
            raise LDSError("EC point is not an uncompressed point of the curve's size")
        x = int.from_bytes(point[1 : 1 + size], "big")
        y = int.from_bytes(point[1 + size :], "big")
        if not (0 <= x < self.p and 0 <= y < self.p) or (y * y - x * x * x - self.a * x - self.b) % self.p:
            raise LDSError("EC point is not on the curve")
        return x, y

    def multiply(self, x: int, y: int, k: int) -> tuple[int, int]:
        """k·(x, y) on this curve (ECDH); LDSError for the point at infinity."""
        curve = self.ecdsa_curve()
        point = PointJacobi(curve.curve, x, y, 1, self.n) * k
        if point == ecdsa.ellipticcurve.INFINITY or point.x() is None:
            raise LDSError("EC scalar multiplication gave the point at infinity")
        return point.x(), point.y()

    def generator_multiply(self, k: int) -> tuple[int, int]:
        point = self.ecdsa_curve().generator * k
        return point.x(), point.y()

    def encode_point(self, x: int, y: int) -> bytes:
        size = self.size_bytes
        return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")

    def to_specified(self) -> keys.SpecifiedECDomain:
        size = self.size_bytes
        return keys.SpecifiedECDomain(
            {
                "version": "ecdpVer1",
                "field_id": {"field_type": "prime_field", "parameters": core.Integer(self.p)},
                "curve": {
                    "a": (self.a % self.p).to_bytes(size, "big"),
                    "b": self.b.to_bytes(size, "big"),
                },
                "base": self.encode_point(self.gx, self.gy),
                "order": self.n,
                "cofactor": self.h,
            }
        )


def ec_domain_from_params(params: keys.ECDomainParameters) -> ECDomain:
    """Resolve named or explicit ECDomainParameters into an ECDomain."""
    try:
        if params.name == "named":
            name = params.chosen.native
            for known in ecdsa.curves.curves:
                if known.oid and ".".join(str(x) for x in known.oid) == params.chosen.dotted:
                    c, g = known.curve, known.generator
                    return ECDomain(c.p(), c.a() % c.p(), c.b(), g.x(), g.y(), known.order, 1, known.name)
            raise LDSError(f"unknown named curve {name}")
        if params.name != "specified":
            raise LDSError("implicitCA EC parameters are not supported")
        spec = params.chosen
        if spec["field_id"]["field_type"].native != "prime_field":
            raise LDSError("only prime-field curves are supported")
        p = spec["field_id"]["parameters"].native
        if not isinstance(p, int) or p < 3 or p.bit_length() > 1024:
            raise LDSError("EC prime out of range")
        a = int.from_bytes(spec["curve"]["a"].native, "big")
        b = int.from_bytes(spec["curve"]["b"].native, "big")
        n = spec["order"].native
        h = spec["cofactor"].native if spec["cofactor"].native is not None else 1
        base = spec["base"].native
        domain = ECDomain(p, a % p, b % p, 0, 0, n, h)
        gx, gy = domain.decode_point(base)
        domain = ECDomain(p, a % p, b % p, gx, gy, n, h)
        if not isinstance(n, int) or n < 3:
            raise LDSError("EC order out of range")
        curve = domain.ecdsa_curve()
        known = curve in ecdsa.curves.curves
        return ECDomain(p, a % p, b % p, gx, gy, n, h, curve.name if known else None)
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise LDSError(f"malformed EC domain parameters: {exc}") from exc


@dataclass(frozen=True)
class DHDomain:
    p: int
    g: int
    q: int | None


@dataclass(frozen=True)
class PublicKey:
    """A decoded SubjectPublicKeyInfo: RSA (n, e), EC (domain, point) or DH (domain, y)."""

    algorithm: str  # "rsa" | "ec" | "dh"
    spki_der: bytes
    rsa_n: int = 0
    rsa_e: int = 0
    ec_domain: ECDomain | None = None
    ec_point: bytes = b""
    dh_domain: DHDomain | None = None
    dh_y: int = 0

    @property
    def bits(self) -> int:
        if self.algorithm == "rsa":
            return self.rsa_n.bit_length()
        if self.algorithm == "ec" and self.ec_domain:
            return self.ec_domain.n.bit_length()
        if self.dh_domain:
            return self.dh_domain.p.bit_length()
        return 0

    def rsa_key(self) -> rsa.RSAPublicKey:
        if self.algorithm != "rsa":
            raise LDSError("not an RSA key")
        try:
            return rsa.RSAPublicNumbers(self.rsa_e, self.rsa_n).public_key()
        except ValueError as exc:
            raise LDSError(f"invalid RSA key: {exc}") from exc

    def ecdsa_key(self) -> ecdsa.VerifyingKey:
        if self.algorithm != "ec" or self.ec_domain is None:
            raise LDSError("not an EC key")
        try:
            return ecdsa.VerifyingKey.from_string(self.ec_point, curve=self.ec_domain.ecdsa_curve())
        except (ecdsa.errors.MalformedPointError, ValueError, AssertionError) as exc:
            raise LDSError(f"invalid EC public key: {exc}") from exc

    def verify_ecdsa(self, signature: bytes, data: bytes, hash_name: str, plain: bool = False) -> bool:
        """ECDSA over data; signature DER-encoded (CMS/X.509) or plain r||s (TR-03111, AA)."""
        digest = hash_bytes(hash_name, data)
        vk = self.ecdsa_key()
        try:
            decode = sigdecode_string if plain else sigdecode_der
            return bool(vk.verify_digest(signature, digest, sigdecode=decode, allow_truncate=True))
        except (ecdsa.BadSignatureError, ecdsa.der.UnexpectedDER, ValueError, AssertionError):
            return False

    def verify_rsa_pkcs1(self, signature: bytes, data: bytes, hash_name: str) -> bool:
        try:
            self.rsa_key().verify(signature, data, padding.PKCS1v15(), HASHES[hash_name]())
            return True
        except InvalidSignature:
            return False

    def verify_rsa_pss(self, signature: bytes, data: bytes, hash_name: str, mgf_hash: str, salt: int) -> bool:
        try:
            self.rsa_key().verify(
                signature, data, padding.PSS(padding.MGF1(HASHES[mgf_hash]()), salt), HASHES[hash_name]()
            )
            return True
        except InvalidSignature:
            return False


ID_STANDARDIZED_DOMAIN_PARAMETERS = "0.4.0.127.0.7.1.2"
# BSI TR-03110-3 Table 4: standardized domain parameter IDs of elliptic curves (IDs 0-2 are MODP groups)
STANDARDIZED_CURVES = {
    8: "NIST192p", 9: "BRAINPOOLP192r1", 10: "NIST224p", 11: "BRAINPOOLP224r1", 12: "NIST256p",
    13: "BRAINPOOLP256r1", 14: "BRAINPOOLP320r1", 15: "NIST384p", 16: "BRAINPOOLP384r1",
    17: "BRAINPOOLP512r1", 18: "NIST521p",
}  # fmt: skip


class _AlgorithmIdentifier(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _RawSPKI(core.Sequence):
    _fields = [("algorithm", _AlgorithmIdentifier), ("public_key", core.BitString)]


def domain_from_standardized_id(param_id: int) -> ECDomain:
    """EC domain parameters of a BSI TR-03110 standardized domain parameter ID."""
    name = STANDARDIZED_CURVES.get(param_id)
    if name is None:
        raise LDSError(f"standardized domain parameters {param_id} are not a supported elliptic curve")
    known = ecdsa.curves.curve_by_name(name)
    c, g = known.curve, known.generator
    return ECDomain(c.p(), c.a() % c.p(), c.b(), g.x(), g.y(), known.order, 1, known.name)


def _standardized_key(der: bytes) -> PublicKey | None:
    """Keys given as id-StandardizedDomainParameters + ID (EF.CardSecurity, TR-03110)."""
    raw = _RawSPKI.load(der, strict=True)
    if raw["algorithm"]["algorithm"].dotted != ID_STANDARDIZED_DOMAIN_PARAMETERS:
        return None
    param_id = core.Integer.load(raw["algorithm"]["parameters"].dump(), strict=True).native
    domain = domain_from_standardized_id(param_id)
    bits = raw["public_key"].contents
    if not bits or bits[0] != 0:
        raise LDSError("EC public key is not a whole number of bytes")
    point = bytes(bits[1:])
    domain.decode_point(point)
    return PublicKey("ec", der, ec_domain=domain, ec_point=point)


def _int_bounded(value: object, what: str) -> int:
    if not isinstance(value, int) or value <= 0 or value.bit_length() > MAX_KEY_BITS:
        raise LDSError(f"{what} out of range")
    return value


def load_public_key(spki: bytes | keys.PublicKeyInfo) -> PublicKey:
    """Decode a SubjectPublicKeyInfo (DER or parsed); raises LDSError on anything malformed or unsupported."""
    try:
        der = spki.dump() if isinstance(spki, keys.PublicKeyInfo) else bytes(spki)
        standardized = _standardized_key(der)
        if standardized is not None:
            return standardized
        info = keys.PublicKeyInfo.load(der, strict=True)
        alg = info["algorithm"]["algorithm"].native
        if alg in ("rsa", "rsassa_pss"):
            rsa_pub = info["public_key"].parsed
            # Read as unsigned: some issued keys (bsi2008's DG15) omit the leading zero of the modulus.
            n = _int_bounded(int.from_bytes(rsa_pub["modulus"].contents, "big"), "RSA modulus")
            e = _int_bounded(rsa_pub["public_exponent"].native, "RSA exponent")
            return PublicKey("rsa", der, rsa_n=n, rsa_e=e)
        if alg == "ec":
            domain = ec_domain_from_params(info["algorithm"]["parameters"])
            point = info["public_key"].native
            if isinstance(point, tuple):  # asn1crypto may not unwrap it
                point = bytes(point)
            domain.decode_point(point)
            return PublicKey("ec", der, ec_domain=domain, ec_point=point)
        if alg == "dh":
            params = info["algorithm"]["parameters"]
            p = _int_bounded(params["p"].native, "DH prime")
            g = _int_bounded(params["g"].native, "DH generator")
            q = params["q"].native
            y = _int_bounded(info["public_key"].parsed.native, "DH public value")
            return PublicKey("dh", der, dh_domain=DHDomain(p, g, q), dh_y=y)
        raise LDSError(f"unsupported public key algorithm {alg}")
    except LDSError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise LDSError(f"malformed SubjectPublicKeyInfo: {exc}") from exc
