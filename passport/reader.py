"""The inspection system's read sequence for an eMRTD chip (ICAO 9303-11 §4-§6, 9303-10 §3-§4).

:func:`read_passport`: :class:`passport.chip_reader.ChipReader` selects the master file, reads EF.CardAccess
and opens secure messaging (PACE; BAC only when the chip offers no usable PACE or refuses it before key
agreement, and then reported). Then EF.COM (read and compared, never trusted), DG1 and DG2 (required; DG2 is
handed to ``on_dg2`` at once), and EF.SOD (required): the data groups the *signed* EF.SOD lists decide the
rest. DG14 listed means chip authentication must succeed (PACE-CAM proves it during PACE); DG15 listed
without DG14 means active authentication must succeed; DG3/DG4 listed are expected to be refused (EAC).
Passive authentication needs a trust store: without one the document is not verified. What the read finds
is in :attr:`ChipReadResult.findings` by code (:data:`passport.document.PROBLEM_KINDS`); a failed PACE check
or repeated MAC failures end the read with :class:`AttackSuspected` (its ``result`` holds what was read).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from passport.apdu import CommandAPDU, ResponseAPDU
from passport.chip_reader import (  # noqa: F401 - re-exported: the reader's public names live here too
    DG,
    FID_CARD_ACCESS,
    FID_COM,
    FID_SOD,
    MAX_BLOCK_RETRIES,
    MAX_SESSION_RESTARTS,
    MAX_SM_MAC_FAILURES,
    SFI,
    AccessKey,
    AccessProtected,
    CANKey,
    ChipReader,
    CountingTransport,
    FileAbsent,
    MRZKey,
    SessionRestarted,
    Transport,
    max_extended_le,
    max_short_le,
)
from passport.document import AuthOutcome, ChipReadResult, FacePortrait
from passport.errors import (
    AccessControlError,
    AttackSuspected,
    AuthenticationError,
    CardStatusError,
    LDSError,
    PassportError,
    TLVError,
    TransportError,
)

COM, SOD = "EF.COM", "EF.SOD"
DEFAULT_FILES: tuple[str, ...] = ("EF.COM", "DG1", "DG2", "DG7", "DG11", "DG12", "DG14", "DG15", "EF.SOD")
REQUIRED_FILES = ("DG1", "DG2", SOD)  # always read when verifying; DG14/DG15 too when EF.SOD lists them
EAC_PROTECTED = ("DG3", "DG4")  # need terminal authentication: the chip refuses them to this system


@dataclass
class _Plan:
    """What to read: the files asked for, plus the required ones when the read is verified."""

    wanted: set[str]
    verify: bool
    listed: list[int] = field(default_factory=list)  # data groups of EF.SOD (or EF.COM if EF.SOD failed)

    def wants(self, name: str) -> bool:
        return name in self.wanted or self.required(name)

    def required(self, name: str) -> bool:
        if not self.verify:
            return False
        if name in REQUIRED_FILES:
            return True
        return (name == "DG14" and 14 in self.listed) or (
            name == "DG15" and 15 in self.listed and 14 not in self.listed)


def read_passport(
    transport: Transport,
    access_key: AccessKey | Any,
    *,
    files: Sequence[str] = DEFAULT_FILES,
    trust: Any = None,
    verify: bool = True,
    on_dg2: Callable[[bytes], None] | None = None,
    extended_length: bool | None = None,
    at: Any = None,
) -> ChipReadResult:
    """Read a chip and authenticate it; see the module docstring for the sequence.

    ``access_key`` is an :class:`MRZKey`, a :class:`CANKey` or a parsed MRZ. ``files`` names the data groups
    wanted besides the required ones (all of them, and no authentication, with ``verify=False``). Access
    failures, transport failures and malformed mandatory files raise (AccessControlError, TransportError,
    LDSError...); a failed PACE check or repeated MAC failures raise :class:`AttackSuspected`; what is found
    about the document is in the result.
    """
    access_key = _access_key(access_key)
    started = time.monotonic()
    reader = ChipReader(transport, extended_length=extended_length)
    result = ChipReadResult()
    try:
        result.access = reader.open_session(access_key)
        _read_files(reader, result, _Plan({file_name(f) for f in files}, verify), on_dg2)
        _parse(result)
        if verify:
            _authenticate(reader, result, trust, at)
    except AttackSuspected as exc:
        _summarise(reader, result, started)
        result.add_problem(exc.code, str(exc))
        exc.result = result
        raise
    _summarise(reader, result, started)
    return result


def _access_key(key: Any) -> AccessKey:
    """``key`` as an MRZKey or CANKey whose fields are strings; AccessControlError otherwise."""
    if not isinstance(key, MRZKey | CANKey):
        try:
            key = MRZKey.from_mrz(key)
        except AttributeError:
            raise AccessControlError("the access key must be an MRZKey, a CANKey or a parsed MRZ") from None
    fields = (key.can,) if isinstance(key, CANKey) else (key.document_number, key.birth_date, key.expiry_date)
    if not all(isinstance(value, str) and value for value in fields):
        raise AccessControlError("the access key's fields must be non-empty strings")
    return key


def _summarise(reader: ChipReader, result: ChipReadResult, started: float) -> None:
    result.apdus = reader.link.apdus
    result.bytes = reader.link.bytes
    result.sessions = reader.sessions
    result.sm_mac_failures = reader.sm_mac_failures
    result.extended_length = reader.extended_length
    result.findings[:0] = [f for f in reader.findings if f not in result.findings]  # they came first
    reader.findings.clear()
    result.seconds = time.monotonic() - started


def file_name(name: str) -> str:
    """``"DG2"``, ``"dg2"``, ``"SOD"``, ``"EF_SOD"``, ``"EF.SOD"`` → the canonical ``"DG2"`` / ``"EF.SOD"``."""
    upper = name.strip().upper().replace("_", ".").removesuffix(".BIN")
    if upper in ("COM", "EF.COM"):
        return COM
    if upper in ("SOD", "EF.SOD"):
        return SOD
    return upper


# -- reading ------------------------------------------------------------------------------------------------


def _read_files(
    reader: ChipReader, result: ChipReadResult, plan: _Plan, on_dg2: Callable[[bytes], None] | None
) -> None:
    com_listed = _read_com(reader, result) if plan.wants(COM) else None
    for name in ("DG1", "DG2"):
        if plan.wants(name):
            _read_one(reader, result, name, plan, on_dg2 if name == "DG2" else None)
    sod_listed = _read_sod(reader, result, plan) if plan.wants(SOD) else None
    if com_listed is not None and sod_listed is not None and set(com_listed) != set(sod_listed):
        result.add_problem("com_mismatch", f"EF.COM lists DG {_numbers(com_listed)}, EF.SOD DG "
                                           f"{_numbers(sod_listed)}; EF.SOD decides")
    plan.listed = sod_listed if sod_listed is not None else (com_listed or [])
    for n in sorted(set(plan.listed) - {1, 2}):
        name = f"DG{n}"
        if name in plan.wanted or name in EAC_PROTECTED or plan.required(name):
            _read_one(reader, result, name, plan, None)


def _numbers(groups: Sequence[int]) -> str:
    return ",".join(str(n) for n in sorted(groups)) or "none"


def _read_one(
    reader: ChipReader, result: ChipReadResult, name: str, plan: _Plan,
    on_read: Callable[[bytes], None] | None,
) -> bytes | None:
    """Read one file into ``result``; an absent or refused file is recorded (a failure when required)."""
    fid = FID_SOD if name == SOD else FID_COM if name == COM else DG[int(name[2:])]
    try:
        data = reader.read_file(fid)
    except (AccessProtected, FileAbsent) as exc:
        if isinstance(exc, AccessProtected):
            result.access_protected.append(name)
        if plan.required(name):
            result.add_problem("required_file_missing", str(exc))
        elif name not in EAC_PROTECTED and name != COM:
            result.add_problem("listed_file_absent", str(exc))
        return None
    except (LDSError, CardStatusError) as exc:
        if name in REQUIRED_FILES or name == COM:
            raise  # without EF.SOD, DG1 and DG2 there is nothing to verify (EF.COM: see _read_com)
        result.add_problem("required_file_missing" if plan.required(name) else "optional_file_unreadable",
                           str(exc))
        return None
    result.files[name] = data
    result.files_read.append(name)
    if on_read is not None:
        try:
            on_read(data)
        except Exception as exc:  # noqa: BLE001 - a consumer's failure must not abort the read
            result.add_problem("dg2_consumer_failed", f"{type(exc).__name__}")
    return data


def _read_com(reader: ChipReader, result: ChipReadResult) -> list[int] | None:
    """EF.COM's list of data groups; it decides nothing, so any trouble with it is only recorded."""
    from passport.lds.com import decode_com

    try:
        data = _read_one(reader, result, COM, _Plan(set(), False), None)
        if data is None:
            result.add_problem("com_unreadable", "EF.COM not on the chip")
            return None
        return list(decode_com(data).data_groups)
    except (LDSError, TLVError, CardStatusError) as exc:
        result.add_problem("com_unreadable", str(exc))
        return None


