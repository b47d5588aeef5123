"""Chip-side access control for the virtual ePassport: BAC, PACE and secure messaging engines.

The virtual chip routes APDUs here: GET CHALLENGE / MUTUAL AUTHENTICATE to :class:`BacChip`,
MSE:Set AT / GENERAL AUTHENTICATE to :class:`PaceChip`; once either reports a ``session``, every further
command goes through :meth:`ChipSecureMessaging.process`, which verifies the command MAC, hands the plain
command to the file system and protects the answer. An SM error (bad MAC, missing or malformed data
objects, a plain APDU) ends the session and is answered without SM (6987 / 6988, 9303-11 §9.8.3, §9.8.5).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from passport import crypto
from passport.apdu import CommandAPDU, ResponseAPDU
from passport.bac import BacKeys, cryptogram, session_from_key_halves
from passport.crypto import CipherName
from passport.errors import AccessControlError, APDUError, PassportError, SecureMessagingError
from passport.pace import (
    PASSWORD_REFERENCES,
    DhOps,
    EcOps,
    PasswordRef,
    authentication_token,
    derive_kpi,
    encrypt_chip_authentication_data,
    encrypt_nonce,
    nonce_length,
    password_key,
    pseudo_random,
    session_keys,
    terminal_nonce_length,
)
from passport.pace import group_ops as _group_ops
from passport.pace_params import decode_oid, pace_algorithm
from passport.sm import SecureMessaging, decode_le, is_protected_cla, plain_cla, split_dos
from passport.tlv import decode, decode_one, encode

SW_OK = 0x9000
SW_SM_MISSING = 0x6987
SW_SM_INCORRECT = 0x6988


def _status(sw: int, data: bytes = b"") -> ResponseAPDU:
    return ResponseAPDU.status(sw, data)


class _SmFault(Exception):
    def __init__(self, sw: int, reason: str):
        self.sw = sw
        super().__init__(reason)


class ChipSecureMessaging:
    """The chip's half of a secure-messaging session (same keys and SSC rules as the terminal)."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: int, cipher: CipherName):
        self._sm = SecureMessaging(ks_enc, ks_mac, ssc, cipher)
        self.active = True
        self.last_error: str | None = None

    @property
    def cipher(self) -> CipherName:
        return self._sm.cipher

    @property
    def ssc(self) -> int:
        return self._sm.ssc

    @staticmethod
    def is_protected(raw: bytes) -> bool:
        return len(raw) >= 4 and is_protected_cla(raw[0])

    def unwrap_command(self, raw: bytes | CommandAPDU) -> CommandAPDU:
        """Verify and decrypt a protected command; SecureMessagingError (session ended) if it is not valid."""
        try:
            return self._unwrap(raw)
        except _SmFault as exc:
            self._abort(str(exc))
            raise SecureMessagingError(str(exc)) from exc

    def _unwrap(self, raw: bytes | CommandAPDU) -> CommandAPDU:
        if not self.active:
            raise _SmFault(SW_SM_MISSING, "no secure-messaging session")
        try:
            cmd = raw if isinstance(raw, CommandAPDU) else CommandAPDU.from_bytes(bytes(raw))
        except APDUError as exc:
            raise _SmFault(SW_SM_INCORRECT, f"malformed APDU: {exc}") from exc
        if not is_protected_cla(cmd.cla):
            raise _SmFault(SW_SM_MISSING, "plain APDU during secure messaging")
        self._sm.increment()
        try:
            dos = split_dos(cmd.data)
        except SecureMessagingError as exc:
            raise _SmFault(SW_SM_INCORRECT, str(exc)) from exc
        tags = [tag for tag, *_ in dos]
        if not tags or tags[-1] != 0x8E or tags.count(0x8E) != 1:
            raise _SmFault(SW_SM_MISSING, "command has no DO'8E'")
        data_tag = 0x85 if cmd.ins & 1 else 0x87
        if tags not in ([0x8E], [data_tag, 0x8E], [0x97, 0x8E], [data_tag, 0x97, 0x8E]):
            raise _SmFault(SW_SM_INCORRECT, f"unexpected SM data objects {[f'{t:02X}' for t in tags]}")
        header = bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2])
        mac_value, mac_start = dos[-1][1], dos[-1][2]
        expected = self._sm.mac(crypto.pad(header, self._sm.block_size) + cmd.data[:mac_start])
        if len(mac_value) != 8 or not crypto.constant_time_equal(expected, mac_value):
            raise _SmFault(SW_SM_INCORRECT, "command MAC does not verify")
        data, le = b"", None
        for tag, value, *_ in dos[:-1]:
            try:
                if tag == 0x97:
                    le = decode_le(value) if value else 256  # empty DO'97': Le = '00'
                else:
                    data = self._sm.decrypt_data_object(tag, value)
            except SecureMessagingError as exc:
                raise _SmFault(SW_SM_INCORRECT, str(exc)) from exc
        try:
            return CommandAPDU(plain_cla(cmd.cla), cmd.ins, cmd.p1, cmd.p2, data, le)
        except APDUError as exc:
            raise _SmFault(SW_SM_INCORRECT, str(exc)) from exc

    def wrap_response(self, data: bytes, sw: int, *, odd_ins: bool = False) -> bytes:
        """Protect a response (Figure 6): [DO'87'/'85'] DO'99' DO'8E' SW1 SW2."""
        self._sm.increment()
        body = self._sm.data_object(data, odd_ins) if data else b""
        body += encode(0x99, sw.to_bytes(2, "big"))
        body += encode(0x8E, self._sm.mac(body))
        return body + sw.to_bytes(2, "big")

    def process(self, raw: bytes, handler: Callable[[CommandAPDU], ResponseAPDU]) -> bytes:
        """Unwrap ``raw``, let ``handler`` execute the plain command, protect its answer.

        On an SM error the session ends and the bare status word 6987/6988 is returned.
        """
        try:
            cmd = self._unwrap(raw)
        except _SmFault as exc:
            self._abort(str(exc))
            return exc.sw.to_bytes(2, "big")
        resp = handler(cmd)
        return self.wrap_response(resp.data, resp.sw, odd_ins=bool(cmd.ins & 1))

    def _abort(self, reason: str) -> None:
        self.active = False
        self.last_error = reason


