"""PACE v2 (ICAO 9303-11 §4.4), terminal side, plus the protocol arithmetic the chip side shares.

Supported: DH and ECDH with the standardized domain parameters 0-2 and 8-18, Generic Mapping, Integrated
Mapping (pseudo-random function of §4.4.3.3.2 with 3DES or AES, point encoding of Appendix B.2; not for
NIST P-224, whose prime is not 3 mod 4), and Chip Authentication Mapping (ECDH-CAM, §4.4.3.5), with 3DES
and AES-128/192/256 session keys. Worked examples: Appendix G (GM), H (IM) and I (CAM).

The APDUs: MSE:Set AT, then four chained GENERAL AUTHENTICATE commands (encrypted nonce, map nonce, key
agreement, mutual authentication with the authentication tokens over the public-key data object 7F49).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from ecdsa import ellipticcurve
from ecdsa.curves import Curve

from passport import crypto, ecdh
from passport.apdu import CommandAPDU, ResponseAPDU, mse_set_at
from passport.crypto import CipherName
from passport.errors import (
    AccessControlError,
    APDUError,
    PaceCheckFailed,
    PaceRefused,
    SecureMessagingError,
    TLVError,
)
from passport.pace_params import (
    DHGroup,
    PaceAlgorithm,
    domain_parameters,
    pace_algorithm,
)
from passport.sm import SecureMessaging, Transport
from passport.tlv import TLV, decode_one, encode

PasswordRef = Literal["MRZ", "CAN"]
PASSWORD_REFERENCES: dict[str, int] = {"MRZ": 0x01, "CAN": 0x02}

# Pseudo-random number mapping constants (§4.4.3.3.2): l = 128 for 3DES and AES-128, l = 256 otherwise.
_C0_128 = bytes.fromhex("a668892a7c41e3ca739f40b057d85904")
_C1_128 = bytes.fromhex("a4e136ac725f738b01c1f60217c188ad")
_C0_256 = bytes.fromhex("d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676")
_C1_256 = bytes.fromhex("54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517")
_CAM_IV_INPUT = b"\xff" * 16


# --- PACEInfo --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaceInfo:
    """The parts of a PACEInfo (EF.CardAccess) that PACE needs."""

    oid: str
    version: int
    parameter_id: int  # standardized domain parameters: 0-2 DH, 8-18 ECDH

    @classmethod
    def from_oid(cls, oid_or_name: str, parameter_id: int, version: int = 2) -> PaceInfo:
        """From a dotted OID or a name such as ``id-PACE-ECDH-GM-AES-CBC-CMAC-128``."""
        return cls(pace_algorithm(oid_or_name).oid, version, parameter_id)

    @property
    def algorithm(self) -> PaceAlgorithm:
        return pace_algorithm(self.oid)


# --- group arithmetic -------------------------------------------------------------------------------------


class DhOps:
    """Arithmetic in a MODP group; elements are ints, encoded big-endian over the length of p."""

    kind = "DH"

    def __init__(self, group: DHGroup, generator: int | None = None):
        self.group = group
        self.generator = group.g if generator is None else generator

    @property
    def prime(self) -> int:
        return self.group.p

    def with_generator(self, generator: int) -> DhOps:
        return DhOps(self.group, generator)

    def random_private(self) -> int:
        return secrets.randbelow(self.group.q - 1) + 1

    def public(self, private: int) -> int:
        return pow(self.generator, private, self.group.p)

    def encode(self, element: int) -> bytes:
        return element.to_bytes(self.group.size, "big")

    def decode(self, data: bytes) -> int:
        """Validate a received public value (RFC 2631 §2.1.5: 1 < y < p-1 and y^q = 1)."""
        y = int.from_bytes(data, "big")
        p = self.group.p
        if not data or len(data) > self.group.size or not 1 < y < p - 1 or pow(y, self.group.q, p) != 1:
            raise AccessControlError("received DH public key is not in the prime-order subgroup")
        return y

    def agree(self, private: int, peer: int) -> int:
        shared = pow(peer, private, self.group.p)
        if shared <= 1:
            raise AccessControlError("DH key agreement gave a degenerate value")
        return shared

    def shared_secret(self, element: int) -> bytes:
        return self.encode(element)

    def generic_map(self, nonce: int, shared: int) -> int:
        """ĝ = g^s · h (§4.4.3.3.1)."""
        mapped = pow(self.group.g, nonce, self.group.p) * shared % self.group.p
        if mapped <= 1:
            raise AccessControlError("generic mapping gave a degenerate generator")
        return mapped

    def integrated_map(self, x: int) -> int:
        """ĝ = x^((p-1)/q) mod p (§4.4.3.3.2), never 1."""
        mapped = pow(x, (self.group.p - 1) // self.group.q, self.group.p)
        if mapped <= 1:
            raise AccessControlError("integrated mapping gave a degenerate generator")
        return mapped

    def scalar(self, element: int, k: int) -> int:
        return pow(element, k, self.group.p)


class EcOps:
    """Arithmetic on a prime curve (``ecdsa`` points); elements encode as uncompressed points 04||X||Y.

    Products with secret scalars (ephemeral keys, the nonce) go through :mod:`passport.ecdh` (OpenSSL,
    constant time) on the curves OpenSSL knows; python-ecdsa adds points and serves the other curves."""

    kind = "ECDH"

    def __init__(self, curve: Curve, generator: ellipticcurve.PointJacobi | None = None):
        self.curve = curve
        self.generator = curve.generator if generator is None else generator
        self.field_size = (curve.curve.p().bit_length() + 7) // 8

    @property
    def prime(self) -> int:
        return self.curve.curve.p()

    def with_generator(self, generator: ellipticcurve.PointJacobi) -> EcOps:
        return EcOps(self.curve, generator)

    def point(self, x: int, y: int) -> ellipticcurve.PointJacobi:
        return ellipticcurve.PointJacobi(self.curve.curve, x, y, 1, self.curve.order)

    def random_private(self) -> int:
        return secrets.randbelow(self.curve.order - 1) + 1

    def public(self, private: int) -> ellipticcurve.PointJacobi:
        return self._multiply(self.generator, private)

    def _multiply(self, point: ellipticcurve.PointJacobi, k: int) -> ellipticcurve.PointJacobi:
        try:
            return ecdh.multiply(self.curve, point, k)
        except ecdh.ECDHError as exc:
            raise AccessControlError(f"ECDH: {exc}") from exc

    def encode(self, element: ellipticcurve.PointJacobi) -> bytes:
        n = self.field_size
        return b"\x04" + element.x().to_bytes(n, "big") + element.y().to_bytes(n, "big")

    def decode(self, data: bytes) -> ellipticcurve.PointJacobi:
        """Validate a received point: uncompressed, on the curve, not infinity (all cofactors are 1)."""
        n = self.field_size
        if len(data) != 1 + 2 * n or data[0] != 0x04:
            raise AccessControlError(f"received EC public key is not an uncompressed {8 * n}-bit point")
        x, y = int.from_bytes(data[1 : 1 + n], "big"), int.from_bytes(data[1 + n :], "big")
        p = self.prime
        if x >= p or y >= p or not self.curve.curve.contains_point(x, y):
            raise AccessControlError("received EC public key is not on the curve")
        return self.point(x, y)

    def agree(self, private: int, peer: ellipticcurve.PointJacobi) -> ellipticcurve.PointJacobi:
        return self._multiply(peer, private)

    def shared_secret(self, element: ellipticcurve.PointJacobi) -> bytes:
        """The x-coordinate, the octet string the KDF takes (§9.7.1 note)."""
        return element.x().to_bytes(self.field_size, "big")

    def generic_map(self, nonce: int, shared: ellipticcurve.PointJacobi) -> ellipticcurve.PointJacobi:
        """Ĝ = s·G + H (§4.4.3.3.1)."""
        mapped = self._multiply(self.curve.generator, nonce) + shared
        if mapped == ellipticcurve.INFINITY:
            raise AccessControlError("generic mapping gave the point at infinity")
        return self.point(mapped.x(), mapped.y())

    def integrated_map(self, t: int) -> ellipticcurve.PointJacobi:
        x, y = point_encode(self.curve, t)
        return self.point(x, y)

    def scalar(self, element: ellipticcurve.PointJacobi, k: int) -> ellipticcurve.PointJacobi:
        return element * k


GroupOps = DhOps | EcOps


def group_ops(algorithm: PaceAlgorithm, parameter_id: int) -> GroupOps:
    params = domain_parameters(parameter_id)
    if isinstance(params, DHGroup):
        if algorithm.agreement != "DH":
            raise AccessControlError(f"{algorithm.name} needs an elliptic curve, parameter ID {parameter_id} is DH")
        return DhOps(params)
    if algorithm.agreement != "ECDH":
        raise AccessControlError(f"{algorithm.name} needs a DH group, parameter ID {parameter_id} is a curve")
    if algorithm.mapping == "IM" and params.curve.p() % 4 != 3:
        raise AccessControlError(f"integrated mapping needs p = 3 mod 4; {params.name} does not have it")
    return EcOps(params)


def point_encode(curve: Curve, t: int) -> tuple[int, int]:
    """f_G of the ECDH integrated mapping, affine version (9303-11 Appendix B.2), for p = 3 mod 4."""
    p, a, b = curve.curve.p(), curve.curve.a(), curve.curve.b()
    if p % 4 != 3:
        raise AccessControlError("point encoding needs p = 3 mod 4")
    t %= p
    if t == 0:
        raise AccessControlError("point encoding input is zero")
    alpha = -t * t % p
    denominator = a * (alpha + alpha * alpha) % p
    if denominator == 0:
        raise AccessControlError("point encoding input is degenerate")
    x2 = -b * (1 + alpha + alpha * alpha) * pow(denominator, p - 2, p) % p
    x3 = alpha * x2 % p
    h2 = (pow(x2, 3, p) + a * x2 + b) % p
    u = pow(t, 3, p) * h2 % p
    big_a = pow(h2, p - 1 - (p + 1) // 4, p)
    if big_a * big_a * h2 % p == 1:
        x, y = x2, big_a * h2 % p
    else:
        x, y = x3, big_a * u % p
    if not curve.curve.contains_point(x, y):  # cannot happen for a correct curve; keeps the invariant explicit
        raise AccessControlError("point encoding left the curve")
    cofactor = curve.curve.cofactor() or 1
    if cofactor != 1:
        pt = ellipticcurve.PointJacobi(curve.curve, x, y, 1) * cofactor
        x, y = pt.x(), pt.y()
    return x, y


# --- symmetric parts --------------------------------------------------------------------------------------


def password_key(password: bytes | str, password_ref: PasswordRef) -> bytes:
    """K = f(π) (§9.7.3): SHA-1 of the MRZ information, or the CAN as ISO 8859-1 characters."""
    raw = password.encode("latin-1") if isinstance(password, str) else bytes(password)
    if not raw:
        raise AccessControlError("empty PACE password")
    if password_ref == "MRZ":
        return hashlib.sha1(raw).digest()
    if password_ref == "CAN":
        return raw
    raise AccessControlError(f"password reference {password_ref!r} (want 'MRZ' or 'CAN')")


def derive_kpi(k: bytes, algorithm: PaceAlgorithm) -> bytes:
    return crypto.kdf(k, crypto.KDF_PACE, algorithm.cipher, algorithm.key_length)


def session_keys(shared_secret: bytes, algorithm: PaceAlgorithm) -> tuple[bytes, bytes]:
    return (crypto.kdf(shared_secret, crypto.KDF_ENC, algorithm.cipher, algorithm.key_length),
            crypto.kdf(shared_secret, crypto.KDF_MAC, algorithm.cipher, algorithm.key_length))


def encrypt_nonce(k_pi: bytes, nonce: bytes, cipher: CipherName) -> bytes:
    return crypto.cbc_encrypt(cipher, k_pi, nonce)


def decrypt_nonce(k_pi: bytes, encrypted: bytes, cipher: CipherName) -> bytes:
    if not encrypted or len(encrypted) % crypto.block_size(cipher):
        raise AccessControlError(f"encrypted nonce of {len(encrypted)} bytes is not whole cipher blocks")
    try:
        return crypto.cbc_decrypt(cipher, k_pi, encrypted)
    except SecureMessagingError as exc:
        raise AccessControlError(str(exc)) from exc


def nonce_length(algorithm: PaceAlgorithm) -> int:
    """Length of s: one cipher block for GM/CAM; for IM the smallest block multiple >= k (§4.4.3.3)."""
    if algorithm.mapping != "IM":
        return crypto.block_size(algorithm.cipher)
    return 16 if algorithm.cipher == "3DES" or algorithm.key_length == 16 else 32


def terminal_nonce_length(algorithm: PaceAlgorithm) -> int:
    """Length of t for IM: the key size k (3DES counts as 128 bits)."""
    return 16 if algorithm.cipher == "3DES" else algorithm.key_length


def pseudo_random(s: bytes, t: bytes, prime: int, algorithm: PaceAlgorithm) -> bytes:
    """R(s, t) of §4.4.3.3.2: k0 = E(t, s); x_i = E(k_i, c1); k_{i+1} = E(k_i, c0), all CBC with IV 0.

    Returns x_1 || ... || x_n with n the least number such that n·l >= log2 p + 64; R_p is this mod p.
    """
    cipher, key_length = algorithm.cipher, algorithm.key_length
    long_constants = cipher == "AES" and key_length > 16
    c0, c1 = (_C0_256, _C1_256) if long_constants else (_C0_128, _C1_128)
    l_bits = len(c0) * 8
    if len(s) * 8 != l_bits or len(t) != terminal_nonce_length(algorithm):
        raise AccessControlError(f"IM nonces of {len(s)}/{len(t)} bytes do not fit {algorithm.name}")
    n = -(-(prime.bit_length() + 64) // l_bits)
    key = crypto.cbc_encrypt(cipher, t, s)
    out = b""
    for _ in range(n):
        key = key[:key_length]
        out += crypto.cbc_encrypt(cipher, key, c1)
        key = crypto.cbc_encrypt(cipher, key, c0)
    return out


def public_key_data_object(algorithm: PaceAlgorithm, public_key: bytes) -> bytes:
    """7F49 { 06 OID, 86 point | 84 DH value } — the input of the authentication token (§4.4.3.4, §9.4)."""
    tag = 0x86 if algorithm.agreement == "ECDH" else 0x84
    return encode(0x7F49, encode(0x06, algorithm.oid_bytes) + encode(tag, public_key))


def authentication_token(algorithm: PaceAlgorithm, ks_mac: bytes, public_key: bytes) -> bytes:
    return crypto.mac8(algorithm.cipher, ks_mac, public_key_data_object(algorithm, public_key))


def cam_iv(ks_enc: bytes) -> bytes:
    return crypto.ecb_encrypt_block("AES", ks_enc, _CAM_IV_INPUT)


def encrypt_chip_authentication_data(ks_enc: bytes, ca_ic: bytes) -> bytes:
    """A_IC = E(KSenc, CA_IC), AES-CBC with IV = E(KSenc, -1) and padding method 2 (§4.4.3.5)."""
    return crypto.aes_cbc_encrypt(ks_enc, crypto.pad(ca_ic, 16), cam_iv(ks_enc))


def decrypt_chip_authentication_data(ks_enc: bytes, a_ic: bytes) -> bytes:
    if not a_ic or len(a_ic) % 16:
        raise AccessControlError("encrypted chip authentication data is not whole AES blocks")
    try:
        return crypto.unpad(crypto.aes_cbc_decrypt(ks_enc, a_ic, cam_iv(ks_enc)))
    except SecureMessagingError as exc:
        raise AccessControlError(f"chip authentication data: {exc}") from exc


def verify_chip_authentication_mapping(
    parameter_id: int, ca_ic: bytes, pk_ic: bytes, pk_map_ic: bytes
) -> bool:
    """§4.4.3.5.2: PK_Map,IC = KA(CA_IC, PK_IC). ``pk_ic`` is the static key from EF.DG14/EF.CardSecurity
    (uncompressed point), ``pk_map_ic`` the chip's mapping public key."""
    params = domain_parameters(parameter_id)
    if isinstance(params, DHGroup):
        raise AccessControlError("chip authentication mapping is defined for ECDH only")
    ops = EcOps(params)
    static = ops.decode(pk_ic)
    ca = int.from_bytes(ca_ic, "big")
    if not 0 < ca < params.order:
        return False
    return crypto.constant_time_equal(ops.encode(static * ca), pk_map_ic)


