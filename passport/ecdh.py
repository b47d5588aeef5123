"""Multiplication by secret scalars on named curves through ``cryptography`` (OpenSSL, constant time).

PACE (generic, integrated and chip authentication mapping) and chip authentication multiply points by
the terminal's ephemeral private keys; python-ecdsa's arithmetic is not constant-time, so on every curve
OpenSSL knows these products come from OpenSSL:

* ``k·G`` is the public key of the private key ``k``;
* ``x(k·P)`` is OpenSSL's ECDH of ``k`` with the public key ``P``, for any point of the curve's group
  (a mapped PACE generator too: the group is the same, only the generator differs);
* the full point ``k·P`` (PACE needs it for the mapping and for a public key on a mapped generator) is the
  one of the two points with x-coordinate ``x(k·P)`` whose sum with ``k·G`` has the x-coordinate
  ``x(k·(P+G))``, again an OpenSSL ECDH. Only point additions and a square root, on results, remain in
  python-ecdsa.

Curves OpenSSL lacks (brainpoolP192r1, P224r1, P320r1) and explicit-parameter curves go through
python-ecdsa (:func:`named_curve` returns None for them).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from ecdsa import curves, ellipticcurve, numbertheory
from ecdsa.curves import Curve

_NAMED: dict[str, type[ec.EllipticCurve]] = {
    curves.NIST192p.name: ec.SECP192R1,
    curves.NIST224p.name: ec.SECP224R1,
    curves.NIST256p.name: ec.SECP256R1,
    curves.NIST384p.name: ec.SECP384R1,
    curves.NIST521p.name: ec.SECP521R1,
    curves.BRAINPOOLP256r1.name: ec.BrainpoolP256R1,
    curves.BRAINPOOLP384r1.name: ec.BrainpoolP384R1,
    curves.BRAINPOOLP512r1.name: ec.BrainpoolP512R1,
}

Point = ellipticcurve.PointJacobi


class ECDHError(ValueError):
    """A degenerate product (zero scalar, point at infinity) or a point off the curve."""


def named_curve(curve: Curve) -> ec.EllipticCurve | None:
    """The ``cryptography`` curve for a python-ecdsa named curve, None if OpenSSL does not take it."""
    factory = _NAMED.get(curve.name)
    return factory() if factory is not None else None


def multiply(curve: Curve, point: Point, k: int) -> Point:
    """``k·point`` (full point); constant time in OpenSSL where the curve is named."""
    k %= curve.order
    if k == 0 or point == ellipticcurve.INFINITY:
        raise ECDHError("scalar multiplication gives the point at infinity")
    named = named_curve(curve)
    if named is None:
        return _checked(curve, point * k)
    private = ec.derive_private_key(k, named)
    k_g = _from_public(curve, private.public_key())
    if point == curve.generator:
        return k_g
    x = _exchange_x(curve, private, named, point)
    if point == -curve.generator:
        return _affine(curve, -k_g)
    x_sum = _exchange_x(curve, private, named, _affine(curve, point + curve.generator))
    for candidate in _points_with_x(curve, x):
        total = candidate + k_g
        if total != ellipticcurve.INFINITY and total.x() == x_sum:
            return candidate
    raise ECDHError("scalar multiplication: no point matches")  # only for a point outside the group


def shared_x(curve: Curve, point: Point, k: int) -> int:
    """The x-coordinate of ``k·point``: the ECDH shared secret (one OpenSSL exchange where it can)."""
    named = named_curve(curve)
    k %= curve.order
    if named is None or k == 0:
        return multiply(curve, point, k).x()
    return _exchange_x(curve, ec.derive_private_key(k, named), named, point)


def public_key(curve: Curve, generator: Point, k: int) -> Point:
    """The public key ``k·generator`` of the private key ``k``."""
    return multiply(curve, generator, k)


def _exchange_x(curve: Curve, private: ec.EllipticCurvePrivateKey, named: ec.EllipticCurve, point: Point) -> int:
    p = curve.curve.p()
    size = (p.bit_length() + 7) // 8
    encoded = b"\x04" + (point.x() % p).to_bytes(size, "big") + (point.y() % p).to_bytes(size, "big")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(named, encoded)
        return int.from_bytes(private.exchange(ec.ECDH(), peer), "big")
    except ValueError as exc:
        raise ECDHError(f"ECDH failed: {exc}") from exc


def _from_public(curve: Curve, key: ec.EllipticCurvePublicKey) -> Point:
    numbers = key.public_numbers()
    return Point(curve.curve, numbers.x, numbers.y, 1, curve.order)


def _affine(curve: Curve, point: Point) -> Point:
    if point == ellipticcurve.INFINITY:
        raise ECDHError("point at infinity")
    p = curve.curve.p()
    return Point(curve.curve, point.x() % p, point.y() % p, 1, curve.order)


def _points_with_x(curve: Curve, x: int) -> list[Point]:
    p, a, b = curve.curve.p(), curve.curve.a(), curve.curve.b()
    try:
        y = numbertheory.square_root_mod_prime((pow(x, 3, p) + a * x + b) % p, p)
    except numbertheory.Error as exc:  # not a square: x is not on the curve
        raise ECDHError("no curve point has this x-coordinate") from exc
    return [Point(curve.curve, x, y, 1, curve.order), Point(curve.curve, x, (p - y) % p, 1, curve.order)]


def _checked(curve: Curve, point: Point) -> Point:
    if point == ellipticcurve.INFINITY:
        raise ECDHError("scalar multiplication gives the point at infinity")
    return _affine(curve, point)
