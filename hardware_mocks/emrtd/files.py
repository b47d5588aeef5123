"""The files and secrets of one simulated ePassport chip.

A document comes from a folder (``EF_COM.bin``, ``DG1.bin`` ... ``EF_SOD.bin``, optional ``EF_CardAccess.bin``
and the chip's private keys ``DG14_sk.pkcs8`` / ``DG15_sk.pkcs8``) or from a dict of the same names (what the
passport generator returns). The MRZ fields used as the BAC/PACE password are read from DG1. A document
without EF.CardAccess gets one announcing PACE (configurable OID and standardized domain parameter id), so
the same data serves PACE and BAC-only chips (``pace=False``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from asn1crypto import core

from passport import tlv
from passport.errors import MRZError, TLVError
from passport.mrz import parse_mrz

# File identifiers inside the eMRTD application (ICAO 9303-10 §3.6) and in the master file.
FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
FID_DG = {n: 0x0100 + n for n in range(1, 17)}

# id-PACE-ECDH-GM-AES-CBC-CMAC-128 with brainpoolP256r1 (standardized domain parameters id 13).
DEFAULT_PACE_OID = "0.4.0.127.0.7.2.2.4.2.2"
DEFAULT_PACE_PARAMETER_ID = 13
DEFAULT_CAN = "123456"

_NAME_TO_FID = {"EF_COM": FID_COM, "EF_SOD": FID_SOD, "EF_CARDACCESS": FID_CARD_ACCESS}
_NAME_TO_FID.update({f"DG{n}": fid for n, fid in FID_DG.items()})

MAX_FILE_SIZE = 1 << 20


class ChipFilesError(ValueError):
    """A document folder or dict cannot be turned into a chip (missing DG1, unreadable key, ...)."""


def file_name(fid: int) -> str:
    """The conventional file name of ``fid`` (``DG2.bin``, ``EF_SOD.bin``...)."""
    for name, value in _NAME_TO_FID.items():
        if value == fid:
            return "EF_CardAccess.bin" if name == "EF_CARDACCESS" else f"{name}.bin"
    return f"{fid:04X}.bin"


def fid_for_name(name: str) -> int | None:
    """The FID a file name such as ``DG2.bin``, ``dg2`` or ``EF_COM`` stands for; None if it is not an EF."""
    stem = Path(name).name.split(".", 1)[0].upper().replace("EF.", "EF_")
    return _NAME_TO_FID.get(stem)


@dataclass(frozen=True)
class ChipFiles:
    """Everything a simulated chip holds: its files by FID, its private keys and its access passwords.

    ``aa_private_key`` / ``ca_private_key`` are PKCS#8 DER bytes or already-loaded private key objects
    (the chip-side authentication engine accepts both); None when the document has no such key.
    """

    files: dict[int, bytes]
    document_number: str
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD
    mrz: str
    can: str = DEFAULT_CAN
    aa_private_key: Any = None
    ca_private_key: Any = None
    pace_oid: str | None = DEFAULT_PACE_OID
    pace_parameter_id: int = DEFAULT_PACE_PARAMETER_ID
    name: str = "document"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def card_access(self) -> bytes | None:
        return self.files.get(FID_CARD_ACCESS)

    @property
    def data_groups(self) -> list[int]:
        """Numbers of the data groups on the chip, ascending."""
        return sorted(n for n, fid in FID_DG.items() if fid in self.files)

    def with_file(self, fid: int, content: bytes) -> ChipFiles:
        files = dict(self.files)
        files[fid] = content
        return replace(self, files=files)


def load_chip_files(
    source: str | Path | Mapping[Any, Any],
    *,
    can: str = DEFAULT_CAN,
    pace: bool = True,
    pace_oid: str = DEFAULT_PACE_OID,
    pace_parameter_id: int = DEFAULT_PACE_PARAMETER_ID,
) -> ChipFiles:
    """Load a document from a folder or a dict of ``{file name or FID: bytes}`` (keys too, as ``DG15_sk``).

    ``pace=False`` leaves EF.CardAccess out (a BAC-only chip) even if the document has one; otherwise a
    document without EF.CardAccess gets one generated from ``pace_oid`` and ``pace_parameter_id``.
    """
    if isinstance(source, Mapping):
        entries = dict(source)
        name = str(entries.pop("name", "document"))
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise ChipFilesError(f"{folder} is not a folder of eMRTD files")
        entries = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.stat().st_size <= MAX_FILE_SIZE:
                entries[path.name] = path.read_bytes()
        name = folder.name

    files: dict[int, bytes] = {}
    keys: dict[str, Any] = {}
    for key, value in entries.items():
        if isinstance(key, int):
            files[key] = bytes(value)
            continue
        stem = Path(str(key)).name.split(".", 1)[0].upper()
        if stem in ("DG14_SK", "CA_KEY", "CA_PRIVATE_KEY"):
            keys["ca"] = value
        elif stem in ("DG15_SK", "AA_KEY", "AA_PRIVATE_KEY"):
            keys["aa"] = value
        else:
            fid = fid_for_name(str(key))
            if fid is not None and isinstance(value, bytes | bytearray):
                files[fid] = bytes(value)
    if FID_DG[1] not in files:
        raise ChipFilesError(f"{name}: no DG1 (the MRZ is needed for BAC/PACE)")
    mrz = mrz_from_dg1(files[FID_DG[1]])
    doc, birth, expiry = mrz_access_fields(mrz)
    if not pace:
        files.pop(FID_CARD_ACCESS, None)
    elif FID_CARD_ACCESS not in files:
        files[FID_CARD_ACCESS] = make_card_access(pace_oid, pace_parameter_id)
    return ChipFiles(
        files=files,
        document_number=doc,
        birth_date=birth,
        expiry_date=expiry,
        mrz=mrz,
        can=can,
        aa_private_key=keys.get("aa"),
        ca_private_key=keys.get("ca"),
        pace_oid=pace_oid if pace else None,
        pace_parameter_id=pace_parameter_id,
        name=name,
    )


def mrz_from_dg1(dg1: bytes) -> str:
    """The MRZ characters of DG1 (``61 L 5F1F L mrz``)."""
    try:
        outer, _ = tlv.decode_one(dg1)
        if outer.tag != 0x61:
            raise TLVError(f"DG1 starts with tag {outer.tag:X}, not 61")
        text = outer.require(0x5F1F).value.decode("ascii")
    except (TLVError, UnicodeDecodeError) as exc:
        raise ChipFilesError(f"DG1 is malformed: {exc}") from exc
    return text


def mrz_access_fields(mrz: str) -> tuple[str, str, str]:
    """(document number, birth date, expiry date) of a TD1 (90), TD2 (72) or TD3 (88) MRZ."""
    width = {90: 30, 72: 36, 88: 44}.get(len(mrz))
    if width is None:
        raise ChipFilesError(f"DG1 MRZ has {len(mrz)} characters")
    lines = [mrz[i : i + width] for i in range(0, len(mrz), width)]
    try:
        parsed = parse_mrz(lines, strict=False)
    except MRZError as exc:
        raise ChipFilesError(f"DG1 MRZ is malformed: {exc}") from exc
    return parsed.document_number, parsed.birth_date, parsed.expiry_date


def make_card_access(oid: str = DEFAULT_PACE_OID, parameter_id: int = DEFAULT_PACE_PARAMETER_ID) -> bytes:
    """EF.CardAccess with one PACEInfo: ``SET { SEQUENCE { protocol, version 2, parameterId } }``."""
    info = core.ObjectIdentifier(oid).dump() + core.Integer(2).dump() + core.Integer(parameter_id).dump()
    return tlv.encode(0x31, tlv.encode(0x30, info))