# --- terminal side ----------------------------------------------------------------------------------------


@dataclass(repr=False)
class PaceTrace:
    """Every intermediate value of one PACE run, session keys included. Only tests and diagnostics ask for
    one (``perform_pace(..., trace=PaceTrace())``); a read never keeps it. Never log it."""

    k: bytes = b""
    k_pi: bytes = b""
    encrypted_nonce: bytes = b""
    nonce: bytes = b""
    terminal_nonce: bytes = b""
    pseudo_random: bytes = b""
    mapping_public_ifd: bytes = b""
    mapping_public_ic: bytes = b""
    mapping_shared: bytes = b""
    mapped_generator: bytes = b""
    public_ifd: bytes = b""
    public_ic: bytes = b""
    shared_secret: bytes = b""
    ks_enc: bytes = b""
    ks_mac: bytes = b""
    token_ifd: bytes = b""
    token_ic: bytes = b""
    apdus: list[tuple[bytes, bytes]] = field(default_factory=list)


@dataclass(repr=False)
class PaceResult:
    """The outcome of PACE: the secure-messaging session and what the chip authentication mapping needs."""

    sm: SecureMessaging
    algorithm: PaceAlgorithm
    parameter_id: int
    mapping: str
    chip_authentication_data: bytes | None = None  # CA_IC (CAM), to verify against the DG14 / CardSecurity key
    chip_mapping_public_key: bytes | None = None  # PK_Map,IC (GM/CAM)
    certification_authority_references: tuple[bytes, ...] = ()

    def verify_chip_authentication(self, pk_ic: bytes) -> bool:
        """CAM: check PK_Map,IC = CA_IC · PK_IC for the chip's static public key ``pk_ic``."""
        if self.chip_authentication_data is None or self.chip_mapping_public_key is None:
            raise AccessControlError("this PACE run carried no chip authentication data")
        return verify_chip_authentication_mapping(
            self.parameter_id, self.chip_authentication_data, pk_ic, self.chip_mapping_public_key)


