"""PACE algorithm identifiers and standardized domain parameters (ICAO 9303-11 §4.4.3, §9.5.1;
BSI TR-03110-3 Table 4).

Parameter IDs 0-2 are the MODP groups of RFC 5114 (§2.1-2.3), 8-18 the NIST and Brainpool curves; 3-7 are
reserved. Curves are ``ecdsa`` curve objects (``ecdsa.curves.Curve``), groups are :class:`DHGroup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecdsa import curves
from ecdsa.curves import Curve

from passport.crypto import CipherName
from passport.errors import AccessControlError

Agreement = Literal["DH", "ECDH"]
Mapping = Literal["GM", "IM", "CAM"]


@dataclass(frozen=True)
class DHGroup:
    """A MODP group with a prime-order subgroup: modulus p, subgroup generator g, subgroup order q."""

    name: str
    p: int
    g: int
    q: int

    @property
    def size(self) -> int:
        """Length in bytes of an encoded group element."""
        return (self.p.bit_length() + 7) // 8


def _hex(text: str) -> int:
    return int("".join(text.split()), 16)


RFC5114_1024_160 = DHGroup(
    "1024-bit MODP group with 160-bit prime order subgroup (RFC 5114 2.1)",
    p=_hex("""
        B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C0
        13ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0
        A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371"""),
    g=_hex("""
        A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213
        160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28A
        D662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5"""),
    q=_hex("F518AA8781A8DF278ABA4E7D64B7CB9D49462353"),
)

RFC5114_2048_224 = DHGroup(
    "2048-bit MODP group with 224-bit prime order subgroup (RFC 5114 2.2)",
    p=_hex("""
        AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15
        EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207
        C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330
        278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8
        BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71
        CF9DE5384E71B81C0AC4DFFE0C10E64F"""),
    g=_hex("""
        AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFA
        AB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98A
        E247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EF
        BB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381
        B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC0179
        81BC087F2A7065B384B890D3191F2BFA"""),
    q=_hex("801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB"),
)

RFC5114_2048_256 = DHGroup(
    "2048-bit MODP group with 256-bit prime order subgroup (RFC 5114 2.3)",
    p=_hex("""
        87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA30
        16C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B
        6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0E
        F13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026
        C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F
        693877FAD7EF09CADB094AE91E1A1597"""),
    g=_hex("""
        3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555
        BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B
        777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55
        A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915
        B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D4795451
        5E2327CFEF98C582664B4C0F6CC41659"""),
    q=_hex("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3"),
)

#: Standardized domain parameters by parameter ID.
STANDARDIZED_DOMAIN_PARAMETERS: dict[int, DHGroup | Curve] = {
    0: RFC5114_1024_160,
    1: RFC5114_2048_224,
    2: RFC5114_2048_256,
    8: curves.NIST192p,
    9: curves.BRAINPOOLP192r1,
    10: curves.NIST224p,
    11: curves.BRAINPOOLP224r1,
    12: curves.NIST256p,
    13: curves.BRAINPOOLP256r1,
    14: curves.BRAINPOOLP320r1,
    15: curves.NIST384p,
    16: curves.BRAINPOOLP384r1,
    17: curves.BRAINPOOLP512r1,
    18: curves.NIST521p,
}

DH_PARAMETER_IDS = (0, 1, 2)
EC_PARAMETER_IDS = tuple(range(8, 19))


def domain_parameters(parameter_id: int) -> DHGroup | Curve:
    try:
        return STANDARDIZED_DOMAIN_PARAMETERS[parameter_id]
    except KeyError:
        raise AccessControlError(f"PACE domain parameter ID {parameter_id} is not a standardized one") from None


# --- algorithm identifiers -------------------------------------------------------------------------------

ID_PACE = "0.4.0.127.0.7.2.2.4"


@dataclass(frozen=True)
class PaceAlgorithm:
    """What a PACE object identifier selects."""

    oid: str
    name: str
    agreement: Agreement
    mapping: Mapping
    cipher: CipherName
    key_length: int  # bytes of the session keys (16 for 3DES, 16/24/32 for AES)

    @property
    def oid_bytes(self) -> bytes:
        """DER contents of the OID (the value of tag 80 in MSE:Set AT and of tag 06 in the token input)."""
        return encode_oid(self.oid)


_MAPPINGS = {"1": ("DH", "GM"), "2": ("ECDH", "GM"), "3": ("DH", "IM"), "4": ("ECDH", "IM"), "6": ("ECDH", "CAM")}
_CIPHERS = {"1": ("3DES", 16, "3DES-CBC-CBC"), "2": ("AES", 16, "AES-CBC-CMAC-128"),
            "3": ("AES", 24, "AES-CBC-CMAC-192"), "4": ("AES", 32, "AES-CBC-CMAC-256")}


def _build_table() -> dict[str, PaceAlgorithm]:
    table: dict[str, PaceAlgorithm] = {}
    for m, (agreement, mapping) in _MAPPINGS.items():
        for c, (cipher, key_length, suffix) in _CIPHERS.items():
            if mapping == "CAM" and cipher == "3DES":
                continue  # 9303-11 Table 3: CAM only with AES
            oid = f"{ID_PACE}.{m}.{c}"
            name = f"id-PACE-{agreement}-{mapping}-{suffix}"
            table[oid] = PaceAlgorithm(oid, name, agreement, mapping, cipher, key_length)  # type: ignore[arg-type]
    return table


#: Every PACE OID of 9303-11 Tables 2 and 3, dotted form -> algorithm.
PACE_ALGORITHMS: dict[str, PaceAlgorithm] = _build_table()
PACE_ALGORITHMS_BY_NAME: dict[str, PaceAlgorithm] = {a.name: a for a in PACE_ALGORITHMS.values()}


def pace_algorithm(oid_or_name: str) -> PaceAlgorithm:
    found = PACE_ALGORITHMS.get(oid_or_name) or PACE_ALGORITHMS_BY_NAME.get(oid_or_name)
    if found is None:
        raise AccessControlError(f"{oid_or_name!r} is not a PACE protocol identifier")
    return found


def encode_oid(oid: str) -> bytes:
    """DER contents octets of a dotted object identifier."""
    try:
        arcs = [int(a) for a in oid.split(".")]
    except ValueError:
        raise AccessControlError(f"malformed OID {oid!r}") from None
    if len(arcs) < 2 or arcs[0] > 2 or any(a < 0 for a in arcs):
        raise AccessControlError(f"malformed OID {oid!r}")
    out = bytearray()
    for value in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def decode_oid(data: bytes) -> str:
    """Dotted form of DER OID contents (for MSE:Set AT tag 80 on the chip side)."""
    if not data or data[-1] & 0x80:
        raise AccessControlError("malformed OID encoding")
    values: list[int] = []
    value = 0
    for b in data:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            values.append(value)
            value = 0
    first = values[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(v) for v in head + values[1:])
