"""ISO/IEC 7816-4 command and response APDUs, short and extended length, and the commands ICAO 9303 uses."""

from __future__ import annotations

from dataclasses import dataclass

from passport.errors import APDUError

SW_OK = 0x9000

_SW_TEXT = {
    0x9000: "success",
    0x6282: "end of file reached before Le bytes",
    0x6700: "wrong length",
    0x6882: "secure messaging not supported",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6987: "expected secure messaging data objects missing",
    0x6988: "secure messaging data objects incorrect",
    0x6A80: "incorrect parameters in the data field",
    0x6A82: "file or application not found",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters (offset outside the EF)",
    0x6D00: "instruction code not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}


def describe_sw(sw: int) -> str:
    if sw in _SW_TEXT:
        return _SW_TEXT[sw]
    if sw >> 8 == 0x61:
        return f"{sw & 0xFF} more bytes available"
    if sw >> 8 == 0x6C:
        return f"wrong Le, exact length is {sw & 0xFF}"
    if sw & 0xFFF0 == 0x63C0:
        return f"verification failed, {sw & 0xF} tries left"
    return "unknown status"


@dataclass(frozen=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no Le field; 0 with short length means 256, extended means 65536
    force_extended: bool = False

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            v = getattr(self, name)
            if not 0 <= v <= 0xFF:
                raise APDUError(f"{name}={v} outside 0..255")
        if len(self.data) > 65535:
            raise APDUError("command data longer than 65535 bytes")
        if self.le is not None and not 0 <= self.le <= 65536:
            raise APDUError(f"Le={self.le} outside 0..65536")

    @property
    def extended(self) -> bool:
        return self.force_extended or len(self.data) > 255 or (self.le is not None and self.le > 256)

    def to_bytes(self) -> bytes:
        head = bytes([self.cla, self.ins, self.p1, self.p2])
        lc = len(self.data)
        if not self.extended:
            body = (bytes([lc]) + self.data) if lc else b""
            if self.le is not None:
                body += bytes([self.le & 0xFF])  # 256 encodes as 00
            return head + body
        body = b""
        if lc:
            body = b"\x00" + lc.to_bytes(2, "big") + self.data
        if self.le is not None:
            le = (self.le & 0xFFFF).to_bytes(2, "big")  # 65536 encodes as 0000
            body += le if lc else b"\x00" + le
        return head + body

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Parse any of the ISO 7816-4 cases 1, 2S/E, 3S/E, 4S/E."""
        raw = bytes(raw)
        if len(raw) < 4:
            raise APDUError(f"command APDU of {len(raw)} bytes is shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:
            return cls(cla, ins, p1, p2)
        if n == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0 or n < 3:
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, body[1 : 1 + lc], le=body[-1] or 256)
            raise APDUError(f"short APDU body of {n} bytes does not match Lc={lc}")
        # extended length: body starts 00
        if n == 3:
            le = int.from_bytes(body[1:3], "big") or 65536
            return cls(cla, ins, p1, p2, le=le, force_extended=True)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise APDUError("extended APDU with Lc=0")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:], force_extended=True)
        if n == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or 65536
            return cls(cla, ins, p1, p2, body[3 : 3 + lc], le=le, force_extended=True)
        raise APDUError(f"extended APDU body of {n} bytes does not match Lc={lc}")


@dataclass(frozen=True)
class ResponseAPDU:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def to_bytes(self) -> bytes:
        return bytes(self.data) + bytes([self.sw1, self.sw2])

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseAPDU:
        raw = bytes(raw)
        if len(raw) < 2:
            raise APDUError(f"response APDU of {len(raw)} bytes has no status word")
        return cls(raw[:-2], raw[-2], raw[-1])

    @classmethod
    def status(cls, sw: int, data: bytes = b"") -> ResponseAPDU:
        return cls(data, sw >> 8, sw & 0xFF)


# --- the commands ICAO 9303 uses -------------------------------------------------------------------------

EMRTD_AID = bytes.fromhex("A0000002471001")


def select_aid(aid: bytes = EMRTD_AID) -> CommandAPDU:
    return CommandAPDU(0x00, 0xA4, 0x04, 0x0C, aid)


def select_file(fid: int) -> CommandAPDU:
    """SELECT EF under the current DF by file identifier, no response data."""
    return CommandAPDU(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))


def select_master_file() -> CommandAPDU:
    return CommandAPDU(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00")


def read_binary(offset: int, le: int) -> CommandAPDU:
    """READ BINARY of the current EF; offsets up to 32767 (INS B0)."""
    if not 0 <= offset <= 0x7FFF:
        raise APDUError(f"offset {offset} does not fit READ BINARY B0; use read_binary_odd")
    return CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le)


def read_binary_sfi(sfi: int, offset: int, le: int) -> CommandAPDU:
    """READ BINARY with a short file identifier in P1 (selects the EF implicitly; offset <= 255)."""
    if not 1 <= sfi <= 30 or not 0 <= offset <= 0xFF:
        raise APDUError(f"SFI {sfi} / offset {offset} out of range")
    return CommandAPDU(0x00, 0xB0, 0x80 | sfi, offset, le=le)


def read_binary_odd(offset: int, le: int) -> CommandAPDU:
    """READ BINARY with odd INS (B1): the offset in DO'54', for offsets beyond 32767."""
    from passport.tlv import encode

    raw = offset.to_bytes(max(1, (offset.bit_length() + 7) // 8), "big")
    return CommandAPDU(0x00, 0xB1, 0x00, 0x00, encode(0x54, raw), le=le)


def get_challenge(length: int = 8) -> CommandAPDU:
    return CommandAPDU(0x00, 0x84, 0x00, 0x00, le=length)


def external_authenticate(data: bytes, le: int = 40) -> CommandAPDU:
    """The BAC MUTUAL AUTHENTICATE (INS 82 with Le)."""
    return CommandAPDU(0x00, 0x82, 0x00, 0x00, data, le=le)


def internal_authenticate(challenge: bytes, le: int = 256) -> CommandAPDU:
    return CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=le)


def mse_set_at(data: bytes, p2: int = 0xA4) -> CommandAPDU:
    """MANAGE SECURITY ENVIRONMENT: Set AT (P1=C1, P2=A4 for PACE and CA v2)."""
    return CommandAPDU(0x00, 0x22, 0xC1, p2, data)


def mse_set_kat(data: bytes) -> CommandAPDU:
    """MANAGE SECURITY ENVIRONMENT: Set KAT (chip authentication with 3DES, P1=41, P2=A6)."""
    return CommandAPDU(0x00, 0x22, 0x41, 0xA6, data)


def general_authenticate(data: bytes, last: bool = True, le: int = 256) -> CommandAPDU:
    """GENERAL AUTHENTICATE with dynamic authentication data 7C; ``last=False`` sets command chaining."""
    return CommandAPDU(0x00 if last else 0x10, 0x86, 0x00, 0x00, data, le=le)
