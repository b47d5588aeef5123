"""An independent reference of AES secure messaging, written from ICAO Doc 9303-11 §9.8 and BSI TR-03110-3
§F (not calling ``passport/``), to cross-check the project's implementation: a bug shared by the reader and
the simulated chip, which both use ``passport.sm``, would pass every test that runs one against the other.

Only the AES block cipher comes from a library (``cryptography``, ECB on single blocks); CBC, padding
(ISO/IEC 9797-1 method 2), CMAC (NIST SP 800-38B) and the APDU layout are written out here.

- SSC: 16 bytes, incremented before each command and before each response (§9.8.2).
- Encryption: AES-CBC with IV = E(KSenc, SSC) (§9.8.6.2 / TR-03110-3 F.2), data padded with method 2.
- MAC: CMAC over pad(SSC || M), truncated to 8 bytes (§9.8.6.2; the padding is applied before CMAC, so the
  CMAC sees whole blocks).
- Command (§9.8.4, Figure 5): CLA | 0x0C, INS, P1, P2; M = pad(header) || DO'87' (even INS: 01 || cryptogram)
  or DO'85' (odd INS) || DO'97' (Le); then DO'8E'; Le' = 00 (or 0000 extended).
- Response (§9.8.5, Figure 6): [DO'87'/DO'85'] DO'99' (SW) DO'8E' (MAC over them) SW.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16
MAC_SIZE = 8


class ReferenceSMError(Exception):
    """The reference refuses a protected message (bad layout or MAC)."""


def _aes_block(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _aes_block_inverse(key: bytes, block: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return dec.update(block) + dec.finalize()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros up to a whole block."""
    return data + b"\x80" + bytes((-len(data) - 1) % BLOCK)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= BLOCK:
        raise ReferenceSMError("bad padding")
    return stripped[:-1]


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    out, prev = b"", iv
    for i in range(0, len(data), BLOCK):
        prev = _aes_block(key, _xor(prev, data[i : i + BLOCK]))
        out += prev
    return out


def cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % BLOCK:
        raise ReferenceSMError("cryptogram is not whole blocks")
    out, prev = b"", iv
    for i in range(0, len(data), BLOCK):
        block = data[i : i + BLOCK]
        out += _xor(prev, _aes_block_inverse(key, block))
        prev = block
    return out


def _double(block: bytes) -> bytes:
    """Multiplication by x in GF(2^128) (SP 800-38B §6.1, R_128 = 0x87)."""
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ 0x87
    return value.to_bytes(BLOCK, "big")


def cmac(key: bytes, message: bytes) -> bytes:
    """AES-CMAC (NIST SP 800-38B, RFC 4493), full 16 bytes."""
    k1 = _double(_aes_block(key, bytes(BLOCK)))
    k2 = _double(k1)
    if message and len(message) % BLOCK == 0:
        last = _xor(message[-BLOCK:], k1)
        head = message[:-BLOCK]
    else:
        cut = len(message) - len(message) % BLOCK
        head, tail = message[:cut], message[cut:]
        last = _xor(tail + b"\x80" + bytes(BLOCK - len(tail) - 1), k2)
    state = bytes(BLOCK)
    for i in range(0, len(head), BLOCK):
        state = _aes_block(key, _xor(state, head[i : i + BLOCK]))
    return _aes_block(key, _xor(state, last))


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + value


def _read_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise ReferenceSMError("truncated data object")
        tag, first = data[i], data[i + 1]
        i += 2
        if first < 0x80:
            length = first
        elif first in (0x81, 0x82):
            size = first - 0x80
            if i + size > len(data):
                raise ReferenceSMError("truncated length")
            length = int.from_bytes(data[i : i + size], "big")
            i += size
        else:
            raise ReferenceSMError("unsupported length form")
        if i + length > len(data):
            raise ReferenceSMError("data object runs past the end")
        out.append((tag, data[i : i + length]))
        i += length
    return out


@dataclass
class PlainCommand:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # 1..65536; None when no response data is expected


