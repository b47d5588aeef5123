"""ePassports generated on demand for a person, signed by a test PKI, for the simulated chip.

:func:`generate_passport` builds a complete LDS 1.7 document: EF.COM, DG1 (TD3 MRZ), DG2 (the face per
ISO/IEC 19794-5, JPEG 2000 or JPEG, optionally sized to a byte budget), DG14 (chip authentication key and
infos), DG15 (active authentication key), EF.SOD (CMS SignedData over the LDSSecurityObject, signed by a
document signer of :mod:`hardware_mocks.emrtd.pki`) and EF.CardAccess. Keys are generated per document.
``tamper`` alters data groups after signing, the way a forger would: a changed name in DG1 (the MRZ stays
well-formed), a substituted CA key in DG14 or AA key in DG15 whose private half the chip then holds (chip or
active authentication succeeds, passive authentication names the data group), and for any other data
group (DG2: inside the image) one flipped bit.

Everything stays in memory. :meth:`GeneratedPassport.write` exists for tools that need a document folder;
DG2 holds a face, so only write it to a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image, UnidentifiedImageError

from hardware_mocks.emrtd.files import (
    DEFAULT_CAN,
    DEFAULT_PACE_OID,
    DEFAULT_PACE_PARAMETER_ID,
    ChipFiles,
    load_chip_files,
    make_card_access,
)
from hardware_mocks.emrtd.pki import CMS_HASHES, Signer, TestPKI, make_test_pki, sign_cms
from passport.errors import LDSError, MRZError
from passport.lds.com import EFCom, encode_com
from passport.lds.dg1 import encode_dg1
from passport.lds.dg2 import make_dg2
from passport.lds.dg14 import (
    ECDSA_PLAIN,
    ID_AA,
    ID_CA_ECDH,
    ID_PK_ECDH,
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEInfo,
    SecurityInfo,
    encode_dg14,
)
from passport.lds.dg15 import encode_dg15
from passport.lds.files import DATA_GROUPS
from passport.lds.image import MAX_IMAGE_BYTES
from passport.lds.public_key import load_public_key
from passport.lds.sod import OID_LDS_SECURITY_OBJECT, encode_lds_security_object, encode_sod
from passport.mrz import MRZ, format_td3, parse_mrz
from passport.passive_auth import mrz_state_to_alpha2

LDS_VERSION = "0107"
UNICODE_VERSION = "040000"
PORTRAIT_SIZE = (240, 320)  # width, height: a typical ICAO portrait (3:4)
DEFAULT_J2K_RATE = 15.0  # compression ratio: ~15 KB for a 240x320 colour portrait
DEFAULT_JPEG_QUALITY = 85
SIZE_TOLERANCE = 0.10  # target_dg2_size is met within this fraction
MAX_FACE_PIXELS = 40_000_000
DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")
ID_CA_ECDH_AES_128 = f"{ID_CA_ECDH}.2"  # id-CA-ECDH-AES-CBC-CMAC-128
ECDSA_PLAIN_SHA256 = f"{ECDSA_PLAIN}.3"

AAAlgorithm = Literal["rsa1024", "rsa2048", "ecdsa-p256", "ecdsa-brainpoolP256r1"]
CACurve = Literal["brainpoolP256r1", "P-256"]
SignerChoice = Literal["dsc", "revoked", "unknown"]

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "brainpoolP256r1": ec.BrainpoolP256R1,
    "P-256": ec.SECP256R1,
    "ecdsa-p256": ec.SECP256R1,
    "ecdsa-brainpoolP256r1": ec.BrainpoolP256R1,
}
_NAME_TO_FILE = {"COM": "EF_COM.bin", "SOD": "EF_SOD.bin", "CARD_ACCESS": "EF_CardAccess.bin"}


class GeneratorError(ValueError):
    """The passport cannot be generated: bad MRZ data, an unreadable face, an unreachable DG2 size..."""


@dataclass(frozen=True)
class GeneratedPassport:
    """A generated document: its files, the chip holding them, and the PKI that signed it."""

    chip_files: ChipFiles
    pki: TestPKI
    mrz_lines: tuple[str, str]
    files: dict[str, bytes]  # EF_COM.bin, DG1.bin, DG2.bin, DG14.bin, DG15.bin, EF_SOD.bin, EF_CardAccess.bin
    private_keys: dict[str, bytes] = field(default_factory=dict)  # DG14_sk.pkcs8 / DG15_sk.pkcs8 (PKCS#8 DER)
    signer: Signer | None = None  # the document signer of EF.SOD
    tampered: frozenset[int] = frozenset()
    face_size: tuple[int, int] = (0, 0)  # width, height of the DG2 portrait

    @property
    def mrz(self) -> MRZ:
        return parse_mrz(list(self.mrz_lines))

    @property
    def sod(self) -> bytes:
        return self.files["EF_SOD.bin"]

    def dg_bytes(self) -> dict[int, bytes]:
        """Data groups by number, as passive authentication takes them."""
        return {n: self.files[f"DG{n}.bin"] for n in DATA_GROUPS if f"DG{n}.bin" in self.files}

    def write(self, folder: str | Path, *, include_keys: bool = True, include_face: bool = True) -> Path:
        """Write the files (and the chip's private keys) as a document folder :func:`load_chip_files` reads.

        DG2 holds a face image: write only to a temporary folder, or pass ``include_face=False``.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            if name == "DG2.bin" and not include_face:
                continue
            (folder / name).write_bytes(data)
        if include_keys:
            for name, data in self.private_keys.items():
                (folder / name).write_bytes(data)
        return folder


# -- the face ---------------------------------------------------------------------------------------------


def _load_face(face: bytes | str | Path | np.ndarray) -> Image.Image:
    """An RGB PIL image from encoded bytes, an image file or an RGB / grey uint8 array."""
    if isinstance(face, np.ndarray):
        array = face
        if array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
            raise GeneratorError(f"face array must be HxW or HxWx3 (RGB), got shape {array.shape}")
        if array.shape[0] < 16 or array.shape[1] < 16 or array.shape[0] * array.shape[1] > MAX_FACE_PIXELS:
            raise GeneratorError(f"face array of {array.shape[1]}x{array.shape[0]} pixels is out of range")
        if array.dtype != np.uint8:
            array = np.clip(array, 0, 255).astype(np.uint8)
        return Image.fromarray(np.ascontiguousarray(array)).convert("RGB")
    if isinstance(face, str | Path):
        path = Path(face)
        try:
            if path.stat().st_size > MAX_IMAGE_BYTES * 4:
                raise GeneratorError(f"face image {path} is too large")
            face = path.read_bytes()
        except OSError as exc:
            raise GeneratorError(f"cannot read face image {path}: {exc}") from exc
    if not isinstance(face, bytes | bytearray):
        raise GeneratorError(f"face must be image bytes, a path or an array, not {type(face).__name__}")
    try:
        img = Image.open(io.BytesIO(bytes(face)))
        if img.width * img.height > MAX_FACE_PIXELS:
            raise GeneratorError(f"face image of {img.width}x{img.height} pixels is too large")
        img.load()
        return img.convert("RGB")
    except GeneratorError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise GeneratorError(f"face image cannot be decoded: {exc}") from exc


def portrait(img: Image.Image, size: tuple[int, int] | None = PORTRAIT_SIZE) -> Image.Image:
    """Centre-crop to the aspect ratio of ``size`` (width, height) and scale to it; None keeps the image."""
    if size is None:
        return img
    width, height = size
    if width < 16 or height < 16:
        raise GeneratorError(f"portrait size {size} is too small")
    ratio = width / height
    if img.width / img.height > ratio:  # too wide: crop the sides
        crop_w = round(img.height * ratio)
        left = (img.width - crop_w) // 2
        box = (left, 0, left + crop_w, img.height)
    else:  # too tall: crop top and bottom
        crop_h = round(img.width / ratio)
        top = (img.height - crop_h) // 2
        box = (0, top, img.width, top + crop_h)
    return img.crop(box).resize((width, height), Image.Resampling.LANCZOS)


def _encode_j2k(img: Image.Image, rate: float | None) -> bytes:
    """JPEG 2000 (JP2 file format, OpenJPEG): lossy 9/7 wavelet at compression ``rate``, lossless if None."""
    buf = io.BytesIO()
    if rate is None:
        img.save(buf, "JPEG2000")
    else:
        img.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[max(rate, 1.0)], irreversible=True)
    return buf.getvalue()