# --- BAC ---------------------------------------------------------------------------------------------------


class BacChip:
    """GET CHALLENGE and MUTUAL AUTHENTICATE (INS 82) of BAC; ``session`` is set after success."""

    def __init__(self, key_seed: bytes, *, rnd_ic: bytes | None = None, k_ic: bytes | None = None):
        self._keys = BacKeys.from_seed(key_seed)
        self._fixed_rnd_ic = rnd_ic
        self._fixed_k_ic = k_ic
        self._challenge: bytes | None = None
        self.session: ChipSecureMessaging | None = None

    @staticmethod
    def handles(cmd: CommandAPDU) -> bool:
        return cmd.cla == 0x00 and cmd.ins in (0x84, 0x82)

    def process(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.ins == 0x84:
            return self._get_challenge(cmd)
        if cmd.ins == 0x82:
            return self._mutual_authenticate(cmd)
        return _status(0x6D00)

    def _get_challenge(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.le != 8 or cmd.p1 or cmd.p2:
            return _status(0x6700 if cmd.le != 8 else 0x6A86)
        self._challenge = self._fixed_rnd_ic or secrets.token_bytes(8)
        self._fixed_rnd_ic = None
        return ResponseAPDU(self._challenge, 0x90, 0x00)

    def _mutual_authenticate(self, cmd: CommandAPDU) -> ResponseAPDU:
        challenge, self._challenge = self._challenge, None
        if challenge is None:
            return _status(0x6985)
        if len(cmd.data) != 40:
            return _status(0x6700)
        encrypted, mac = cmd.data[:32], cmd.data[32:]
        if not crypto.constant_time_equal(crypto.retail_mac(self._keys.k_mac, encrypted), mac):
            return _status(0x6300)
        plain = crypto.des3_cbc_decrypt(self._keys.k_enc, encrypted)
        rnd_ifd, rnd_ic, k_ifd = plain[:8], plain[8:16], plain[16:32]
        if not crypto.constant_time_equal(rnd_ic, challenge):
            return _status(0x6300)
        k_ic = self._fixed_k_ic or secrets.token_bytes(16)
        self._fixed_k_ic = None
        session = session_from_key_halves(k_ifd, k_ic, rnd_ic, rnd_ifd)
        self.session = ChipSecureMessaging(session.ks_enc, session.ks_mac, session.ssc, "3DES")
        return ResponseAPDU(cryptogram(self._keys, rnd_ic, rnd_ifd, k_ic), 0x90, 0x00)


# --- PACE --------------------------------------------------------------------------------------------------


class PaceChip:
    """MSE:Set AT and the four GENERAL AUTHENTICATE steps of PACE on the chip; ``session`` after success.

    ``ca_private_key`` is the chip's static Chip Authentication key (an int), needed for the CAM OIDs.
    ``nonce``, ``mapping_key``, ``agreement_key`` fix the chip's random values (worked examples).
    """

    def __init__(
        self,
        password: bytes | str,
        password_ref: PasswordRef,
        parameter_id: int,
        oid: str,
        *,
        ca_private_key: int | None = None,
        nonce: bytes | None = None,
        mapping_key: int | None = None,
        agreement_key: int | None = None,
        k_pi: bytes | None = None,
        certification_authority_reference: bytes | None = None,
    ):
        self.algorithm = pace_algorithm(oid)
        self.parameter_id = parameter_id
        self.password_ref = password_ref
        self._ops = _group_ops(self.algorithm, parameter_id)
        self._k_pi = k_pi if k_pi is not None else derive_kpi(password_key(password, password_ref), self.algorithm)
        if self.algorithm.mapping == "CAM" and ca_private_key is None:
            raise AccessControlError("chip authentication mapping needs the chip's static private key")
        self._ca_private_key = ca_private_key
        self._fixed = {"nonce": nonce, "mapping": mapping_key, "agreement": agreement_key}
        self._car = certification_authority_reference
        self._step = 0  # 0: no MSE yet; 1-4: next GENERAL AUTHENTICATE step
        self._state: dict[str, object] = {}
        self.session: ChipSecureMessaging | None = None

    @staticmethod
    def handles(cmd: CommandAPDU) -> bool:
        return (cmd.ins == 0x22 and cmd.p1 == 0xC1 and cmd.p2 == 0xA4) or cmd.ins == 0x86

    def process(self, cmd: CommandAPDU) -> ResponseAPDU:
        try:
            if cmd.ins == 0x22:
                return self._mse_set_at(cmd)
            if cmd.ins == 0x86:
                return self._general_authenticate(cmd)
            return _status(0x6D00)
        except PassportError:  # malformed TLV, invalid key, unknown OID ...
            self._reset()
            return _status(0x6A80)

    def _reset(self) -> None:
        self._step = 0
        self._state = {}

    def _pick(self, name: str, make: Callable[[], object]) -> object:
        fixed = self._fixed.get(name)
        if fixed is not None:
            self._fixed[name] = None
            return fixed
        return make()

    def _mse_set_at(self, cmd: CommandAPDU) -> ResponseAPDU:
        self._reset()
        self.session = None
        items = {item.tag: item.value for item in decode(cmd.data)}
        if 0x80 not in items or 0x83 not in items:
            return _status(0x6A80)
        if decode_oid(items[0x80]) != self.algorithm.oid:
            return _status(0x6A80)
        if items[0x83] != bytes([PASSWORD_REFERENCES[self.password_ref]]):
            return _status(0x6A88)
        if 0x84 in items and items[0x84] != bytes([self.parameter_id]):
            return _status(0x6A88)
        self._step = 1
        return _status(SW_OK)

    def _general_authenticate(self, cmd: CommandAPDU) -> ResponseAPDU:
        if self._step == 0:
            return _status(0x6985)
        last = self._step == 4
        if bool(cmd.cla & 0x10) == last:
            self._reset()
            return _status(0x6883)  # chaining bit set on the last step, or missing before it
        outer, rest = decode_one(cmd.data)
        if outer.tag != 0x7C or rest:
            self._reset()
            return _status(0x6A80)
        inner = {item.tag: item.value for item in outer.children()}
        step = self._step
        handler = {1: self._step_nonce, 2: self._step_map, 3: self._step_agree, 4: self._step_authenticate}[step]
        resp = handler(inner)
        if resp.ok and step < 4:
            self._step = step + 1
        else:
            self._reset()
        return resp

    def _step_nonce(self, inner: dict[int, bytes]) -> ResponseAPDU:
        if inner:
            return _status(0x6A80)
        s = self._pick("nonce", lambda: secrets.token_bytes(nonce_length(self.algorithm)))
        assert isinstance(s, bytes)
        self._state["s"] = s
        z = encrypt_nonce(self._k_pi, s, self.algorithm.cipher)
        return ResponseAPDU(encode(0x7C, encode(0x80, z)), 0x90, 0x00)

    def _step_map(self, inner: dict[int, bytes]) -> ResponseAPDU:
        ops = self._ops
        s = self._state["s"]
        assert isinstance(s, bytes)
        if 0x81 not in inner:
            return _status(0x6A80)
        if self.algorithm.mapping == "IM":
            t = inner[0x81]
            if len(t) != terminal_nonce_length(self.algorithm):
                return _status(0x6A80)
            x = int.from_bytes(pseudo_random(s, t, ops.prime, self.algorithm), "big") % ops.prime
            self._state["generator"] = ops.integrated_map(x)
            return ResponseAPDU(encode(0x7C, b""), 0x90, 0x00)
        sk_map = self._pick("mapping", ops.random_private)
        assert isinstance(sk_map, int)
        peer = ops.decode(inner[0x81])
        shared = ops.agree(sk_map, peer)
        self._state["generator"] = ops.generic_map(int.from_bytes(s, "big"), shared)
        self._state["sk_map"] = sk_map
        return ResponseAPDU(encode(0x7C, encode(0x82, ops.encode(ops.public(sk_map)))), 0x90, 0x00)

    def _step_agree(self, inner: dict[int, bytes]) -> ResponseAPDU:
        if 0x83 not in inner:
            return _status(0x6A80)
        eph: DhOps | EcOps = self._ops.with_generator(self._state["generator"])  # type: ignore[arg-type]
        sk = self._pick("agreement", eph.random_private)
        assert isinstance(sk, int)
        public_ifd = inner[0x83]
        peer = eph.decode(public_ifd)
        public_ic = eph.encode(eph.public(sk))
        if public_ic == public_ifd:
            return _status(0x6A80)
        shared = eph.shared_secret(eph.agree(sk, peer))
        self._state.update(public_ifd=public_ifd, public_ic=public_ic, keys=session_keys(shared, self.algorithm))
        return ResponseAPDU(encode(0x7C, encode(0x84, public_ic)), 0x90, 0x00)

    def _step_authenticate(self, inner: dict[int, bytes]) -> ResponseAPDU:
        ks_enc, ks_mac = self._state["keys"]  # type: ignore[misc]
        public_ifd, public_ic = self._state["public_ifd"], self._state["public_ic"]
        assert isinstance(public_ifd, bytes) and isinstance(public_ic, bytes)
        expected = authentication_token(self.algorithm, ks_mac, public_ic)
        if not crypto.constant_time_equal(inner.get(0x85, b""), expected):
            self._reset()
            return _status(0x6300)
        out = encode(0x86, authentication_token(self.algorithm, ks_mac, public_ifd))
        if self._car is not None:
            out += encode(0x87, self._car)
        if self.algorithm.mapping == "CAM":
            assert isinstance(self._ops, EcOps) and self._ca_private_key is not None
            order = self._ops.curve.order
            sk_map = self._state["sk_map"]
            assert isinstance(sk_map, int)
            ca_ic = pow(self._ca_private_key, -1, order) * sk_map % order
            ca_bytes = ca_ic.to_bytes((order.bit_length() + 7) // 8, "big")
            out += encode(0x8A, encrypt_chip_authentication_data(ks_enc, ca_bytes))
        self.session = ChipSecureMessaging(ks_enc, ks_mac, 0, self.algorithm.cipher)
        self._state = {}
        return ResponseAPDU(encode(0x7C, out), 0x90, 0x00)