def _read_sod(reader: ChipReader, result: ChipReadResult, plan: _Plan) -> list[int] | None:
    """EF.SOD's list of data groups (None if it cannot be read or decoded)."""
    from passport.lds.sod import decode_sod

    data = _read_one(reader, result, SOD, plan, None)
    if data is None:
        return None
    try:
        listed = sorted(decode_sod(data).dg_hashes)
    except PassportError as exc:
        result.add_problem("sod_unparsable", f"{exc}; the data groups to read come from EF.COM")
        return None
    result.data_groups_in_sod = listed
    missing = [f"DG{n}" for n in (1, 2) if n not in listed]
    if plan.verify and missing:
        result.add_problem("sod_lacks_required_dg", f"EF.SOD does not list {', '.join(missing)}")
    return listed


def _parse(result: ChipReadResult) -> None:
    if "DG1" in result.files:
        from passport.lds.dg1 import decode_dg1

        try:
            result.mrz = decode_dg1(result.files["DG1"]).mrz
        except PassportError as exc:
            result.errors.append(f"DG1: {exc}")
            result.add_problem("dg_malformed", f"DG1: {exc}")
    if "DG2" in result.files:
        from passport.lds.dg2 import decode_dg2

        try:
            faces = decode_dg2(result.files["DG2"]).faces
            if faces:
                face = faces[0]
                fmt = {"jpeg": "JPEG", "jpeg2000": "JPEG2000"}.get(face.image_format or "", "unknown")
                result.face = FacePortrait(fmt, face.width or None, face.height or None, face.image_data)
            else:
                result.warnings.append("DG2 holds no face image")
        except PassportError as exc:
            result.errors.append(f"DG2: {exc}")
            result.add_problem("dg_malformed", f"DG2: {exc}")