def mse_set_at_pace(algorithm: PaceAlgorithm, password_ref: PasswordRef, parameter_id: int | None) -> CommandAPDU:
    data = encode(0x80, algorithm.oid_bytes) + encode(0x83, bytes([PASSWORD_REFERENCES[password_ref]]))
    if parameter_id is not None:
        data += encode(0x84, bytes([parameter_id]))
    return mse_set_at(data)


@contextmanager
def _checking(step: str) -> Iterator[None]:
    """A check of the chip's answer that fails is a :class:`PaceCheckFailed` (attack suspicion)."""
    try:
        yield
    except PaceCheckFailed:
        raise
    except AccessControlError as exc:
        raise PaceCheckFailed(f"PACE {step}: {exc}") from exc


class _Exchange:
    """The APDUs of one PACE run: refusals before key agreement are :class:`PaceRefused`, later ones
    :class:`AccessControlError`; malformed answers :class:`PaceCheckFailed`."""

    def __init__(self, transport: Transport, trace: PaceTrace):
        self.transport = transport
        self.trace = trace

    def send(self, cmd: CommandAPDU, step: str) -> ResponseAPDU:
        raw_cmd = cmd.to_bytes()
        raw = self.transport.transmit(raw_cmd)
        self.trace.apdus.append((raw_cmd, bytes(raw)))
        try:
            return ResponseAPDU.from_bytes(raw)
        except APDUError as exc:
            raise PaceCheckFailed(f"PACE {step}: {exc}") from exc

    def general_authenticate(
        self, inner: bytes, step: str, *, first: bool = False, last: bool = False, big: bool = False
    ) -> TLV:
        data = encode(0x7C, inner)
        extended = big or len(data) > 255
        cmd = CommandAPDU(0x00 if last else 0x10, 0x86, 0x00, 0x00, data, le=65536 if extended else 256,
                          force_extended=extended)
        resp = self.send(cmd, step)
        if not resp.ok:
            if first:
                raise PaceRefused(f"PACE {step} refused with {resp.sw:04X}")
            if last and resp.sw == 0x6300:
                raise AccessControlError("PACE failed: the chip rejected the authentication token (wrong password?)")
            raise AccessControlError(f"PACE {step} failed with {resp.sw:04X}")
        if not resp.data:
            return TLV(0x7C, b"")  # IM map nonce: some chips send no 7C at all
        try:
            outer, rest = decode_one(resp.data)
            if outer.tag != 0x7C or rest:
                raise PaceCheckFailed(f"PACE {step}: response is not one dynamic authentication data object")
            outer.children()
        except TLVError as exc:
            raise PaceCheckFailed(f"PACE {step}: malformed response: {exc}") from exc
        return outer


