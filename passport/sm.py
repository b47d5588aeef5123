"""Secure messaging of ICAO 9303-11 §9.8 (terminal side), with 3DES or AES session keys.

A protected command is ``[DO'87' | DO'85'] [DO'97'] DO'8E'``; a protected response is
``[DO'87' | DO'85'] DO'99' DO'8E'`` followed by the status word. The send sequence counter (SSC) is
incremented before every command and every response, so a command uses SSC+1 and its response SSC+2.

Every response is authenticated before anything in it is used; its status word is the one protected in
DO'99' (a different plain trailer, which some chips send, is recorded in ``trailer_mismatch`` and not
believed). A response that carries no secure-messaging objects at all is an error too: 6987/6988 mean that the chip dropped the session; any other bare status word
is reported as :class:`UnprotectedStatusError` (it carries the status word, but it is not authenticated).
The SSC has been incremented for such a response as for any other; after 6987/6988 the session is over
(§9.8.5) and a new BAC/PACE is needed.
"""

from __future__ import annotations

from typing import Protocol

from passport import crypto
from passport.apdu import CommandAPDU, ResponseAPDU
from passport.crypto import CipherName
from passport.errors import APDUError, SecureMessagingError, TLVError
from passport.tlv import encode, parse_length, parse_tag

SM_CLA_BITS = 0x0C  # "SM, command header authenticated" in an interindustry CLA (ISO 7816-4 5.4.1)
MAC_LENGTH = 8


class UnprotectedStatusError(SecureMessagingError):
    """The chip answered a protected command with a bare status word (no MAC)."""

    def __init__(self, sw: int, message: str):
        self.sw = sw
        super().__init__(message)


class Transport(Protocol):
    def transmit(self, apdu: bytes) -> bytes: ...


def sm_cla(cla: int) -> int:
    """CLA of a protected command (ISO 7816-4 5.4.1): first interindustry class 0x00-0x1F gets b4 b3 set
    ("header authenticated", chaining and channel kept); further interindustry 0x40-0x7F gets b6."""
    if cla <= 0x1F:
        return cla | SM_CLA_BITS
    if 0x40 <= cla <= 0x7F:
        return cla | 0x20
    raise SecureMessagingError(f"CLA {cla:02X} cannot carry secure messaging")


def is_protected_cla(cla: int) -> bool:
    if cla <= 0x1F:
        return cla & SM_CLA_BITS == SM_CLA_BITS
    return 0x40 <= cla <= 0x7F and bool(cla & 0x20)


def plain_cla(cla: int) -> int:
    if cla <= 0x1F:
        return cla & ~SM_CLA_BITS & 0xFF
    return cla & ~0x20 & 0xFF


def encode_do97(le: int) -> bytes:
    """DO'97' with Le: one byte up to 256 ('00' = 256), two bytes above ('0000' = 65536)."""
    if le == 0:
        le = 256
    if le <= 256:
        return encode(0x97, bytes([le & 0xFF]))
    return encode(0x97, (le & 0xFFFF).to_bytes(2, "big"))


def decode_le(value: bytes) -> int:
    if len(value) == 1:
        return value[0] or 256
    if len(value) == 2:
        return int.from_bytes(value, "big") or 65536
    raise SecureMessagingError(f"DO'97' of {len(value)} bytes")


def split_dos(data: bytes) -> list[tuple[int, bytes, int, int]]:
    """Split SM data objects into ``(tag, value, start, end)``; single-byte tags only, bounded lengths."""
    out: list[tuple[int, bytes, int, int]] = []
    offset = 0
    try:
        while offset < len(data):
            start = offset
            tag, offset = parse_tag(data, offset)
            length, offset = parse_length(data, offset)
            end = offset + length
            if end > len(data):
                raise SecureMessagingError(f"SM data object {tag:X} runs past the end of the data")
            out.append((tag, bytes(data[offset:end]), start, end))
            offset = end
    except TLVError as exc:
        raise SecureMessagingError(f"malformed SM data objects: {exc}") from exc
    return out