# -- authentication -----------------------------------------------------------------------------------------


def _authenticate(reader: ChipReader, result: ChipReadResult, trust: Any, at: Any) -> None:
    _passive(result, trust, at)
    _chip_authenticity(reader, result)
    _pace_downgrade(reader, result)


def _pace_downgrade(reader: ChipReader, result: ChipReadResult) -> None:
    """BAC was used although DG14 (covered by EF.SOD, unlike EF.CardAccess) lists PACE parameters this
    system supports: the refusal or unreadable EF.CardAccess that led to BAC may be forged on the link."""
    from passport.chip_reader import supported_pace
    from passport.lds.dg14 import decode_dg14

    dg14 = result.files.get("DG14")
    if reader.access != "BAC" or dg14 is None:
        return
    try:
        offered = supported_pace(decode_dg14(dg14).pace_infos)
    except PassportError:
        return  # chip authentication reports a malformed DG14
    if offered:
        result.add_problem("pace_downgrade", "BAC was used, but DG14 lists PACE parameters this system supports")


def _passive(result: ChipReadResult, trust: Any, at: Any) -> None:
    if trust is None:
        result.add_problem("passive_auth_not_performed", "no trust store: EF.SOD's signer was not checked")
        return
    result.passive_auth = passive_authenticate(result.files, trust, result.mrz, at)
    if not getattr(result.passive_auth, "valid", False):
        errors = list(getattr(result.passive_auth, "errors", []) or [])
        result.add_problem("passive_auth_failed", "; ".join(str(e) for e in errors[:3]) or "not valid")


def _chip_authenticity(reader: ChipReader, result: ChipReadResult) -> None:
    """The authentication EF.SOD's data groups require: chip authentication for DG14 (PACE-CAM counts),
    active authentication for DG15 without DG14; each must succeed."""
    listed = set(result.data_groups_in_sod)
    pace = reader.pace_result
    cam = pace is not None and pace.chip_authentication_data is not None
    dg14 = result.files.get("DG14")
    if 14 in listed or cam:
        if 14 not in listed or dg14 is None:
            why = "PACE-CAM, but EF.SOD does not list DG14" if 14 not in listed else "DG14 not read"
            result.add_problem("chip_auth_not_performed", why)
            return
        if _offers_chip_auth(dg14):
            result.chip_auth = _chip_auth_mapping(pace, dg14) if cam else _chip_auth(reader, dg14)
            _require(result, result.chip_auth, "chip_auth")
            return
        if 15 not in listed:
            result.add_problem("chip_auth_not_performed", "DG14 offers no chip authentication key")
            return
    if 15 in listed:
        dg15 = result.files.get("DG15")
        if dg15 is None:
            result.add_problem("active_auth_not_performed", "DG15 not read")
            return
        result.active_auth = _active_auth(reader, dg15, dg14)
        _require(result, result.active_auth, "active_auth")
        return
    result.add_problem("no_clone_check", "EF.SOD lists neither DG14 nor DG15")