def _encode_jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _dg2_for(image: bytes, img: Image.Image) -> bytes:
    return make_dg2(image, img.width, img.height)


def encode_face_dg2(
    img: Image.Image, dg2_format: str = "jpeg2000", target_dg2_size: int | None = None
) -> bytes:
    """DG2 for the portrait ``img``; with ``target_dg2_size`` the image is compressed so that the whole DG2
    is within SIZE_TOLERANCE of it (GeneratorError if the format cannot get there)."""
    if dg2_format not in ("jpeg2000", "jpeg"):
        raise GeneratorError(f"dg2_format must be 'jpeg2000' or 'jpeg', not {dg2_format!r}")
    if target_dg2_size is None:
        image = (
            _encode_j2k(img, DEFAULT_J2K_RATE)
            if dg2_format == "jpeg2000"
            else _encode_jpeg(img, DEFAULT_JPEG_QUALITY)
        )
        return _dg2_for(image, img)
    if target_dg2_size <= 0:
        raise GeneratorError("target_dg2_size must be positive")
    overhead = len(_dg2_for(_encode_jpeg(img, 5), img)) - len(_encode_jpeg(img, 5))
    overhead += 4  # a larger image may need longer length fields
    goal = target_dg2_size - overhead
    candidates: list[bytes] = []
    if goal > 0 and dg2_format == "jpeg2000":
        raw = img.width * img.height * 3
        rate = raw / goal
        for _ in range(5):
            image = _encode_j2k(img, rate)
            candidates.append(image)
            if abs(len(image) - goal) <= 0.02 * target_dg2_size or rate <= 1.0:
                break
            rate *= len(image) / goal
    elif goal > 0:
        low, high = 1, 95
        while low < high:  # the highest quality whose image fits the goal
            mid = (low + high + 1) // 2
            if len(_encode_jpeg(img, mid)) <= goal:
                low = mid
            else:
                high = mid - 1
        candidates = [_encode_jpeg(img, low), _encode_jpeg(img, min(low + 1, 100))]
    best = None
    for image in candidates:
        dg2 = _dg2_for(image, img)
        if best is None or abs(len(dg2) - target_dg2_size) < abs(len(best) - target_dg2_size):
            best = dg2
    if best is None or abs(len(best) - target_dg2_size) > SIZE_TOLERANCE * target_dg2_size:
        got = f"{len(best)} bytes at best" if best is not None else "nothing"
        raise GeneratorError(
            f"cannot make a {dg2_format} DG2 of about {target_dg2_size} bytes from a {img.width}x{img.height}"
            f" portrait ({got}); change target_dg2_size or portrait_size"
        )
    return best


