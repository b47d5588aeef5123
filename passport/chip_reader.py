"""One chip's access control, secure-messaging session and file reads (ICAO 9303-11 §4, §9.8; 9303-10 §3).

:class:`ChipReader` selects the master file and reads EF.CardAccess, opens secure messaging with PACE
(parameters from EF.CardAccess) or BAC, and reads files of the eMRTD application in the largest blocks
the link allows. The rules it keeps:

* BAC follows only when the chip offers no usable PACE or refuses it before any key agreement (MSE:Set AT
  or the encrypted nonce answered with an error status); an EF.CardAccess that cannot be read is not proof
  that the chip lacks PACE, so every fall-back is recorded (``bac_fallback``) with its reason. A PACE
  check that fails (the chip's token, its mapping or ephemeral key, a malformed answer) raises
  :class:`PaceCheckFailed`; a wrong password raises :class:`AccessControlError`; neither falls back.
* A protected response that fails its MAC (or its SM structure) is counted and recorded (``sm_mac_failure``);
  the session is re-established and the command repeated; past :data:`MAX_SM_MAC_FAILURES` the read ends
  with :class:`AttackSuspected`. A bare 6987/6988 (the chip dropped the session) re-establishes it too, at
  most :data:`MAX_SESSION_RESTARTS` times.
* The status word inside DO'99' is the authenticated one; a different plain trailer is a quirk
  (``sm_trailer_mismatch``).
* The first block of a file is read with a short EF identifier; a chip that answers that with an error
  status gets SELECT + READ BINARY for the rest of the session (``sfi_unsupported``).

Findings are collected in :attr:`ChipReader.findings` as :class:`passport.document.Problem`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    select_master_file,
)
from passport.document import FILE_NAMES, Problem
from passport.errors import (
    AccessControlError,
    AttackSuspected,
    CardStatusError,
    LDSError,
    PaceRefused,
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

SHORT_RESPONSE_MAX = 256
MAX_EXTENDED_LE = 0xFF00  # keeps a protected response within pcsc-lite's extended buffer
MIN_BLOCK = 0x20
MAX_BLOCK_RETRIES = 6  # smaller-block retries per file
MAX_SESSION_RESTARTS = 3  # secure-messaging re-establishments per read
MAX_SM_MAC_FAILURES = 1  # protected responses failing their MAC tolerated per read; one more ends it
HEADER_PROBE = 8  # enough for any tag + length of an LDS file
SESSION_DROPPED = (0x6987, 0x6988)
READ_OK = (0x9000, 0x6282)


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


@dataclass
class _FileRead:
    """Progress of one file's read."""

    fid: int
    name: str
    data: bytes = b""
    total: int | None = None
    selected: bool = False
    failures: int = 0
    commands: int = 0

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.data) >= self.total


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
        self.sm_mac_failures = 0
        self.card_access: bytes | None = None
        self.card_access_problem = ""  # why EF.CardAccess could not be read
        self.pace_info: Any = None
        self.pace_result: Any = None
        self.findings: list[Problem] = []
        self._key: AccessKey | None = None
        self._block: int | None = None  # short block size after a chip refused the computed one

    def note(self, code: str, detail: str = "") -> None:
        problem = Problem(code, detail)
        if problem not in self.findings:
            self.findings.append(problem)
            log.info("%s: %s", code, detail)

    # -- plain exchanges -------------------------------------------------------------------------------

    def transmit_plain(self, cmd: CommandAPDU) -> ResponseAPDU:
        return ResponseAPDU.from_bytes(self.link.transmit(cmd.to_bytes()))

    def read_card_access(self) -> bytes | None:
        """EF.CardAccess from the master file, without secure messaging; None (and
        :attr:`card_access_problem`) when it cannot be read. The master file is selected first: a chip may
        still be inside the eMRTD application from an earlier connection."""
        self.transmit_plain(select_master_file())  # a chip that refuses it is in the master file already
        resp = self.transmit_plain(read_binary_sfi(SFI[FID_CARD_ACCESS], 0, SHORT_RESPONSE_MAX))
        if resp.sw not in READ_OK:
            selected = self.transmit_plain(select_file(FID_CARD_ACCESS))
            if not selected.ok:
                found = "has no EF.CardAccess" if selected.sw == 0x6A82 else "refuses EF.CardAccess"
                self.card_access_problem = f"the chip {found} ({selected.sw:04X})"
                return None
            resp = self.transmit_plain(read_binary(0, SHORT_RESPONSE_MAX))
        return self._rest_of_card_access(resp)

    def _rest_of_card_access(self, resp: ResponseAPDU) -> bytes | None:
        data = resp.data
        try:
            if resp.sw not in READ_OK or not data:
                raise LDSError(f"READ BINARY answered {resp.sw:04X}")
            total = tlv.total_length(data)
            while len(data) < total <= 0x7FFF:
                more = self.transmit_plain(read_binary(len(data), min(0xDF, total - len(data))))
                if more.sw not in READ_OK or not more.data:
                    raise LDSError(f"READ BINARY answered {more.sw:04X} at offset {len(data)}")
                data += more.data
        except (LDSError, TLVError) as exc:
            self.card_access_problem = f"EF.CardAccess unreadable: {exc}"
            return None
        return data[:total]

    # -- access control --------------------------------------------------------------------------------

    def open_session(self, key: AccessKey) -> str:
        """PACE if EF.CardAccess offers it; BAC only if the chip offers no usable PACE or refuses it before
        key agreement (recorded as ``bac_fallback``). Selects the eMRTD application."""
        self._key = key
        if self.card_access is None:
            self.card_access = self.read_card_access()
        info, why_not = self._usable_pace_info()
        if info is not None:
            try:
                self._do_pace(key, info)
                return self._after_access("PACE")
            except PaceRefused as exc:
                why_not = f"the chip refused PACE before key agreement ({exc})"
        if isinstance(key, CANKey):
            raise AccessControlError(f"PACE is not possible ({why_not}), and BAC needs the MRZ")
        try:
            self._do_bac(key)
        except (AccessControlError, CardStatusError) as exc:
            raise AccessControlError(f"BAC failed ({exc}); PACE was not possible: {why_not}") from exc
        self.note("bac_fallback", why_not)
        return self._after_access("BAC")

    def _usable_pace_info(self) -> tuple[Any, str]:
        """The first PACEInfo of EF.CardAccess this system supports, or None and the reason."""
        from passport.lds.card_access import pace_infos

        if self.card_access is None:
            return None, self.card_access_problem or "no EF.CardAccess"
        try:
            usable = supported_pace(pace_infos(self.card_access))
        except PassportError as exc:
            return None, f"EF.CardAccess malformed: {exc}"
        if not usable:
            return None, "EF.CardAccess lists no PACE parameters this system supports"
        return usable[0], ""

    def _do_pace(self, key: AccessKey, info: Any) -> None:
        from passport import pace

        if isinstance(key, CANKey):
            password, ref = key.can, "CAN"
        else:
            from passport.mrz import mrz_information

            password, ref = mrz_information(key.document_number, key.birth_date, key.expiry_date), "MRZ"
        result = pace.perform_pace(self.link, password, ref, info)
        self.pace_info = info
        self.pace_result = result
        self.channel = SecureChannel(self.link, result.sm)
        try:
            resp = self.channel.transmit(select_aid())
        except SecureMessagingError as exc:
            if not isinstance(exc, UnprotectedStatusError):
                self._count_integrity_failure(str(exc))
            raise
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

    # -- secure messaging ------------------------------------------------------------------------------

    def _restart_session(self, why: str) -> None:
        """Open a new session the same way as the first (bounded)."""
        if self._key is None or self.restarts >= MAX_SESSION_RESTARTS:
            raise SecureMessagingError(f"secure messaging lost ({why}) and not re-established")
        self.restarts += 1
        log.info("re-establishing secure messaging after %s", why)
        self.channel = None
        if self.access == "PACE":
            self._do_pace(self._key, self.pace_info)
        else:
            self._do_bac(self._key)
        self.sessions += 1

    def _count_integrity_failure(self, why: str) -> None:
        """A protected response failed its MAC or SM checks: count, record, end the read past the bound."""
        self.sm_mac_failures += 1
        self.note("sm_mac_failure", f"response {self.sm_mac_failures} failed: {why}")
        if self.sm_mac_failures > MAX_SM_MAC_FAILURES:
            raise AttackSuspected(
                f"{self.sm_mac_failures} protected responses failed their MAC (at most "
                f"{MAX_SM_MAC_FAILURES} tolerated)", code="sm_mac_failures")

    def _integrity_failed(self, why: str) -> None:
        self._count_integrity_failure(why)
        self._restart_session(why)

    def transmit(self, cmd: CommandAPDU, *, resend: bool = True) -> ResponseAPDU:
        """Send ``cmd`` under secure messaging. After a dropped session (bare 6987/6988) or a response that
        fails its MAC, open a new session and send ``cmd`` again, or with ``resend=False`` raise
        :class:`SessionRestarted` so the caller can select its file again first. A bare error status
        word is returned as the (unauthenticated) refusal it is; a bare success is never believed."""
        for _ in range(MAX_SESSION_RESTARTS + 1):
            if self.channel is None:
                raise SecureMessagingError("no secure-messaging session")
            try:
                resp = self.channel.transmit(cmd)
            except UnprotectedStatusError as exc:
                if exc.sw in SESSION_DROPPED:
                    self.note("sm_session_restarted", f"the chip ended secure messaging with {exc.sw:04X}")
                    self._restart_session(f"{exc.sw:04X}")
                elif 0x64 <= exc.sw >> 8 <= 0x6F:  # an error status: a refusal, whether protected or not
                    return ResponseAPDU.status(exc.sw)
                else:
                    self._integrity_failed(f"unprotected status {exc.sw:04X}")
            except SecureMessagingError as exc:
                self._integrity_failed(str(exc))
            else:
                self._note_trailer()
                return resp
            if not resend:
                raise SessionRestarted()
        raise SecureMessagingError("secure messaging could not be kept up")

    def _note_trailer(self) -> None:
        sm = self.channel.sm if self.channel else None
        mismatch = getattr(sm, "trailer_mismatch", None)
        if mismatch:
            protected, plain = mismatch
            self.note("sm_trailer_mismatch",
                      f"plain status words differ from DO'99' (e.g. {plain:04X} outside, {protected:04X} "
                      "protected); the protected one is used")

    # -- reading files ---------------------------------------------------------------------------------

    @property
    def block_size(self) -> int:
        return self.channel.sm.block_size if self.channel else 8

    def short_block(self) -> int:
        computed = max_short_le(self.block_size)
        return min(computed, self._block) if self._block else computed

    def read_file(self, fid: int, *, on_progress: Callable[[int, int], None] | None = None) -> bytes:
        """Read one EF of the eMRTD application completely. AccessProtected on 6982, FileAbsent on 6A82."""
        state = _FileRead(fid, FILE_NAMES.get(fid, f"{fid:04X}"))
        while not state.complete:
            self._count_command(state)
            cmd, extended = self._next_command(state)
            try:
                resp = self.transmit(cmd, resend=False)
            except SessionRestarted:
                state.selected = False  # resume at the same offset in the new session
                continue
            self._take_response(state, cmd, extended, resp, on_progress)
        return state.data[: state.total]

    @staticmethod
    def _count_command(state: _FileRead) -> None:
        state.commands += 1
        if state.total is not None and state.commands > state.total // 8 + 2 * MAX_BLOCK_RETRIES + 4:
            raise LDSError(f"{state.name}: the chip answers in pieces too small to read {state.total} bytes")

    def _next_command(self, state: _FileRead) -> tuple[CommandAPDU, bool]:
        """The next READ BINARY for ``state``: with a short EF identifier for the first block, else after a
        SELECT; extended when the rest does not fit a short block and the link takes it."""
        offset = len(state.data)
        want = self.short_block() if state.total is None else state.total - offset
        extended = self.extended_length and state.total is not None and want > self.short_block()
        le = min(want, max_extended_le(self.block_size)) if extended else min(want, self.short_block())
        if not state.selected and self.use_sfi and offset == 0 and state.fid in SFI:
            cmd = read_binary_sfi(SFI[state.fid], 0, le)
        else:
            if not state.selected:
                self._select(state.fid, state.name)
                state.selected = True
            if offset <= 0x7FFF:
                cmd = read_binary(offset, le)
            else:  # the answer is wrapped in DO'53': ask for its tag and length too
                odd_le = le + 1 + len(tlv.encode_length(le))
                cmd = read_binary_odd(offset, odd_le if extended else min(odd_le, self.short_block()))
        if extended:
            cmd = CommandAPDU(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, le=cmd.le, force_extended=True)
        return cmd, extended

    def _take_response(
        self, state: _FileRead, cmd: CommandAPDU, extended: bool, resp: ResponseAPDU,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        sw = resp.sw
        chunk = _chunk(cmd, resp, state.name)
        if sw in READ_OK and chunk:
            self._append(state, cmd, sw, chunk, on_progress)
            return
        if sw == 0x6982:
            raise AccessProtected(f"{state.name}: access denied (6982)")
        by_sfi = cmd.ins == 0xB0 and bool(cmd.p1 & 0x80)
        if by_sfi and sw != 0x6700 and sw >> 8 != 0x6C:
            self._sfi_refused(state, sw)
            return
        if sw == 0x6A82:
            raise FileAbsent(f"{state.name}: file not found (6A82)")
        if sw == 0x6282 and state.total is not None:
            raise LDSError(f"{state.name}: file ends at {len(state.data)} bytes, its header declares {state.total}")
        state.failures += 1
        if state.failures > MAX_BLOCK_RETRIES:
            raise CardStatusError(sw, f"READ BINARY {state.name} at offset {len(state.data)}")
        self._smaller_blocks(sw, extended, cmd.le or 0, state)

    def _append(
        self, state: _FileRead, cmd: CommandAPDU, sw: int, chunk: bytes,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        if cmd.p1 & 0x80 and cmd.ins == 0xB0:
            state.selected = True  # READ BINARY with SFI selects the file
        state.data += chunk
        if state.total is None:
            try:
                state.total = tlv.total_length(state.data[:HEADER_PROBE])
            except TLVError as exc:
                raise LDSError(f"{state.name}: malformed header {state.data[:HEADER_PROBE].hex()}") from exc
            if state.total > MAX_FILE_BYTES:
                raise LDSError(f"{state.name}: declared length {state.total} exceeds {MAX_FILE_BYTES}")
        if on_progress:
            on_progress(len(state.data), state.total)
        if sw == 0x6282 and len(state.data) < state.total:
            raise LDSError(f"{state.name}: file ends at {len(state.data)} bytes, its header declares {state.total}")

    def _sfi_refused(self, state: _FileRead, sw: int) -> None:
        """READ BINARY by short EF identifier failed: SELECT tells an absent file (FileAbsent) from a chip
        that does not take short EF identifiers (SELECT + READ BINARY for the rest of the session)."""
        self._select(state.fid, state.name)
        state.selected = True
        if self.use_sfi:
            self.use_sfi = False
            self.note("sfi_unsupported", f"READ BINARY with a short EF identifier answered {sw:04X}; "
                                         "files are selected for the rest of the session")

    def _smaller_blocks(self, sw: int, extended: bool, le: int, state: _FileRead) -> None:
        if sw in (0x6700, 0x6B00, 0x6282, 0x9000):
            if extended:
                self.extended_length = False
                log.info("extended length refused (%04X); reading in short blocks", sw)
            else:
                self._block = max(MIN_BLOCK, self._smaller(le))
            return
        if sw >> 8 == 0x6C and sw & 0xFF:
            self._block = sw & 0xFF
            return
        raise CardStatusError(sw, f"READ BINARY {state.name} at offset {len(state.data)}")

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


def _chunk(cmd: CommandAPDU, resp: ResponseAPDU, name: str) -> bytes:
    """The file bytes of a READ BINARY answer (odd INS: the value of DO'53')."""
    if cmd.ins != 0xB1 or resp.sw not in READ_OK or not resp.data:
        return resp.data
    try:
        do53, _ = tlv.decode_one(resp.data)
    except TLVError as exc:
        raise LDSError(f"{name}: malformed DO'53' in READ BINARY response") from exc
    return do53.value if do53.tag == 0x53 else b""


def supported_pace(infos: Any) -> list[Any]:
    """The PACEInfos (of EF.CardAccess or DG14) whose parameters this system supports, as pace.PaceInfo."""
    from passport import pace

    found = [pace.PaceInfo(i.protocol, i.version, i.parameter_id) for i in infos if i.parameter_id is not None]
    return [i for i in found if _pace_supported(i)]


def _pace_supported(info: Any) -> bool:
    from passport import pace

    try:
        pace.group_ops(info.algorithm, info.parameter_id)
    except (PassportError, ValueError, KeyError):
        return False
    return True