@dataclass
class ReferenceSM:
    """One AES session as either end sees it; ``ssc`` is the counter before the next increment."""

    ks_enc: bytes
    ks_mac: bytes
    ssc: int = 0

    def _next_ssc(self) -> bytes:
        self.ssc = (self.ssc + 1) % (1 << 128)
        return self.ssc.to_bytes(BLOCK, "big")

    def _mac(self, ssc: bytes, data: bytes) -> bytes:
        return cmac(self.ks_mac, pad(ssc + data))[:MAC_SIZE]

    def _encrypt(self, ssc: bytes, data: bytes) -> bytes:
        return cbc_encrypt(self.ks_enc, _aes_block(self.ks_enc, ssc), pad(data))

    def _decrypt(self, ssc: bytes, cryptogram: bytes) -> bytes:
        return unpad(cbc_decrypt(self.ks_enc, _aes_block(self.ks_enc, ssc), cryptogram))

    # --- terminal side ---

    def wrap_command(self, cmd: PlainCommand) -> bytes:
        ssc = self._next_ssc()
        header = bytes([cmd.cla | 0x0C, cmd.ins, cmd.p1, cmd.p2])
        body = b""
        if cmd.data:
            cryptogram = self._encrypt(ssc, cmd.data)
            body += _tlv(0x85, cryptogram) if cmd.ins & 1 else _tlv(0x87, b"\x01" + cryptogram)
        if cmd.le is not None:
            body += _tlv(
                0x97, bytes([cmd.le % 256]) if cmd.le <= 256 else (cmd.le % 65536).to_bytes(2, "big")
            )
        body += _tlv(0x8E, self._mac(ssc, pad(header) + body))
        extended = len(body) > 255 or (cmd.le is not None and cmd.le > 256)
        if extended:
            return header + b"\x00" + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        return header + bytes([len(body)]) + body + b"\x00"

    def unwrap_response(self, raw: bytes) -> tuple[bytes, int]:
        ssc = self._next_ssc()
        if len(raw) < 2:
            raise ReferenceSMError("response shorter than a status word")
        body = raw[:-2]
        objects = _read_tlvs(body)
        tags = [tag for tag, _ in objects]
        if tags not in ([0x99, 0x8E], [0x87, 0x99, 0x8E], [0x85, 0x99, 0x8E]):
            raise ReferenceSMError(f"unexpected data objects {tags}")
        mac = objects[-1][1]
        if self._mac(ssc, body[: len(body) - len(mac) - 2]) != mac:
            raise ReferenceSMError("response MAC does not verify")
        status = dict(objects)[0x99]
        data = b""
        if tags[0] == 0x87:
            if objects[0][1][:1] != b"\x01":
                raise ReferenceSMError("DO'87' without padding indicator")
            data = self._decrypt(ssc, objects[0][1][1:])
        elif tags[0] == 0x85:
            data = self._decrypt(ssc, objects[0][1])
        return data, int.from_bytes(status, "big")

    # --- chip side ---

    def unwrap_command(self, raw: bytes) -> PlainCommand:
        ssc = self._next_ssc()
        header, body = raw[:4], _command_body(raw)
        objects = _read_tlvs(body)
        tags = [tag for tag, _ in objects]
        if not tags or tags[-1] != 0x8E or header[0] & 0x0C != 0x0C:
            raise ReferenceSMError("not a protected command")
        mac = objects[-1][1]
        if self._mac(ssc, pad(header) + body[: len(body) - len(mac) - 2]) != mac:
            raise ReferenceSMError("command MAC does not verify")
        values = dict(objects)
        data = b""
        if 0x87 in values:
            data = self._decrypt(ssc, values[0x87][1:])
        elif 0x85 in values:
            data = self._decrypt(ssc, values[0x85])
        le = None
        if 0x97 in values:
            le = int.from_bytes(values[0x97], "big") or (256 if len(values[0x97]) == 1 else 65536)
        return PlainCommand(header[0] & ~0x0C & 0xFF, header[1], header[2], header[3], data, le)

    def wrap_response(self, data: bytes, sw: int, odd_ins: bool = False) -> bytes:
        ssc = self._next_ssc()
        body = b""
        if data:
            cryptogram = self._encrypt(ssc, data)
            body += _tlv(0x85, cryptogram) if odd_ins else _tlv(0x87, b"\x01" + cryptogram)
        body += _tlv(0x99, sw.to_bytes(2, "big"))
        body += _tlv(0x8E, self._mac(ssc, body))
        return body + sw.to_bytes(2, "big")


def _command_body(raw: bytes) -> bytes:
    """The data field of a case 3/4 command APDU, short or extended (ISO/IEC 7816-4 §5.1)."""
    if len(raw) < 6:
        raise ReferenceSMError("command without a data field")
    if raw[4] != 0:
        return raw[5 : 5 + raw[4]]
    length = int.from_bytes(raw[5:7], "big")
    return raw[7 : 7 + length]
