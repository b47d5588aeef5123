"""The inspection system's read sequence for an eMRTD chip (ICAO 9303-11 §4, 9303-10 §3).

:func:`read_passport` reads EF.CardAccess, opens secure messaging with PACE (parameters from EF.CardAccess)
and falls back to BAC, reads EF.COM, the data groups it lists and EF.SOD, then carries out passive,
chip and active authentication. :class:`ChipReader` does the reading: the largest blocks the link allows
(one extended READ BINARY for the rest of a file when reader and chip take extended length, otherwise the
largest Le whose protected response still fits 256 bytes), smaller blocks after 6700/6Cxx/6B00, a new
secure-messaging session after 6987/6988 resuming at the same offset, bounded retries everywhere. A
transport failure (card pulled, reader gone) ends the read with :class:`TransportError` at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from passport import tlv
from passport.apdu import (
    CommandAPDU,
    ResponseAPDU,
    read_binary,
    read_binary_odd,
    read_binary_sfi,
    select_aid,
    select_file,
)
from passport.document import FILE_NAMES, AuthOutcome, ChipReadResult, FacePortrait
from passport.errors import (
    AccessControlError,
    AuthenticationError,
    CardStatusError,
    LDSError,
    PassportError,
    SecureMessagingError,
    TLVError,
    TransportError,
)
from passport.lds.files import MAX_FILE_BYTES
from passport.sm import SecureChannel, UnprotectedStatusError

log = logging.getLogger(__name__)

FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
DG = {n: 0x0100 + n for n in range(1, 17)}
SFI = {FID_CARD_ACCESS: 0x1C, FID_COM: 0x1E, FID_SOD: 0x1D, **{fid: n for n, fid in DG.items()}}

COM, SOD = "EF.COM", "EF.SOD"
DEFAULT_FILES: tuple[str, ...] = ("EF.COM", "DG1", "DG2", "DG7", "DG11", "DG12", "DG14", "DG15", "EF.SOD")
EAC_PROTECTED = ("DG3", "DG4")  # need terminal authentication: the chip refuses them to this system

SHORT_RESPONSE_MAX = 256
MAX_EXTENDED_LE = 0xFF00  # keeps a protected response within pcsc-lite's extended buffer
MIN_BLOCK = 0x20
MAX_BLOCK_RETRIES = 6  # smaller-block retries per file
MAX_SESSION_RESTARTS = 3  # secure-messaging re-establishments per read
HEADER_PROBE = 8  # enough for any tag + length of an LDS file


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...


@dataclass(frozen=True)
class MRZKey:
    """The MRZ part that BAC and PACE-MRZ use as the password."""

    document_number: str
    birth_date: str  # YYMMDD
    expiry_date: str  # YYMMDD

    @classmethod
    def from_mrz(cls, mrz: Any) -> MRZKey:
        return cls(mrz.document_number, mrz.birth_date, mrz.expiry_date)


@dataclass(frozen=True)
class CANKey:
    """The card access number printed on the document (PACE only)."""

    can: str


AccessKey = MRZKey | CANKey


def max_short_le(block_size: int) -> int:
    """Largest Le whose protected response fits a short response APDU (256 bytes + SW).

    The response is ``87 81 L 01 <data padded to the block>`` ``99 02 SW`` ``8E 08 MAC``: 4 + 4 + 10 bytes of
    overhead, and padding adds 1 to ``block_size`` bytes. 3DES (8): 231 = 0xE7; AES (16): 223 = 0xDF.
    """
    room = SHORT_RESPONSE_MAX - 4 - 4 - 10
    return room - room % block_size - 1


def max_extended_le(block_size: int) -> int:
    return MAX_EXTENDED_LE - MAX_EXTENDED_LE % block_size - 1


class CountingTransport:
    """Counts APDUs and bytes; any failure of the underlying transport becomes :class:`TransportError`."""

    def __init__(self, transport: Transport):
        self.transport = transport
        self.apdus = 0
        self.bytes = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.apdus += 1
        self.bytes += len(apdu)
        try:
            response = self.transport.transmit(apdu)
        except TransportError:
            raise
        except PassportError:
            raise
        except Exception as exc:  # noqa: BLE001 - any reader/driver failure ends the read as a transport error
            raise TransportError(f"transport failed: {exc}") from exc
        self.bytes += len(response)
        return bytes(response)


class AccessProtected(PassportError):
    """The chip refused a file for lack of access rights (6982): DG3/DG4 without terminal authentication."""


class FileAbsent(PassportError):
    """The chip has no such file (6A82)."""


class SessionRestarted(PassportError):
    """Secure messaging was re-established: the application is selected again, the current file is not."""


class ChipReader:
    """Reads files of one chip through ``transport`` once :meth:`open_session` has opened secure messaging.

    ``extended_length``: True/False if known (a PC/SC reader's capabilities), None to try extended reads
    and drop to short ones on the first 6700.
    """

    def __init__(self, transport: Transport, *, extended_length: bool | None = None, use_sfi: bool = True):
        self.link = CountingTransport(transport)
        if extended_length is None:
            extended_length = getattr(transport, "extended_length", None)
        self.extended_length = True if extended_length is None else bool(extended_length)
        self.use_sfi = use_sfi
        self.channel: SecureChannel | None = None
        self.access: str | None = None
        self.sessions = 0
        self.restarts = 0
        self.card_access: bytes | None = None
        self.pace_info: Any = None
        self.pace_result: Any = None
        self._key: AccessKey | None = None
        self._block: int | None = None  # short block size after a chip refused the computed one
        self.warnings: list[str] = []

    # -- plain exchanges -------------------------------------------------------------------------------

    def transmit_plain(self, cmd: CommandAPDU) -> ResponseAPDU:
        return ResponseAPDU.from_bytes(self.link.transmit(cmd.to_bytes()))

    def read_card_access(self) -> bytes | None:
        """EF.CardAccess from the master file, without secure messaging; None when the chip has none."""
        resp = self.transmit_plain(read_binary_sfi(SFI[FID_CARD_ACCESS], 0, SHORT_RESPONSE_MAX))
        if resp.sw in (0x6A86, 0x6981, 0x6982, 0x6D00, 0x6B00):
            # a chip that does not take short EF identifiers here: select the file explicitly
            resp = self.transmit_plain(select_file(FID_CARD_ACCESS))
            if not resp.ok:
                return None
            resp = self.transmit_plain(read_binary(0, SHORT_RESPONSE_MAX))
        if resp.sw not in (0x9000, 0x6282) or not resp.data:
            return None
        data = resp.data
        try:
            total = tlv.total_length(data)
        except TLVError:
            return None
        while len(data) < total <= 0x7FFF:
            more = self.transmit_plain(read_binary(len(data), min(0xDF, total - len(data))))
            if more.sw not in (0x9000, 0x6282) or not more.data:
                return None
            data += more.data
        return data[:total]

    # -- access control --------------------------------------------------------------------------------

    def open_session(self, key: AccessKey) -> str:
        """PACE if EF.CardAccess offers it, else (or if PACE fails) BAC; selects the eMRTD application."""
        self._key = key
        if self.card_access is None:
            self.card_access = self.read_card_access()
        errors: list[str] = []
        if self.card_access is not None:
            try:
                self._do_pace(key)
                return self._after_access("PACE")
            except TransportError:
                raise
            except PassportError as exc:
                errors.append(f"PACE: {exc}")
                log.info("PACE failed, trying BAC: %s", exc)
        if isinstance(key, CANKey):
            raise AccessControlError("; ".join(errors) or "the chip offers no PACE, and BAC needs the MRZ")
        try:
            self._do_bac(key)
        except TransportError:
            raise
        except PassportError as exc:
            errors.append(f"BAC: {exc}")
            raise AccessControlError("; ".join(errors)) from exc
        if errors:
            self.warnings.append(f"PACE failed, BAC used ({errors[0]})")
        return self._after_access("BAC")

    def _do_pace(self, key: AccessKey) -> None:
        from passport import pace
        from passport.lds.card_access import pace_infos

        infos = [
            pace.PaceInfo(i.protocol, i.version, i.parameter_id)
            for i in pace_infos(self.card_access or b"")
            if i.parameter_id is not None
        ]
        usable = [i for i in infos if _pace_supported(i)]
        if not usable:
            raise AccessControlError("EF.CardAccess lists no PACE parameters this system supports")
        info = usable[0]
        if isinstance(key, CANKey):
            password, ref = key.can, "CAN"
        else:
            from passport.mrz import mrz_information

            password, ref = mrz_information(key.document_number, key.birth_date, key.expiry_date), "MRZ"
        result = pace.perform_pace(self.link, password, ref, info)
        self.pace_info = info
        self.pace_result = result
        self.channel = SecureChannel(self.link, result.sm)
        resp = self.channel.transmit(select_aid())
        if not resp.ok:
            raise CardStatusError(resp.sw, "SELECT eMRTD application after PACE")

    def _do_bac(self, key: AccessKey) -> None:
        from passport.bac import perform_bac
        from passport.mrz import mrz_key_seed

        if not isinstance(key, MRZKey):
            raise AccessControlError("BAC needs the MRZ (document number, dates of birth and expiry)")
        resp = self.transmit_plain(select_aid())
        if not resp.ok:
            raise CardStatusError(resp.sw, "SELECT eMRTD application")
        sm = perform_bac(self.link, mrz_key_seed(key.document_number, key.birth_date, key.expiry_date))
        self.channel = SecureChannel(self.link, sm)

    def _after_access(self, method: str) -> str:
        self.access = method
        self.sessions += 1
        return method

    def _restart_session(self, why: str) -> None:
        """The chip dropped secure messaging: open a new session the same way (bounded)."""
        if self._key is None or self.restarts >= MAX_SESSION_RESTARTS:
            raise SecureMessagingError(f"secure messaging lost ({why}) and not re-established")
        self.restarts += 1
        self.warnings.append(f"secure messaging re-established after {why}")
        log.info("re-establishing secure messaging after %s", why)
        self.channel = None
        if self.access == "PACE":
            self._do_pace(self._key)
        else:
            self._do_bac(self._key)
        self.sessions += 1

    def transmit(self, cmd: CommandAPDU, *, resend: bool = True) -> ResponseAPDU:
        """Send ``cmd`` under secure messaging. If the chip dropped the session (6987/6988, or a response
        that fails its MAC), open a new one and send ``cmd`` again, or with ``resend=False`` raise
        :class:`SessionRestarted` so the caller can select its file again first."""
        for _ in range(MAX_SESSION_RESTARTS + 1):
            if self.channel is None:
                raise SecureMessagingError("no secure-messaging session")
            try:
                return self.channel.transmit(cmd)
            except UnprotectedStatusError as exc:
                if exc.sw not in (0x6987, 0x6988):
                    return ResponseAPDU.status(exc.sw)
                self._restart_session(f"{exc.sw:04X}")
            except SecureMessagingError as exc:
                self._restart_session(str(exc))
            if not resend:
                raise SessionRestarted()
        raise SecureMessagingError("secure messaging could not be kept up")

    # -- reading files ---------------------------------------------------------------------------------

    @property
    def block_size(self) -> int:
        return self.channel.sm.block_size if self.channel else 8

    def short_block(self) -> int:
        computed = max_short_le(self.block_size)
        return min(computed, self._block) if self._block else computed

    def read_file(self, fid: int, *, on_progress: Callable[[int, int], None] | None = None) -> bytes:
        """Read one EF of the eMRTD application completely. AccessProtected on 6982, FileAbsent on 6A82."""
        name = FILE_NAMES.get(fid, f"{fid:04X}")
        data = b""
        total: int | None = None
        selected = False
        failures = 0
        commands = 0
        while total is None or len(data) < total:
            commands += 1
            if total is not None and commands > total // 8 + 2 * MAX_BLOCK_RETRIES + 4:
                raise LDSError(f"{name}: the chip answers in pieces too small to read {total} bytes")
            offset = len(data)
            want = self.short_block() if total is None else total - offset
            extended = self.extended_length and total is not None and want > self.short_block()
            le = min(want, max_extended_le(self.block_size)) if extended else min(want, self.short_block())
            if not selected and self.use_sfi and offset == 0 and fid in SFI:
                cmd = read_binary_sfi(SFI[fid], 0, le)
            else:
                if not selected:
                    self._select(fid, name)
                    selected = True
                if offset <= 0x7FFF:
                    cmd = read_binary(offset, le)
                else:  # the answer is wrapped in DO'53': ask for its tag and length too
                    odd_le = le + 1 + len(tlv.encode_length(le))
                    cmd = read_binary_odd(offset, odd_le if extended else min(odd_le, self.short_block()))
            if extended:
                cmd = CommandAPDU(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, le=cmd.le, force_extended=True)
            try:
                resp = self.transmit(cmd, resend=False)
            except SessionRestarted:
                selected = False  # resume at the same offset in the new session
                continue
            sw = resp.sw
            chunk = resp.data
            if cmd.ins == 0xB1 and sw in (0x9000, 0x6282) and chunk:
                try:
                    do53, _ = tlv.decode_one(chunk)
                    chunk = do53.value if do53.tag == 0x53 else b""
                except TLVError as exc:
                    raise LDSError(f"{name}: malformed DO'53' in READ BINARY response") from exc
            if sw in (0x9000, 0x6282) and chunk:
                if cmd.p1 & 0x80 and cmd.ins == 0xB0:
                    selected = True  # READ BINARY with SFI selects the file
                data += chunk
                if total is None:
                    try:
                        total = tlv.total_length(data[:HEADER_PROBE])
                    except TLVError as exc:
                        raise LDSError(f"{name}: malformed header {data[:HEADER_PROBE].hex()}") from exc
                    if total > MAX_FILE_BYTES:
                        raise LDSError(f"{name}: declared length {total} exceeds {MAX_FILE_BYTES}")
                if on_progress:
                    on_progress(len(data), total)
                if sw == 0x6282 and len(data) < total:
                    raise LDSError(f"{name}: file ends at {len(data)} bytes, its header declares {total}")
                continue
            if sw == 0x6982:
                raise AccessProtected(f"{name}: access denied (6982)")
            if sw == 0x6A82:
                if cmd.p1 & 0x80 and not selected:
                    self._select(fid, name)  # raises FileAbsent if the chip really has no such file
                    selected = True
                    continue
                raise FileAbsent(f"{name}: file not found (6A82)")
            if sw == 0x6282 and total is not None:
                raise LDSError(f"{name}: file ends at {len(data)} bytes, its header declares {total}")
            failures += 1
            if failures > MAX_BLOCK_RETRIES:
                raise CardStatusError(sw, f"READ BINARY {name} at offset {offset}")
            if sw in (0x6700, 0x6B00, 0x6282, 0x9000):
                if extended:
                    self.extended_length = False
                    self.warnings.append(f"extended length refused ({sw:04X}); reading in short blocks")
                else:
                    self._block = max(MIN_BLOCK, self._smaller(le))
                continue
            if sw >> 8 == 0x6C and sw & 0xFF:
                self._block = sw & 0xFF
                continue
            if sw in (0x6A86, 0x6D00, 0x6A81) and cmd.p1 & 0x80:
                self.use_sfi = False  # the chip does not take SFIs
                continue
            raise CardStatusError(sw, f"READ BINARY {name} at offset {offset}")
        return data[:total]

    @staticmethod
    def _smaller(le: int) -> int:
        for step in (0xDF, 0xC8, 0xA0, 0x80, 0x60, 0x40, 0x20):
            if step < le:
                return step
        return MIN_BLOCK

    def _select(self, fid: int, name: str) -> None:
        resp = self.transmit(select_file(fid))  # after a session restart the application is selected again
        if resp.sw == 0x6A82:
            raise FileAbsent(f"{name}: file not found (6A82)")
        if resp.sw == 0x6982:
            raise AccessProtected(f"{name}: access denied (6982)")
        if not resp.ok:
            raise CardStatusError(resp.sw, f"SELECT {name}")


# -- the whole inspection --------------------------------------------------------------------------------


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

    ``access_key`` is an :class:`MRZKey`, a :class:`CANKey` or a parsed MRZ. Access failures, transport
    failures and malformed mandatory files raise (AccessControlError, TransportError, LDSError...); what is
    found about the document (hash mismatches, failed chip/active authentication) is in the result.
    """
    if not isinstance(access_key, MRZKey | CANKey):
        access_key = MRZKey.from_mrz(access_key)
    started = time.monotonic()
    reader = ChipReader(transport, extended_length=extended_length)
    result = ChipReadResult()
    try:
        result.access = reader.open_session(access_key)
        _read_files(reader, result, files, on_dg2)
        _parse(result)
        if verify:
            _authenticate(reader, result, trust, at)
    finally:
        result.apdus = reader.link.apdus
        result.bytes = reader.link.bytes
        result.sessions = reader.sessions
        result.extended_length = reader.extended_length
        result.warnings[:0] = reader.warnings
        result.seconds = time.monotonic() - started
    return result


def file_name(name: str) -> str:
    """``"DG2"``, ``"dg2"``, ``"SOD"``, ``"EF_SOD"``, ``"EF.SOD"`` → the canonical ``"DG2"`` / ``"EF.SOD"``."""
    upper = name.strip().upper().replace("_", ".").removesuffix(".BIN")
    if upper in ("COM", "EF.COM"):
        return COM
    if upper in ("SOD", "EF.SOD"):
        return SOD
    return upper


def _pace_supported(info: Any) -> bool:
    from passport import pace

    try:
        pace.group_ops(info.algorithm, info.parameter_id)
    except (PassportError, ValueError, KeyError):
        return False
    return True


def _wanted_files(com: bytes, files: Iterable[str]) -> list[str]:
    from passport.lds.com import decode_com

    listed = [f"DG{n}" for n in decode_com(com).data_groups]
    wanted = {file_name(f) for f in files}
    order = ["DG1", "DG2"] + [f"DG{n}" for n in range(3, 17)]
    names = [n for n in order if n in listed and (n in wanted or n in EAC_PROTECTED)]
    if SOD in wanted:
        names.append(SOD)
    return names


def _read_files(
    reader: ChipReader, result: ChipReadResult, files: Sequence[str], on_dg2: Callable[[bytes], None] | None
) -> None:
    com = reader.read_file(FID_COM)
    result.files[COM] = com
    result.files_read.append(COM)
    for name in _wanted_files(com, files):
        fid = FID_SOD if name == SOD else DG[int(name[2:])]
        try:
            data = reader.read_file(fid)
        except AccessProtected:
            result.access_protected.append(name)
            continue
        except FileAbsent as exc:
            result.warnings.append(f"{exc} although EF.COM lists it")
            continue
        result.files[name] = data
        result.files_read.append(name)
        if name == "DG2" and on_dg2 is not None:
            try:
                on_dg2(data)
            except Exception as exc:  # noqa: BLE001 - a consumer's failure must not abort the read
                result.warnings.append(f"DG2 consumer failed: {exc}")


def _parse(result: ChipReadResult) -> None:
    if "DG1" in result.files:
        from passport.lds.dg1 import decode_dg1

        try:
            result.mrz = decode_dg1(result.files["DG1"]).mrz
        except PassportError as exc:
            result.errors.append(f"DG1: {exc}")
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


def _authenticate(reader: ChipReader, result: ChipReadResult, trust: Any, at: Any) -> None:
    if trust is not None:
        result.passive_auth = passive_authenticate(result.files, trust, result.mrz, at)
    elif SOD in result.files:
        result.warnings.append("no trust store given: passive authentication not performed")
    pace_result = reader.pace_result
    dg14 = result.files.get("DG14")
    # Chip authentication where DG14 offers it, otherwise active authentication (a DG14 may carry only
    # the ActiveAuthenticationInfo of an ECDSA AA key).
    if dg14 is not None and _offers_chip_auth(dg14):
        if pace_result is not None and pace_result.chip_authentication_data:
            result.chip_auth = _chip_auth_mapping(pace_result, dg14)
        else:
            result.chip_auth = _chip_auth(reader, dg14)
    elif "DG15" in result.files:
        result.active_auth = _active_auth(reader, result.files["DG15"], dg14)
    elif dg14 is not None:
        result.chip_auth = _chip_auth(reader, dg14)  # reports why it could not be carried out
    for outcome, what in ((result.chip_auth, "chip"), (result.active_auth, "active")):
        if outcome.performed and outcome.valid is False:
            result.warnings.append(f"{what} authentication failed: possible clone ({outcome.detail})")


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
        if not keys:
            return AuthOutcome(True, None, "not carried out: DG14 has no EC chip authentication key")
        valid = any(pace_result.verify_chip_authentication(k.ec_point) for k in keys)
    except PassportError as exc:
        return AuthOutcome(True, False, f"PACE-CAM: {exc}")
    return AuthOutcome(True, valid, "PACE chip authentication mapping" + ("" if valid else " does not verify"))


def _active_auth(reader: ChipReader, dg15: bytes, dg14: bytes | None) -> AuthOutcome:
    from passport.active_auth import active_authenticate

    return _run_auth(reader, lambda channel: active_authenticate(channel, dg15, dg14))


def _outcome(outcome: Any) -> AuthOutcome:
    if isinstance(outcome, bool):
        return AuthOutcome(True, outcome, "")
    valid = getattr(outcome, "valid", None)
    detail = getattr(outcome, "detail", "") or getattr(outcome, "reason", "") or ""
    return AuthOutcome(True, None if valid is None else bool(valid), str(detail))