def _child(outer: TLV, tag: int, step: str) -> bytes:
    found = outer.find(tag)
    if found is None:
        raise PaceCheckFailed(f"PACE {step}: tag {tag:02X} missing in the chip's answer")
    return found.value


@dataclass
class _Fixed:
    """The terminal's ephemeral values when a test fixes them (worked examples), else None: random."""

    mapping_key: int | None = None
    agreement_key: int | None = None
    terminal_nonce: bytes | None = None


def perform_pace(
    transport: Transport,
    password: bytes | str,
    password_ref: PasswordRef,
    info: PaceInfo,
    *,
    mapping_key: int | None = None,
    agreement_key: int | None = None,
    terminal_nonce: bytes | None = None,
    k_pi: bytes | None = None,
    send_parameter_id: bool = True,
    trace: PaceTrace | None = None,
) -> PaceResult:
    """Run PACE over ``transport`` and return the secure-messaging session.

    ``password`` is the MRZ information (document number, birth and expiry dates with check digits) for
    ``password_ref="MRZ"``, or the CAN. ``mapping_key``, ``agreement_key`` and ``terminal_nonce`` fix the
    terminal's ephemeral values (tests); ``k_pi`` replaces the password-derived key (Appendix H gives K_pi
    directly). ``send_parameter_id`` adds tag 84 to MSE:Set AT (needed when the chip offers several
    parameter sets; the worked examples omit it). ``trace`` (tests only) receives every intermediate value.

    Raises :class:`PaceRefused` when the chip refuses PACE before key agreement (BAC may follow),
    :class:`PaceCheckFailed` when an answer of the chip fails a check (no fallback: attack suspicion),
    :class:`AccessControlError` otherwise (wrong password, a refusal after key agreement began).
    """
    algorithm = info.algorithm
    ops = group_ops(algorithm, info.parameter_id)
    if password_ref not in PASSWORD_REFERENCES:
        raise AccessControlError(f"password reference {password_ref!r} (want 'MRZ' or 'CAN')")
    trace = trace if trace is not None else PaceTrace()
    ex = _Exchange(transport, trace)
    trace.k = password_key(password, password_ref)
    trace.k_pi = k_pi if k_pi is not None else derive_kpi(trace.k, algorithm)
    fixed = _Fixed(mapping_key, agreement_key, terminal_nonce)
    big = (ops.group.size if isinstance(ops, DhOps) else 2 * ops.field_size + 1) > 200

    mse = ex.send(mse_set_at_pace(algorithm, password_ref, info.parameter_id if send_parameter_id else None),
                  "MSE:Set AT")
    if not mse.ok:
        raise PaceRefused(f"PACE MSE:Set AT for {algorithm.name} rejected with {mse.sw:04X}")
    _encrypted_nonce(ex, algorithm)
    mapped, chip_mapping_public = _map_nonce(ex, ops, algorithm, fixed, big)
    _key_agreement(ex, ops.with_generator(mapped), algorithm, fixed, big)  # type: ignore[arg-type]
    answer = _mutual_authentication(ex, algorithm)
    cars = tuple(child.value for child in answer.children() if child.tag in (0x87, 0x88))
    ca_data = None
    if algorithm.mapping == "CAM":
        with _checking("chip authentication data"):
            ca_data = decrypt_chip_authentication_data(trace.ks_enc, _child(answer, 0x8A, "mutual authentication"))
    sm = SecureMessaging(trace.ks_enc, trace.ks_mac, 0, algorithm.cipher)
    return PaceResult(sm, algorithm, info.parameter_id, algorithm.mapping, ca_data, chip_mapping_public, cars)