class SecureMessaging:
    """One secure-messaging session: keys, cipher and the send sequence counter."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: int, cipher: CipherName):
        if cipher not in ("3DES", "AES"):
            raise ValueError(f"cipher {cipher!r} (want '3DES' or 'AES')")
        if cipher == "3DES" and (len(ks_enc), len(ks_mac)) != (16, 16):
            raise ValueError("3DES session keys must be 16 bytes")
        if cipher == "AES" and (len(ks_enc) not in (16, 24, 32) or len(ks_mac) != len(ks_enc)):
            raise ValueError("AES session keys must be 16, 24 or 32 bytes")
        self.ks_enc = bytes(ks_enc)
        self.ks_mac = bytes(ks_mac)
        self.cipher: CipherName = cipher
        self.block_size = crypto.block_size(cipher)
        if not 0 <= ssc < 1 << (8 * self.block_size):
            raise ValueError("SSC does not fit the cipher block")
        self.ssc = ssc
        self.trailer_mismatch: tuple[int, int] | None = None  # (DO'99', plain trailer) when they last differed

    def __repr__(self) -> str:  # never show keys
        return f"SecureMessaging(cipher={self.cipher}, key_bits={len(self.ks_enc) * 8}, ssc={self.ssc:X})"

    # --- primitives with the current SSC ---------------------------------------------------------------

    @property
    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.block_size, "big")

    def increment(self) -> None:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.block_size))

    def encrypt(self, data: bytes) -> bytes:
        iv = crypto.sm_iv(self.cipher, self.ks_enc, self.ssc_bytes)
        return crypto.cbc_encrypt(self.cipher, self.ks_enc, crypto.pad(data, self.block_size), iv)

    def decrypt(self, data: bytes) -> bytes:
        if not data or len(data) % self.block_size:
            raise SecureMessagingError(f"encrypted data of {len(data)} bytes is not whole cipher blocks")
        iv = crypto.sm_iv(self.cipher, self.ks_enc, self.ssc_bytes)
        return crypto.unpad(crypto.cbc_decrypt(self.cipher, self.ks_enc, data, iv))

    def mac(self, data: bytes) -> bytes:
        """MAC over SSC || data, padded by this layer (§9.8.1)."""
        msg = crypto.pad(self.ssc_bytes + bytes(data), self.block_size)
        return crypto.mac8(self.cipher, self.ks_mac, msg, padded=True)

    def data_object(self, data: bytes, odd_ins: bool) -> bytes:
        """DO'85' (odd INS, no padding-content indicator) or DO'87' (even INS, indicator 01)."""
        if odd_ins:
            return encode(0x85, self.encrypt(data))
        return encode(0x87, b"\x01" + self.encrypt(data))

    def decrypt_data_object(self, tag: int, value: bytes) -> bytes:
        if tag == 0x87:
            if not value or value[0] != 0x01:
                raise SecureMessagingError("DO'87' without padding-content indicator 01")
            return self.decrypt(value[1:])
        return self.decrypt(value)

    # --- terminal side ------------------------------------------------------------------------------------

    def wrap(self, cmd: CommandAPDU) -> CommandAPDU:
        """Protect a command APDU (Figure 5); increments the SSC."""
        self.increment()
        header = bytes([sm_cla(cmd.cla), cmd.ins, cmd.p1, cmd.p2])
        body = b""
        if cmd.data:
            body += self.data_object(cmd.data, bool(cmd.ins & 1))
        le = cmd.le
        if le is not None:
            body += encode_do97(le)
        body += encode(0x8E, self.mac(crypto.pad(header, self.block_size) + body))
        extended = len(body) > 255 or (le is not None and le > 256)
        return CommandAPDU(header[0], cmd.ins, cmd.p1, cmd.p2, body, le=65536 if extended else 256,
                           force_extended=extended)

    def unwrap(self, resp: bytes | ResponseAPDU) -> ResponseAPDU:
        """Verify and decrypt a protected response (Figure 6); increments the SSC."""
        if not isinstance(resp, ResponseAPDU):
            try:
                resp = ResponseAPDU.from_bytes(bytes(resp))
            except APDUError as exc:
                raise SecureMessagingError(f"response too short: {exc}") from exc
        self.increment()
        if not resp.data:
            if resp.sw in (0x6987, 0x6988):
                raise UnprotectedStatusError(
                    resp.sw, f"chip ended secure messaging with {resp.sw:04X} "
                    f"({'SM data objects missing' if resp.sw == 0x6987 else 'SM data objects incorrect'})")
            raise UnprotectedStatusError(
                resp.sw, f"response {resp.sw:04X} carries no secure-messaging MAC")
        dos = split_dos(resp.data)
        tags = [tag for tag, *_ in dos]
        if tags.count(0x8E) != 1 or tags[-1] != 0x8E:
            raise SecureMessagingError("response has no DO'8E' at its end")
        if 0x99 not in tags:
            raise SecureMessagingError("response has no DO'99' (protected status word)")
        allowed = ([0x99, 0x8E], [0x87, 0x99, 0x8E], [0x85, 0x99, 0x8E])
        if tags not in allowed:
            raise SecureMessagingError(f"unexpected SM data objects {[f'{t:02X}' for t in tags]}")
        mac_value, mac_start = dos[-1][1], dos[-1][2]
        if len(mac_value) != MAC_LENGTH:
            raise SecureMessagingError(f"DO'8E' of {len(mac_value)} bytes")
        if not crypto.constant_time_equal(self.mac(resp.data[:mac_start]), mac_value):
            raise SecureMessagingError("response MAC does not verify")
        status = next(value for tag, value, *_ in dos if tag == 0x99)
        if len(status) != 2:
            raise SecureMessagingError(f"DO'99' of {len(status)} bytes")
        if status != bytes([resp.sw1, resp.sw2]):  # the plain trailer is not authenticated: DO'99' counts
            self.trailer_mismatch = (int.from_bytes(status, "big"), resp.sw)
        data = b""
        if tags[0] in (0x85, 0x87):
            data = self.decrypt_data_object(tags[0], dos[0][1])
        return ResponseAPDU(data, status[0], status[1])


class SecureChannel:
    """A transport that protects every command with a :class:`SecureMessaging` session."""

    def __init__(self, transport: Transport, sm: SecureMessaging):
        self.transport = transport
        self.sm = sm

    def transmit(self, cmd: CommandAPDU) -> ResponseAPDU:
        protected = self.sm.wrap(cmd)
        raw = self.transport.transmit(protected.to_bytes())
        return self.sm.unwrap(raw)


__all__ = [
    "SecureChannel",
    "SecureMessaging",
    "SecureMessagingError",
    "UnprotectedStatusError",
    "decode_le",
    "encode_do97",
    "is_protected_cla",
    "plain_cla",
    "sm_cla",
    "split_dos",
]