# -- keys and security infos --------------------------------------------------------------------------------


def _pkcs8(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _spki(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def make_aa_key(algorithm: str = "rsa2048") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """A fresh active authentication key: RSA-1024/2048 (ISO/IEC 9796-2) or ECDSA on P-256/brainpoolP256r1."""
    if algorithm in ("rsa1024", "rsa2048"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[3:]))
    if algorithm in ("ecdsa-p256", "ecdsa-brainpoolP256r1"):
        return ec.generate_private_key(_CURVES[algorithm]())
    raise GeneratorError(
        f"unknown AA algorithm {algorithm!r}: rsa1024, rsa2048, ecdsa-p256, ecdsa-brainpoolP256r1"
    )


def make_ca_key(curve: str = "brainpoolP256r1") -> ec.EllipticCurvePrivateKey:
    """A fresh static ECDH key for chip authentication."""
    if curve not in ("brainpoolP256r1", "P-256"):
        raise GeneratorError(f"unknown CA curve {curve!r}: brainpoolP256r1 or P-256")
    return ec.generate_private_key(_CURVES[curve]())


def _dg14_infos(
    ca_key: ec.EllipticCurvePrivateKey | None,
    aa_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None,
    pace: bool,
) -> list[SecurityInfo]:
    infos: list[SecurityInfo] = []
    if ca_key is not None:
        infos.append(ChipAuthenticationPublicKeyInfo(ID_PK_ECDH, load_public_key(_spki(ca_key)), None))
        infos.append(ChipAuthenticationInfo(ID_CA_ECDH_AES_128, 1, None))
    if isinstance(aa_key, ec.EllipticCurvePrivateKey):
        infos.append(ActiveAuthenticationInfo(ID_AA, 1, ECDSA_PLAIN_SHA256))
    if infos and pace:
        infos.append(PACEInfo(DEFAULT_PACE_OID, 2, DEFAULT_PACE_PARAMETER_ID))
    return infos


# -- EF.SOD ------------------------------------------------------------------------------------------------


def sign_sod(
    dg_files: dict[int, bytes],
    signer: Signer,
    digest: str = "sha256",
    signing_time: dt.datetime | None = None,
) -> bytes:
    """EF.SOD over the data groups: LDSSecurityObject v0 in CMS SignedData v3 with signed attributes
    (content type id-icao-ldsSecurityObject, message digest, signing time) and the DSC embedded.

    ``digest`` hashes the data groups and the signed attributes; EC signers sign with ECDSA, RSA signers
    with PKCS#1 v1.5.
    """
    if digest not in DIGESTS:
        raise GeneratorError(f"digest must be one of {', '.join(DIGESTS)}, not {digest!r}")
    hash_cls = CMS_HASHES[digest]

    def h(data: bytes) -> bytes:
        ctx = hashes.Hash(hash_cls())
        ctx.update(data)
        return ctx.finalize()

    lso = encode_lds_security_object(digest, {n: h(data) for n, data in dg_files.items()})
    return encode_sod(sign_cms(OID_LDS_SECURITY_OBJECT, lso, signer, digest, signing_time))


# -- tampering --------------------------------------------------------------------------------------------


def _tamper_dg1(dg1: bytes) -> bytes:
    """Change the first letter of the name field: the MRZ still parses and its check digits still hold
    (the name has none), as with a forged name."""
    data = bytearray(dg1)
    pos = data.find(b"\x5f\x1f") + 3 + 5
    data[pos] = ord("X") if data[pos] != ord("X") else ord("Y")
    return bytes(data)


def _tamper_bytes(data: bytes) -> bytes:
    """Flip one bit in the middle of the file (inside the image for DG2); the structure stays decodable."""
    out = bytearray(data)
    out[len(out) // 2] ^= 0x01
    return bytes(out)


# -- the document -----------------------------------------------------------------------------------------


def _pki_country(issuing_state: str) -> str:
    code = issuing_state.replace("<", "").upper()
    return mrz_state_to_alpha2(code) or code[:2]


def generate_passport(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str = "UTO",
    issuing_state: str = "UTO",
    birth_date: str | dt.date,
    expiry_date: str | dt.date,
    sex: str = "F",
    face_jpeg: bytes | str | Path | np.ndarray,
    pki: TestPKI | None = None,
    signer: SignerChoice = "dsc",
    digest: str = "sha256",
    with_aa: bool = True,
    with_ca: bool = True,
    pace: bool = True,
    dg2_format: Literal["jpeg2000", "jpeg"] = "jpeg2000",
    target_dg2_size: int | None = None,
    tamper: Collection[int] | None = None,
    aa_algorithm: AAAlgorithm = "rsa2048",
    ca_curve: CACurve = "brainpoolP256r1",
    aa_private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    ca_private_key: ec.EllipticCurvePrivateKey | None = None,
    portrait_size: tuple[int, int] | None = PORTRAIT_SIZE,
    optional_data: str = "",
    can: str = DEFAULT_CAN,
    signing_time: dt.datetime | None = None,
    name: str | None = None,
) -> GeneratedPassport:
    """Generate a TD3 ePassport for a person, signed by ``pki`` (a fresh one for the issuing state if None).

    ``face_jpeg`` is encoded image bytes (JPEG, PNG...), an image path or an RGB/grey uint8 array; it is
    centre-cropped and scaled to ``portrait_size`` (width, height; None keeps it) and stored in DG2 as
    ``dg2_format``. ``signer`` picks the PKI's good, revoked or unknown-CSCA document signer.
    ``tamper`` names data groups altered after EF.SOD is signed (see the module docstring). Keys for AA
    (DG15) and CA (DG14) are generated unless given.
    """
    try:
        lines = format_td3(
            issuing_state=issuing_state,
            surname=surname,
            given_names=given_names,
            document_number=document_number,
            nationality=nationality,
            birth_date=birth_date,
            sex=sex,
            expiry_date=expiry_date,
            optional_data=optional_data,
        )
    except MRZError as exc:
        raise GeneratorError(f"MRZ: {exc}") from exc
    if pki is None:
        pki = make_test_pki(_pki_country(issuing_state))
    signers = {"dsc": pki.dsc, "revoked": pki.revoked_dsc, "unknown": pki.unknown_dsc}
    if signer not in signers:
        raise GeneratorError(f"signer must be 'dsc', 'revoked' or 'unknown', not {signer!r}")

    img = portrait(_load_face(face_jpeg), portrait_size)
    try:
        dg2 = encode_face_dg2(img, dg2_format, target_dg2_size)
    except LDSError as exc:
        raise GeneratorError(f"DG2: {exc}") from exc

    aa_key = (aa_private_key or make_aa_key(aa_algorithm)) if with_aa else None
    ca_key = (ca_private_key or make_ca_key(ca_curve)) if with_ca else None
    dgs: dict[int, bytes] = {1: encode_dg1("".join(lines)), 2: dg2}
    infos = _dg14_infos(ca_key, aa_key, pace)
    if infos:
        dgs[14] = encode_dg14(infos)
    if aa_key is not None:
        dgs[15] = encode_dg15(_spki(aa_key))

    sod = sign_sod(dgs, signers[signer], digest, signing_time)
    tampered = frozenset(tamper or ())
    missing = sorted(n for n in tampered if n not in dgs)
    if missing:
        raise GeneratorError(f"cannot tamper with DG{missing[0]}: the document has data groups {sorted(dgs)}")
    for n in sorted(tampered):
        if n == 1:
            dgs[1] = _tamper_dg1(dgs[1])
        elif n == 15 and aa_key is not None:  # a substituted AA key; the chip holds its private half
            aa_key = make_aa_key("rsa1024" if isinstance(aa_key, rsa.RSAPrivateKey) else "ecdsa-p256")
            dgs[15] = encode_dg15(_spki(aa_key))
        elif n == 14 and ca_key is not None:  # a substituted CA key, likewise
            ca_key = make_ca_key(ca_curve)
            dgs[14] = encode_dg14(_dg14_infos(ca_key, aa_key, pace))
        else:
            dgs[n] = _tamper_bytes(dgs[n])

    tags = tuple(tag for n in sorted(dgs) if (tag := DATA_GROUPS[n].tag) is not None)
    files: dict[str, bytes] = {"EF_COM.bin": encode_com(EFCom(LDS_VERSION, UNICODE_VERSION, tags))}
    files.update({f"DG{n}.bin": data for n, data in sorted(dgs.items())})
    files["EF_SOD.bin"] = sod
    if pace:
        files["EF_CardAccess.bin"] = make_card_access(DEFAULT_PACE_OID, DEFAULT_PACE_PARAMETER_ID)
    keys: dict[str, bytes] = {}
    if ca_key is not None:
        keys["DG14_sk.pkcs8"] = _pkcs8(ca_key)
    if aa_key is not None:
        keys["DG15_sk.pkcs8"] = _pkcs8(aa_key)
    doc_name = name or f"{surname} {given_names}".strip()
    chip_files = load_chip_files({**files, **keys, "name": doc_name}, can=can, pace=pace)
    return GeneratedPassport(
        chip_files=chip_files,
        pki=pki,
        mrz_lines=(lines[0], lines[1]),
        files=files,
        private_keys=keys,
        signer=signers[signer],
        tampered=tampered,
        face_size=(img.width, img.height),
    )


# -- people of the LFW data set ---------------------------------------------------------------------------

_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
_LFW_ISSUE_BASE = dt.date(2026, 1, 1)  # made-up expiry dates are 2 to 10 years after this


def _lfw_name(person: str) -> tuple[str, str]:
    """(surname, given names) from an LFW folder name such as ``Abdel_Madi_Shabneh``."""
    parts = [p for p in re.split(r"[_\s]+", person) if p]
    parts = [re.sub(r"[^A-Za-z\-']", "", p) or "X" for p in parts] or ["UNKNOWN"]
    return parts[-1], " ".join(parts[:-1])


def passport_for_lfw_person(
    person_dir_or_image: str | Path,
    *,
    pki: TestPKI | None = None,
    rng_seed: int = 0,
    **overrides: Any,
) -> GeneratedPassport:
    """A passport for an LFW person (``.../lfw/images/Tony_Blair`` or one of its images).

    The name comes from the folder name; document number, dates and sex are made up, the same for the same
    person and seed. A folder gives its first image (sorted by name). ``overrides`` go to
    :func:`generate_passport` (e.g. ``target_dg2_size``, ``tamper``, ``signer``).
    """
    path = Path(person_dir_or_image)
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        if not images:
            raise GeneratorError(f"{path} holds no face image")
        image, person = images[0], path.name
    elif path.is_file():
        image, person = path, path.parent.name
    else:
        raise GeneratorError(f"{path} is neither a person folder nor an image")
    rng = random.Random(f"{rng_seed}:{person}")
    surname, given = _lfw_name(person)
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = rng.choice(letters) + "".join(rng.choice(letters + "0123456789") for _ in range(8))
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 64))
    expiry = _LFW_ISSUE_BASE + dt.timedelta(days=rng.randrange(365 * 2, 365 * 10))
    fields: dict[str, Any] = {
        "surname": surname,
        "given_names": given,
        "document_number": number,
        "birth_date": birth,
        "expiry_date": expiry,
        "sex": rng.choice("MF"),
        "face_jpeg": image,
        "pki": pki,
        "name": person,
    }
    fields.update(overrides)
    return generate_passport(**fields)
