"""Chip-read benchmark: APDUs, bytes and seconds to read a passport with a ~20 KB face through pcscd + vpcd.

The benchmark presents its own simulated chip on the vpcd reader (a test document with DG2 padded to the
target size), reads it with :func:`passport.reader.read_passport` through :class:`devices.pcsc_reader.PcscReader`
with and without extended length, and compares the APDU count with the least the data allows:
access-protocol APDUs + per file (SELECT + ceil(size / largest block)) + authentication APDUs; and the
same without the SELECTs (a READ BINARY with a short EF identifier selects the file itself).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from passport.reader import max_extended_le, max_short_le

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_DOC = SHARED_DATA / "emrtd" / "tr03105"
DEFAULT_FACE = SHARED_DATA / "lfw" / "images" / "Tony_Blair"
DG2_TARGET = 20 * 1024

# APDUs of each access protocol and of the authentications, as read_passport sends them.
ACCESS_APDUS = {
    # SELECT master file, READ BINARY EF.CardAccess, MSE:Set AT, 4 GENERAL AUTHENTICATE, SELECT application
    "PACE": 1 + 1 + 1 + 4 + 1,
    # SELECT master file, READ BINARY and SELECT of EF.CardAccess (both 6A82: no PACE), SELECT application,
    # GET CHALLENGE, MUTUAL AUTHENTICATE
    "BAC": 1 + 2 + 1 + 1 + 1,
}
CHIP_AUTH_APDUS = {"3DES": 1, "AES": 2}  # MSE:Set KAT, or MSE:Set AT + GENERAL AUTHENTICATE
ACTIVE_AUTH_APDUS = 1  # INTERNAL AUTHENTICATE


@dataclass
class ScenarioResult:
    name: str
    access: str
    extended_length: bool
    runs: int
    apdus: int
    bytes: int
    seconds_median: float
    seconds_min: float
    min_apdus_with_select: int
    min_apdus_with_sfi: int
    file_sizes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def padded_document(doc: Path = DEFAULT_DOC, dg2_size: int = DG2_TARGET) -> dict[str, bytes]:
    """The files of ``doc`` with DG2's portrait padded so that DG2 is about ``dg2_size`` bytes.

    The padding follows the image's end-of-codestream marker (decoders stop there). EF.SOD keeps the
    original hash, so passive authentication of this document fails: the benchmark measures reading only.
    """
    from passport.lds.dg2 import decode_dg2, make_dg2

    entries = {p.name: p.read_bytes() for p in doc.iterdir() if p.is_file()}
    face = decode_dg2(entries["DG2.bin"]).faces[0]
    image = face.image_data
    extra = max(0, dg2_size - len(entries["DG2.bin"]))
    entries["DG2.bin"] = make_dg2(image + bytes(extra), face.width, face.height)
    entries["name"] = f"{doc.name}+dg2-{dg2_size // 1024}k"  # type: ignore[assignment]
    return entries


def minimum_apdus(
    sizes: dict[str, int], access: str, block: int, protected: int, chip_auth: str | None, active_auth: bool
) -> tuple[int, int]:
    """(with SELECT per file, with SFI reads) for files of ``sizes`` read in blocks of ``block`` bytes;
    ``protected`` files cost one refused command each; ``chip_auth`` is the CA cipher if CA is done."""
    reads = sum(math.ceil(size / block) for size in sizes.values())
    fixed = ACCESS_APDUS[access] + protected
    fixed += CHIP_AUTH_APDUS[chip_auth] if chip_auth else 0
    fixed += ACTIVE_AUTH_APDUS if active_auth else 0
    return fixed + len(sizes) + reads, fixed + reads


def _cipher_block(access: str, card_access_oid: str | None) -> int:
    if access == "BAC" or not card_access_oid:
        return 8
    from passport.pace_params import pace_algorithm

    return 8 if pace_algorithm(card_access_oid).cipher == "3DES" else 16


def run_scenario(
    name: str, chip: Any, reader_name: str, slot: int, *, extended: bool, runs: int = 3
) -> ScenarioResult:
    """Read ``chip`` ``runs`` times through pcscd on ``reader_name`` (vpcd ``slot``)."""
    from devices.pcsc_reader import PcscReader
    from hardware_mocks.emrtd.vpcd import VpcdCardHost, vpcd_port
    from passport.reader import MRZKey, read_passport

    files = chip.files
    key = MRZKey(files.document_number, files.birth_date, files.expiry_date)
    host = VpcdCardHost(port=vpcd_port(slot))
    seconds: list[float] = []
    result: Any = None
    url = f"pcsc://{reader_name}?extended={'1' if extended else '0'}"
    try:
        with PcscReader(url) as reader:
            if not reader.wait_for_removal(10):
                raise RuntimeError(f"{reader_name!r} is busy: another card is on it")
            host.insert(chip)
            if not reader.wait_for_card(10):
                raise RuntimeError(f"the simulated chip did not appear on {reader_name!r}")
            for _ in range(runs):
                reader.connect()
                started = time.perf_counter()
                result = read_passport(reader, key, extended_length=extended and reader.extended_length)
                seconds.append(time.perf_counter() - started)
                reader.disconnect(reset=True)
    finally:
        host.remove()
    sizes = {n: len(b) for n, b in result.files.items()}
    block = max_extended_le(16) if result.extended_length else max_short_le(
        _cipher_block(result.access, files.pace_oid)
    )
    ca_cipher = None
    if result.chip_auth.performed:
        from passport.lds.dg14 import decode_dg14

        ca_cipher = decode_dg14(result.files["DG14"]).chip_auth_infos[0].cipher[0]
    with_select, with_sfi = minimum_apdus(
        sizes, result.access, block, len(result.access_protected), ca_cipher, result.active_auth.performed
    )
    return ScenarioResult(
        name=name, access=result.access, extended_length=result.extended_length, runs=runs,
        apdus=result.apdus, bytes=result.bytes, seconds_median=statistics.median(seconds),
        seconds_min=min(seconds), min_apdus_with_select=with_select, min_apdus_with_sfi=with_sfi,
        file_sizes=sizes,
    )


def generated_document(face: Path = DEFAULT_FACE, dg2_size: int = DG2_TARGET) -> dict[str, bytes]:
    """A generated passport (test PKI, CA and AA keys) whose DG2 holds ``face`` in about ``dg2_size`` bytes."""
    from hardware_mocks.emrtd.generator import passport_for_lfw_person

    passport = passport_for_lfw_person(face, target_dg2_size=dg2_size)
    entries: dict[str, bytes] = dict(passport.files)
    entries.update(passport.private_keys)
    entries.pop("EF_CardAccess.bin", None)  # regenerated below for the PACE / BAC-only variants
    return entries


def run_bench(
    reader_name: str, slot: int, runs: int = 3, doc: Path | None = None, face: Path = DEFAULT_FACE,
    link_delay: float = 0.0,
) -> list[ScenarioResult]:
    """Four scenarios: PACE and BAC, each with and without extended length. ``doc`` pads a document
    folder's DG2 instead of generating a passport for ``face``; ``link_delay`` adds that many seconds to
    every APDU (a contactless link is slower than the local virtual reader)."""
    from hardware_mocks.emrtd.pcscd import ensure_pcscd
    from hardware_mocks.emrtd.vpcd import vpcd_port

    entries = padded_document(doc) if doc is not None else generated_document(face)
    pcscd = ensure_pcscd(port=vpcd_port(slot))  # started for the benchmark if it is not running
    try:
        return _run_scenarios(entries, reader_name, slot, runs, link_delay)
    finally:
        pcscd.stop()


def _run_scenarios(entries: dict[str, bytes], reader_name: str, slot: int, runs: int,
                   link_delay: float) -> list[ScenarioResult]:
    from hardware_mocks.emrtd.chip import EmrtdChip
    from hardware_mocks.emrtd.faults import SlowLink
    from hardware_mocks.emrtd.files import load_chip_files

    out = []
    for name, pace, extended in (
        ("PACE, extended length", True, True),
        ("PACE, short APDUs", True, False),
        ("BAC, extended length", False, True),
        ("BAC, short APDUs", False, False),
    ):
        faults = [SlowLink(link_delay)] if link_delay > 0 else []
        chip = EmrtdChip(load_chip_files(entries, pace=pace), faults=faults)
        out.append(run_scenario(name, chip, reader_name, slot, extended=extended, runs=runs))
    return out