def _encrypted_nonce(ex: _Exchange, algorithm: PaceAlgorithm) -> None:
    """Step 1: the chip's nonce s, encrypted with K_pi."""
    answer = ex.general_authenticate(b"", "encrypted nonce", first=True)
    trace = ex.trace
    with _checking("encrypted nonce"):
        trace.encrypted_nonce = _child(answer, 0x80, "encrypted nonce")
        trace.nonce = decrypt_nonce(trace.k_pi, trace.encrypted_nonce, algorithm.cipher)


def _map_nonce(ex: _Exchange, ops: GroupOps, algorithm: PaceAlgorithm, fixed: _Fixed, big: bool) -> tuple[Any, bytes | None]:
    """Step 2: the mapped generator (integrated mapping from the nonces, else generic mapping with an
    ephemeral key agreement); returns it and the chip's mapping public key (GM/CAM)."""
    trace = ex.trace
    if algorithm.mapping == "IM":
        t = fixed.terminal_nonce if fixed.terminal_nonce is not None else secrets.token_bytes(
            terminal_nonce_length(algorithm))
        trace.terminal_nonce = t
        ex.general_authenticate(encode(0x81, t), "map nonce")
        with _checking("map nonce"):
            trace.pseudo_random = pseudo_random(trace.nonce, t, ops.prime, algorithm)
            mapped = ops.integrated_map(int.from_bytes(trace.pseudo_random, "big") % ops.prime)
        trace.mapped_generator = ops.encode(mapped)
        return mapped, None
    sk_map = fixed.mapping_key if fixed.mapping_key is not None else ops.random_private()
    trace.mapping_public_ifd = ops.encode(ops.public(sk_map))
    answer = ex.general_authenticate(encode(0x81, trace.mapping_public_ifd), "map nonce", big=big)
    with _checking("map nonce"):
        trace.mapping_public_ic = _child(answer, 0x82, "map nonce")
        shared_map = ops.agree(sk_map, ops.decode(trace.mapping_public_ic))
        trace.mapping_shared = ops.encode(shared_map)
        mapped = ops.generic_map(int.from_bytes(trace.nonce, "big"), shared_map)
    trace.mapped_generator = ops.encode(mapped)
    return mapped, trace.mapping_public_ic