def _require(result: ChipReadResult, outcome: AuthOutcome, what: str) -> None:
    if outcome.valid is True:
        return
    if outcome.performed and outcome.valid is False:
        result.add_problem(f"{what}_failed", f"possible clone: {outcome.detail}")
    else:
        result.add_problem(f"{what}_not_performed", outcome.detail or "not carried out")


def _offers_chip_auth(dg14: bytes) -> bool:
    from passport.lds.dg14 import decode_dg14

    try:
        return bool(decode_dg14(dg14).chip_auth_public_keys)
    except PassportError:
        return True  # let chip authentication report the malformed DG14


def passive_authenticate(files: dict[str, bytes], trust: Any, mrz: Any = None, at: Any = None) -> Any:
    """Passive authentication of raw files named ``EF.SOD``, ``DG1`` ...; returns a PassiveAuthResult."""
    from passport.passive_auth import verify_sod

    dg_bytes = {int(name[2:]): data for name, data in files.items() if name.startswith("DG")}
    issuer = mrz.issuing_state if mrz is not None else None
    return verify_sod(files.get(SOD, b""), dg_bytes, trust, issuer, at)


class _ReaderChannel:
    """The reader's secure channel as chip/active authentication see it: until chip authentication
    installs new keys, commands go through :meth:`ChipReader.transmit` (a dropped session is
    re-established); after it, a failure is the chip's answer and is never papered over by a new session."""

    def __init__(self, reader: ChipReader):
        self.reader = reader
        self.switched = False

    def transmit(self, cmd: CommandAPDU) -> ResponseAPDU:
        if self.switched and self.reader.channel is not None:
            return self.reader.channel.transmit(cmd)
        return self.reader.transmit(cmd)

    @property
    def sm(self) -> Any:
        return self.reader.channel.sm if self.reader.channel else None

    @sm.setter
    def sm(self, value: Any) -> None:
        if self.reader.channel is not None:
            self.reader.channel.sm = value
            self.switched = True


def _run_auth(reader: ChipReader, protocol: Callable[[_ReaderChannel], Any]) -> AuthOutcome:
    """Run chip or active authentication over the reader's session and classify the outcome: a chip that
    answers wrongly has failed; a protocol that could not be carried out (unsupported, malformed DG) is
    reported as not verified either way; a pulled card is a transport error."""
    if reader.channel is None:
        return AuthOutcome(False, None, "no secure-messaging session")
    try:
        outcome = protocol(_ReaderChannel(reader))
    except TransportError:
        raise
    except (AuthenticationError, LDSError) as exc:
        return AuthOutcome(True, None, f"not carried out: {exc}")
    except PassportError as exc:
        return AuthOutcome(True, False, str(exc))
    return _outcome(outcome)


def _chip_auth(reader: ChipReader, dg14: bytes) -> AuthOutcome:
    from passport.chip_auth import chip_authenticate

    return _run_auth(reader, lambda channel: chip_authenticate(channel, dg14))


def _chip_auth_mapping(pace_result: Any, dg14: bytes) -> AuthOutcome:
    """PACE-CAM already proved the chip's key: check its chip authentication data against DG14's key."""
    from passport.lds.dg14 import decode_dg14

    try:
        keys = [k.public_key for k in decode_dg14(dg14).chip_auth_public_keys if k.public_key.algorithm == "ec"]
    except PassportError as exc:
        return AuthOutcome(True, None, f"not carried out: DG14: {exc}")
    if not keys:
        return AuthOutcome(True, None, "not carried out: DG14 has no EC chip authentication key")
    refused: list[str] = []
    for key in keys:  # DG14 may hold several keys (other curves, other key IDs): any one that verifies will do
        try:
            if pace_result.verify_chip_authentication(key.ec_point):
                return AuthOutcome(True, True, "PACE chip authentication mapping")
        except PassportError as exc:
            refused.append(str(exc))
    why = f" ({'; '.join(refused)})" if refused else ""
    return AuthOutcome(True, False, f"PACE chip authentication mapping does not verify with DG14's keys{why}")


def _active_auth(reader: ChipReader, dg15: bytes, dg14: bytes | None) -> AuthOutcome:
    from passport.active_auth import active_authenticate

    return _run_auth(reader, lambda channel: active_authenticate(channel, dg15, dg14))


def _outcome(outcome: Any) -> AuthOutcome:
    if isinstance(outcome, bool):
        return AuthOutcome(True, outcome, "")
    valid = getattr(outcome, "valid", None)
    detail = getattr(outcome, "detail", "") or getattr(outcome, "reason", "") or ""
    return AuthOutcome(True, None if valid is None else bool(valid), str(detail))
