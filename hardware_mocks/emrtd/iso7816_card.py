"""A small ISO 7816-4 file-system card for testing card readers through the real PC/SC stack.

It implements :class:`hardware_mocks.emrtd.vpcd.VirtualCard`: SELECT (by FID, ``P1`` = 00 or 02, and by AID,
``P1`` = 04), READ BINARY (offset in P1-P2 or a short EF identifier in P1; short and extended Le), and
the status words a reader driver has to cope with. Knobs simulate what real cards and links do: a slow
contactless link (``delay``), a card limited to short APDUs (``short_only``), a card that answers 6Cxx to
a wrong Le (``refuse_le``) and a card pulled off the reader during the N-th command (``pull_at_apdu``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from hardware_mocks.emrtd.vpcd import CardRemoved
from passport.apdu import CommandAPDU
from passport.errors import APDUError

MF_FID = 0x3F00

SW_OK = b"\x90\x00"
SW_END_OF_FILE = b"\x62\x82"  # end of file reached before reading Ne bytes
SW_WRONG_LENGTH = b"\x67\x00"
SW_SM_NOT_SUPPORTED = b"\x68\x82"
SW_NO_CURRENT_EF = b"\x69\x86"
SW_FUNCTION_NOT_SUPPORTED = b"\x6a\x81"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_OFFSET_BEYOND_END = b"\x6b\x00"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_CLA_NOT_SUPPORTED = b"\x6e\x00"

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0

# Third software function byte of the card capabilities (ISO 7816-4 §8.1.1.2.7, table 87).
CAPABILITY_EXTENDED_LC_LE = 0x40


def _wildcard_le(cmd: CommandAPDU) -> bool:
    """Le was 00 (short) or 0000 (extended): "as many bytes as there are", so a short file is no error."""
    return cmd.le == (65536 if cmd.extended else 256)


def build_atr(announce_extended_length: bool) -> bytes:
    """A T=1 ATR in the PC/SC part 3 contactless form ``3B 8n 80 01 <historical bytes> TCK``.

    The historical bytes are a category indicator 80 followed by one compact-TLV object, card
    capabilities (tag 7, length 3): selection by full DF name, a data coding byte, and a third software
    function byte whose bit 0x40 says whether the card takes extended Lc/Le fields.
    """
    third = CAPABILITY_EXTENDED_LC_LE if announce_extended_length else 0x00
    historical = bytes([0x80, 0x73, 0x80, 0x21, third])
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


class Iso7816Card:
    """An ISO 7816-4 card with a master file, optional applications and transparent EFs.

    ``files`` maps FIDs to the contents of the EFs directly under the MF (e.g. EF.CardAccess 011C);
    ``applications`` maps AIDs to their own FID → content tables. ``sfis`` maps short EF identifiers to
    FIDs for READ BINARY with P1 bit 8 set (looked up in the current DF). Thread-safe: the card host calls
    it from its own thread while a test changes ``delay`` or reads ``received``.
    """

    def __init__(
        self,
        files: Mapping[int, bytes] | None = None,
        applications: Mapping[bytes, Mapping[int, bytes]] | None = None,
        *,
        sfis: Mapping[int, int] | None = None,
        delay: float = 0.0,
        short_only: bool = False,
        refuse_le: bool = False,
        pull_at_apdu: int | None = None,
        announce_extended_length: bool | None = None,
    ):
        self.files = {fid: bytes(content) for fid, content in (files or {}).items()}
        self.applications = {
            bytes(aid): {fid: bytes(content) for fid, content in table.items()}
            for aid, table in (applications or {}).items()
        }
        self.sfis = dict(sfis or {})
        self.delay = delay
        self.short_only = short_only
        self.refuse_le = refuse_le
        self.pull_at_apdu = pull_at_apdu
        self.announce_extended_length = (
            not short_only if announce_extended_length is None else announce_extended_length
        )
        self.received: list[bytes] = []
        self.powered = False
        self._lock = threading.Lock()
        self._current_aid: bytes | None = None
        self._current_ef: int | None = None

    # -- VirtualCard protocol -------------------------------------------------------------------------

    def atr(self) -> bytes:
        return build_atr(self.announce_extended_length)

    def power_on(self) -> None:
        self.powered = True
        self._reset_selection()

    def power_off(self) -> None:
        self.powered = False
        self._reset_selection()

    def reset(self) -> None:
        self.powered = True
        self._reset_selection()

    def process_apdu(self, apdu: bytes) -> bytes:
        with self._lock:
            self.received.append(bytes(apdu))
            count = len(self.received)
        if self.delay > 0:
            time.sleep(self.delay)
        if self.pull_at_apdu is not None and count == self.pull_at_apdu:
            raise CardRemoved(f"card pulled during APDU #{count}")
        try:
            cmd = CommandAPDU.from_bytes(apdu)
        except APDUError:
            return SW_WRONG_LENGTH
        if cmd.extended and self.short_only:
            return SW_WRONG_LENGTH
        if cmd.cla & 0x0C:
            return SW_SM_NOT_SUPPORTED
        if cmd.cla & 0xF0 not in (0x00, 0x80):
            return SW_CLA_NOT_SUPPORTED
        with self._lock:
            if cmd.ins == INS_SELECT:
                return self._select(cmd)
            if cmd.ins == INS_READ_BINARY:
                return self._read_binary(cmd)
        return SW_INS_NOT_SUPPORTED

    # -- commands -------------------------------------------------------------------------------------

    def _reset_selection(self) -> None:
        with self._lock:
            self._current_aid = None
            self._current_ef = None

    def _current_df_files(self) -> dict[int, bytes]:
        if self._current_aid is None:
            return self.files
        return self.applications[self._current_aid]

    def _select(self, cmd: CommandAPDU) -> bytes:
        if cmd.p2 not in (0x00, 0x04, 0x0C):
            return SW_WRONG_P1P2
        if cmd.p1 == 0x04:
            if cmd.data not in self.applications:
                return SW_FILE_NOT_FOUND
            self._current_aid, self._current_ef = cmd.data, None
            return self._fcp(aid=cmd.data) if cmd.p2 != 0x0C else SW_OK
        if cmd.p1 not in (0x00, 0x02):
            return SW_WRONG_P1P2
        if len(cmd.data) != 2:
            return SW_WRONG_LENGTH
        fid = int.from_bytes(cmd.data, "big")
        if cmd.p1 == 0x00 and fid == MF_FID:
            self._current_aid, self._current_ef = None, None
            return self._fcp(fid=fid) if cmd.p2 != 0x0C else SW_OK
        if fid not in self._current_df_files():
            return SW_FILE_NOT_FOUND
        self._current_ef = fid
        return self._fcp(fid=fid) if cmd.p2 != 0x0C else SW_OK

    def _fcp(self, fid: int | None = None, aid: bytes | None = None) -> bytes:
        """A minimal FCP template (ISO 7816-4 §7.4.3): size and FID of an EF, or the DF name."""
        if aid is not None:
            body = b"\x84" + bytes([len(aid)]) + aid
        elif fid == MF_FID:
            body = b"\x82\x01\x38\x83\x02" + fid.to_bytes(2, "big")
        else:
            assert fid is not None
            size = len(self._current_df_files()[fid])
            body = b"\x80\x02" + size.to_bytes(2, "big") + b"\x82\x01\x01\x83\x02" + fid.to_bytes(2, "big")
        return b"\x62" + bytes([len(body)]) + body + SW_OK

    def _read_binary(self, cmd: CommandAPDU) -> bytes:
        if cmd.data or cmd.le is None:
            return SW_WRONG_LENGTH
        files = self._current_df_files()
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60:
                return SW_WRONG_P1P2
            fid = self.sfis.get(cmd.p1 & 0x1F)
            if fid is None or fid not in files:
                return SW_FILE_NOT_FOUND
            self._current_ef = fid
            offset = cmd.p2
        else:
            if self._current_ef is None or self._current_ef not in files:
                return SW_NO_CURRENT_EF
            fid = self._current_ef
            offset = (cmd.p1 << 8) | cmd.p2
        content = files[fid]
        if offset >= len(content):
            return SW_OFFSET_BEYOND_END
        chunk = content[offset : offset + cmd.le]
        if len(chunk) == cmd.le or _wildcard_le(cmd):
            return chunk + SW_OK
        if self.refuse_le and not cmd.extended:
            return b"\x6c" + bytes([len(chunk) & 0xFF])
        return chunk + SW_END_OF_FILE