def _key_agreement(ex: _Exchange, eph: GroupOps, algorithm: PaceAlgorithm, fixed: _Fixed, big: bool) -> None:
    """Step 3: ephemeral key agreement on the mapped generator; derives KS_enc and KS_mac."""
    trace = ex.trace
    sk = fixed.agreement_key if fixed.agreement_key is not None else eph.random_private()
    trace.public_ifd = eph.encode(eph.public(sk))
    answer = ex.general_authenticate(encode(0x83, trace.public_ifd), "key agreement", big=big)
    with _checking("key agreement"):
        trace.public_ic = _child(answer, 0x84, "key agreement")
        if trace.public_ic == trace.public_ifd:
            raise PaceCheckFailed("PACE: the chip echoed the terminal's ephemeral public key")
        trace.shared_secret = eph.shared_secret(eph.agree(sk, eph.decode(trace.public_ic)))
    trace.ks_enc, trace.ks_mac = session_keys(trace.shared_secret, algorithm)


def _mutual_authentication(ex: _Exchange, algorithm: PaceAlgorithm) -> TLV:
    """Step 4: exchange of the authentication tokens; the chip's must verify."""
    trace = ex.trace
    trace.token_ifd = authentication_token(algorithm, trace.ks_mac, trace.public_ic)
    answer = ex.general_authenticate(encode(0x85, trace.token_ifd), "mutual authentication", last=True)
    trace.token_ic = _child(answer, 0x86, "mutual authentication")
    expected = authentication_token(algorithm, trace.ks_mac, trace.public_ifd)
    if not crypto.constant_time_equal(trace.token_ic, expected):
        raise PaceCheckFailed("PACE failed: the chip's authentication token does not verify")
    return answer
