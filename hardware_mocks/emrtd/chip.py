"""A simulated ePassport chip (ICAO 9303-10/-11) for the vpcd virtual reader.

:class:`EmrtdChip` is an ISO 7816-4 command dispatcher implementing :class:`hardware_mocks.emrtd.vpcd.VirtualCard`:
the master file with EF.CardAccess (readable without access control), the eMRTD application (AID
A0000002471001) whose EF.COM, data groups and EF.SOD need BAC or PACE, secure messaging (3DES or AES),
READ BINARY in all its forms (offset in P1-P2, short EF identifier in P1, odd INS B1 with DO'54'; short and
extended Le), DG3/DG4 refused (6982: no terminal authentication), active authentication (INTERNAL
AUTHENTICATE) and chip authentication (MSE:Set KAT, or MSE:Set AT + GENERAL AUTHENTICATE), after which
secure messaging continues with the new keys. The cryptography lives in :mod:`hardware_mocks.emrtd.access`
(BAC/PACE/secure messaging) and :mod:`hardware_mocks.emrtd.auth` (AA/CA); faults come from
:mod:`hardware_mocks.emrtd.faults`.

Run ``python -m hardware_mocks.emrtd.chip --doc FOLDER`` to present a document on the vpcd reader.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from hardware_mocks.emrtd import access as emrtd_access
from hardware_mocks.emrtd.faults import FAULT_HELP, Fault, FaultError, parse_fault
from hardware_mocks.emrtd.files import (
    FID_CARD_ACCESS,
    FID_COM,
    FID_DG,
    FID_SOD,
    ChipFiles,
    ChipFilesError,
    load_chip_files,
)
from hardware_mocks.emrtd.iso7816_card import build_atr
from passport import tlv
from passport.apdu import CommandAPDU, ResponseAPDU
from passport.errors import PassportError

log = logging.getLogger(__name__)

EMRTD_AID = bytes.fromhex("A0000002471001")
MF_FID = 0x3F00
PROTECTED_EAC = {FID_DG[3], FID_DG[4]}  # need terminal authentication (EAC), which this chip never grants

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_AUTH_FAILED = 0x6300
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_SM_OBJECTS_MISSING = 0x6987
SW_SM_OBJECTS_INCORRECT = 0x6988
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

INS_MSE = 0x22
INS_MUTUAL_AUTHENTICATE = 0x82
INS_GET_CHALLENGE = 0x84
INS_GENERAL_AUTHENTICATE = 0x86
INS_INTERNAL_AUTHENTICATE = 0x88
INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_READ_BINARY_ODD = 0xB1

OID_CA_PREFIX = "0.4.0.127.0.7.2.2.3."


@dataclass(frozen=True)
class ChipOptions:
    """What the chip supports. ``max_le`` bounds the response data of one short APDU; with
    ``extended_length`` a READ BINARY may return up to ``max_extended_le`` bytes."""

    extended_length: bool = True
    max_le: int = 256
    max_extended_le: int = 65536
    bac: bool = True
    sfi_refusal: int | None = None  # status word for READ BINARY with a short EF identifier (not supported)
    start_in_application: bool = False  # the eMRTD application stays selected across resets


class _Answer(Exception):
    """Internal: end processing of a command with a status word."""

    def __init__(self, sw: int, data: bytes = b""):
        super().__init__(f"{sw:04X}")
        self.sw = sw
        self.data = data


class EmrtdChip:
    """An eMRTD chip holding ``files``; ``faults`` change its documents, capabilities or behaviour."""

    def __init__(
        self, files: ChipFiles, *, options: ChipOptions | None = None, faults: Sequence[Fault] = ()
    ):
        self.faults = list(faults)
        options = options or ChipOptions()
        for fault in self.faults:
            files = fault.apply_files(files)
            options = fault.apply_options(options)
        self.files = files
        self.options = options
        self._lock = threading.Lock()
        self.apdu_count = 0
        self._reset_state()

    # -- VirtualCard protocol --------------------------------------------------------------------------

    def atr(self) -> bytes:
        return build_atr(self.options.extended_length)

    def power_on(self) -> None:
        self._reset_state()

    def power_off(self) -> None:
        self._reset_state()

    def reset(self) -> None:
        self._reset_state()

    def process_apdu(self, apdu: bytes) -> bytes:
        with self._lock:
            self.apdu_count += 1
            for fault in self.faults:
                override = fault.before_command(self, apdu)
                if override is not None:
                    return override
            response = self._process(bytes(apdu))
            for fault in self.faults:
                response = fault.after_response(self, bytes(apdu), response)
            return response

    # -- state -----------------------------------------------------------------------------------------

    @property
    def secure_messaging_active(self) -> bool:
        return self._sm is not None

    @property
    def access(self) -> str | None:
        """"BAC" or "PACE" while a secure-messaging session is open."""
        return self._access if self._sm is not None else None

    def drop_session(self) -> None:
        """End the secure-messaging session (the keys are forgotten; the inspection system must redo access)."""
        self._sm = None
        self._access = None
        self._bac = None
        self._pace = None
        self._ca_setup = None

    def _reset_state(self) -> None:
        self._app_selected = self.options.start_in_application
        self._current_ef: int | None = None
        self._sm: Any = None
        self._access: str | None = None
        self._bac: Any = None
        self._pace: Any = None
        self._ca_setup: dict[int, bytes] | None = None

    # -- dispatch --------------------------------------------------------------------------------------

    def _process(self, raw: bytes) -> bytes:
        if len(raw) < 4:
            return _sw(SW_WRONG_LENGTH)
        cla = raw[0]
        if cla & 0xE3:  # first interindustry class, basic channel: only chaining (b5) and SM (b4 b3) may be set
            return _sw(SW_CLA_NOT_SUPPORTED)
        secured = cla & 0x0C == 0x0C
        if secured:
            if self._sm is None:
                return _sw(SW_SM_OBJECTS_MISSING)
            return self._process_secured(raw)
        if cla & 0x0C:
            return _sw(SW_CLA_NOT_SUPPORTED)
        if self._sm is not None:
            # A plain command ends the secure-messaging session (9303-11 §9.8); it is then processed
            # without access rights, which lets an inspection system start BAC/PACE again.
            self.drop_session()
        try:
            cmd = CommandAPDU.from_bytes(raw)
        except PassportError:
            return _sw(SW_WRONG_LENGTH)
        if cmd.extended and not self.options.extended_length:
            return _sw(SW_WRONG_LENGTH)
        try:
            data = self._execute(cmd)
            return data + _sw(SW_OK)
        except _Answer as answer:
            return answer.data + _sw(answer.sw)

    def _process_secured(self, raw: bytes) -> bytes:
        sm = self._sm
        try:
            extended_outer = CommandAPDU.from_bytes(raw).extended
            cmd = sm.unwrap_command(raw)
        except PassportError as exc:
            log.debug("secure messaging error, session closed: %s", exc)
            self.drop_session()
            return _sw(SW_SM_OBJECTS_INCORRECT)
        switch_to: Any = None
        try:
            if extended_outer and not self.options.extended_length:
                raise _Answer(SW_WRONG_LENGTH)
            data, switch_to = self._execute_secured(cmd, extended_outer)
            sw = SW_OK
        except _Answer as answer:
            data, sw = answer.data, answer.sw
        if sm is not self._sm:  # the command ended the session
            return _sw(sw)
        response = sm.wrap_response(data, sw, odd_ins=bool(cmd.ins & 1))
        if switch_to is not None:  # chip authentication: the answer goes under the old keys, then switch
            self._sm = switch_to
        return response

    def _execute_secured(self, cmd: CommandAPDU, extended_outer: bool) -> tuple[bytes, Any]:
        if cmd.ins == INS_INTERNAL_AUTHENTICATE:
            return self._internal_authenticate(cmd), None
        if cmd.ins == INS_MSE:
            return self._mse_secured(cmd)
        if cmd.ins == INS_GENERAL_AUTHENTICATE:
            return self._general_authenticate_ca(cmd)
        if cmd.ins in (INS_GET_CHALLENGE, INS_MUTUAL_AUTHENTICATE):
            raise _Answer(SW_CONDITIONS_NOT_SATISFIED)
        data = self._execute(cmd, max_response=self._max_secured_response(extended_outer))
        return data, None

    def _execute(self, cmd: CommandAPDU, max_response: int | None = None) -> bytes:
        if cmd.ins == INS_SELECT:
            return self._select(cmd)
        if cmd.ins in (INS_READ_BINARY, INS_READ_BINARY_ODD):
            limit = max_response if max_response is not None else self._max_plain_response(cmd)
            return self._read_binary(cmd, limit)
        if cmd.ins == INS_GET_CHALLENGE:
            return self._get_challenge(cmd)
        if cmd.ins == INS_MUTUAL_AUTHENTICATE:
            return self._mutual_authenticate(cmd)
        if cmd.ins == INS_MSE:
            return self._mse_plain(cmd)
        if cmd.ins == INS_GENERAL_AUTHENTICATE:
            return self._general_authenticate_pace(cmd)
        if cmd.ins == INS_INTERNAL_AUTHENTICATE:
            raise _Answer(SW_SECURITY_NOT_SATISFIED)
        raise _Answer(SW_INS_NOT_SUPPORTED)

    def _max_plain_response(self, cmd: CommandAPDU) -> int:
        if cmd.extended:
            return self.options.max_extended_le
        return self.options.max_le

    def _max_secured_response(self, extended_outer: bool) -> int:
        """The most plain data that fits one protected response (DO'87' padded, DO'99', DO'8E')."""
        if extended_outer:
            return self.options.max_extended_le
        block = 8 if self._sm.cipher == "3DES" else 16
        # 87 81 L 01 <padded> 99 02 SW1 SW2 8E 08 MAC within 256 bytes; padding adds 1..block bytes
        room = 256 - 4 - 4 - 10
        padded = room - room % block
        return min(self.options.max_le, padded - 1)

    # -- file system -----------------------------------------------------------------------------------

    def _select(self, cmd: CommandAPDU) -> bytes:
        if cmd.p1 == 0x04:
            if cmd.data != EMRTD_AID:
                raise _Answer(SW_FILE_NOT_FOUND)
            self._app_selected = True
            self._current_ef = None
            return b""
        if cmd.p1 in (0x00, 0x02):
            if cmd.p1 == 0x00 and (not cmd.data or cmd.data == b"\x3f\x00"):
                self._app_selected = False
                self._current_ef = None
                return b""
            if len(cmd.data) != 2:
                raise _Answer(SW_WRONG_LENGTH)
            fid = int.from_bytes(cmd.data, "big")
            self._check_file(fid)
            self._current_ef = fid
            if cmd.p2 & 0x0C == 0x0C:
                return b""
            size = len(self.files.files[fid])
            fcp = tlv.encode(0x80, size.to_bytes(2, "big")) + tlv.encode(0x82, b"\x01")
            return tlv.encode(0x62, fcp + tlv.encode(0x83, cmd.data))
        raise _Answer(SW_WRONG_P1P2)

    def _visible_files(self) -> set[int]:
        if self._app_selected:
            return {fid for fid in self.files.files if fid != FID_CARD_ACCESS}
        return {FID_CARD_ACCESS} & set(self.files.files)

    def _check_file(self, fid: int) -> None:
        if fid not in self._visible_files():
            raise _Answer(SW_FILE_NOT_FOUND)
        if fid != FID_CARD_ACCESS and self._sm is None:
            raise _Answer(SW_SECURITY_NOT_SATISFIED)

    def _read_binary(self, cmd: CommandAPDU, limit: int) -> bytes:
        if cmd.ins == INS_READ_BINARY_ODD:
            if cmd.p1 or cmd.p2:
                fid = (cmd.p1 << 8) | cmd.p2
                self._check_file(fid)
                self._current_ef = fid
            try:
                offset_do = tlv.decode(cmd.data)
            except PassportError as exc:
                raise _Answer(SW_WRONG_DATA) from exc
            if len(offset_do) != 1 or offset_do[0].tag != 0x54 or not 1 <= len(offset_do[0].value) <= 3:
                raise _Answer(SW_WRONG_DATA)
            offset = int.from_bytes(offset_do[0].value, "big")
        elif cmd.p1 & 0x80:
            if self.options.sfi_refusal is not None:
                raise _Answer(self.options.sfi_refusal)
            if cmd.p1 & 0x60:
                raise _Answer(SW_WRONG_P1P2)
            fid = self._fid_for_sfi(cmd.p1 & 0x1F)
            self._check_file(fid)
            self._current_ef = fid
            offset = cmd.p2
        else:
            offset = (cmd.p1 << 8) | cmd.p2
        fid = self._current_ef
        if fid is None:
            raise _Answer(SW_NO_CURRENT_EF)
        self._check_file(fid)
        if fid in PROTECTED_EAC:
            raise _Answer(SW_SECURITY_NOT_SATISFIED)
        le = cmd.le
        if le is None:
            raise _Answer(SW_WRONG_LENGTH)
        if le in (256, 65536):  # Le 00 / 0000: as many bytes as the chip can send
            le = min(le, limit)
        if le > limit:
            raise _Answer(SW_WRONG_LENGTH)
        content = self.files.files[fid]
        if offset > len(content):
            raise _Answer(SW_WRONG_OFFSET)
        if cmd.ins == INS_READ_BINARY_ODD:
            # the answer is DO'53' with the data: its tag and length count against Le
            chunk_len = min(len(content) - offset, le)
            while chunk_len and chunk_len + len(tlv.encode_length(chunk_len)) + 1 > le:
                chunk_len -= 1
        else:
            chunk_len = min(le, len(content) - offset)
        for fault in self.faults:
            fault.before_read(self, fid, offset, chunk_len)
        chunk = content[offset : offset + chunk_len]
        data = tlv.encode(0x53, chunk) if cmd.ins == INS_READ_BINARY_ODD else chunk
        if chunk_len < le and offset + chunk_len >= len(content) and cmd.ins == INS_READ_BINARY:
            raise _Answer(SW_END_OF_FILE, data)
        return data

    def _fid_for_sfi(self, sfi: int) -> int:
        if sfi == 0x1C:
            return FID_CARD_ACCESS
        if sfi == 0x1E:
            return FID_COM
        if sfi == 0x1D:
            return FID_SOD
        if sfi in FID_DG:
            return FID_DG[sfi]
        raise _Answer(SW_FILE_NOT_FOUND)

    # -- access control: BAC ---------------------------------------------------------------------------

    def _bac_key_seed(self) -> bytes:
        from passport.mrz import mrz_key_seed

        return mrz_key_seed(self.files.document_number, self.files.birth_date, self.files.expiry_date)

    def _get_challenge(self, cmd: CommandAPDU) -> bytes:
        if not self.options.bac:
            raise _Answer(SW_INS_NOT_SUPPORTED)
        self._bac = emrtd_access.BacChip(self._bac_key_seed())
        return _unpack(self._bac.process(cmd))

    def _mutual_authenticate(self, cmd: CommandAPDU) -> bytes:
        if self._bac is None:
            raise _Answer(SW_CONDITIONS_NOT_SATISFIED)
        bac = self._bac
        resp = bac.process(cmd)
        if bac.session is not None:
            self._bac = None
            self._sm = bac.session
            self._access = "BAC"
        return _unpack(resp)

    # -- access control: PACE --------------------------------------------------------------------------

    def _mse_plain(self, cmd: CommandAPDU) -> bytes:
        if (cmd.p1, cmd.p2) != (0xC1, 0xA4):
            raise _Answer(SW_WRONG_P1P2)
        self._pace = None
        offered = self._offered_pace()
        if not offered:
            raise _Answer(SW_REFERENCE_NOT_FOUND)
        fields = _data_objects(cmd.data)
        oid = _decode_oid(fields.get(0x80, b""))
        if oid not in offered:
            raise _Answer(SW_REFERENCE_NOT_FOUND)
        ref = {b"\x01": "MRZ", b"\x02": "CAN"}.get(fields.get(0x83, b""))
        if ref is None:
            raise _Answer(SW_REFERENCE_NOT_FOUND)
        if ref == "MRZ":
            from passport.mrz import mrz_information

            password = mrz_information(self.files.document_number, self.files.birth_date, self.files.expiry_date)
        else:
            password = self.files.can
        parameter_id = int.from_bytes(fields[0x84], "big") if 0x84 in fields else offered[oid]
        if parameter_id is None or parameter_id not in (offered[oid], None):
            raise _Answer(SW_REFERENCE_NOT_FOUND)
        try:
            cam = oid.split(".")[-2] == "6"  # id-PACE-ECDH-CAM-*
            ca_key = _ec_private_int(self.files.ca_private_key) if cam else None
            self._pace = emrtd_access.PaceChip(password, ref, parameter_id, oid, ca_private_key=ca_key)
        except (PassportError, ValueError, KeyError) as exc:
            log.debug("PACE set-up refused: %s", exc)
            raise _Answer(SW_REFERENCE_NOT_FOUND) from exc
        return _unpack(self._pace.process(cmd))

    def _offered_pace(self) -> dict[str, int | None]:
        """PACE OIDs of EF.CardAccess with their parameter ids."""
        card_access = self.files.card_access
        if not card_access:
            return {}
        from passport.lds.card_access import pace_infos

        try:
            return {info.protocol: info.parameter_id for info in pace_infos(card_access)}
        except PassportError:
            return {}

    def _general_authenticate_pace(self, cmd: CommandAPDU) -> bytes:
        if self._pace is None:
            raise _Answer(SW_CONDITIONS_NOT_SATISFIED)
        pace = self._pace
        resp = pace.process(cmd)
        if pace.session is not None:
            self._pace = None
            self._sm = pace.session
            self._access = "PACE"
        elif not resp.ok:
            self._pace = None
        return _unpack(resp)

    # -- active and chip authentication ----------------------------------------------------------------

    def _internal_authenticate(self, cmd: CommandAPDU) -> bytes:
        key = self.files.aa_private_key
        if key is None or FID_DG[15] not in self.files.files:
            raise _Answer(SW_INS_NOT_SUPPORTED)
        if not cmd.data:
            raise _Answer(SW_WRONG_LENGTH)
        from hardware_mocks.emrtd import auth as emrtd_auth

        try:
            return emrtd_auth.aa_sign(key, cmd.data)
        except (PassportError, ValueError) as exc:
            raise _Answer(SW_WRONG_DATA) from exc

    def _mse_secured(self, cmd: CommandAPDU) -> tuple[bytes, Any]:
        fields = _data_objects(cmd.data)
        if (cmd.p1, cmd.p2) == (0x41, 0xA6):  # MSE:Set KAT, chip authentication in 3DES (9303-11 §6.2.3.2)
            public = fields.get(0x91)
            if public is None:
                raise _Answer(SW_WRONG_DATA)
            return b"", self._chip_authenticate(public, None, fields.get(0x84))
        if (cmd.p1, cmd.p2) == (0x41, 0xA4):  # MSE:Set AT for chip authentication (AES or 3DES)
            oid = _decode_oid(fields.get(0x80, b""))
            if not oid.startswith(OID_CA_PREFIX):
                raise _Answer(SW_REFERENCE_NOT_FOUND)
            self._ca_setup = {0x80: oid.encode(), 0x84: fields.get(0x84, b"")}
            return b"", None
        raise _Answer(SW_WRONG_P1P2)

    def _general_authenticate_ca(self, cmd: CommandAPDU) -> tuple[bytes, Any]:
        if self._ca_setup is None:
            raise _Answer(SW_CONDITIONS_NOT_SATISFIED)
        setup, self._ca_setup = self._ca_setup, None
        try:
            outer, _ = tlv.decode_one(cmd.data)
            public = outer.require(0x80).value if outer.tag == 0x7C else None
        except PassportError as exc:
            raise _Answer(SW_WRONG_DATA) from exc
        if public is None:
            raise _Answer(SW_WRONG_DATA)
        new_sm = self._chip_authenticate(public, setup[0x80].decode(), setup.get(0x84) or None)
        return tlv.encode(0x7C, b""), new_sm

    def _chip_authenticate(self, public: bytes, oid: str | None, key_id: bytes | None) -> Any:
        key = self.files.ca_private_key
        dg14 = self.files.files.get(FID_DG[14])
        if key is None or dg14 is None:
            raise _Answer(SW_REFERENCE_NOT_FOUND)
        from hardware_mocks.emrtd import auth as emrtd_auth

        try:
            sm = emrtd_auth.chip_authenticate(key, dg14, public, oid=oid, key_id=key_id)
            return emrtd_access.ChipSecureMessaging(sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher)
        except (PassportError, ValueError) as exc:
            log.debug("chip authentication failed: %s", exc)
            raise _Answer(SW_WRONG_DATA) from exc


def _unpack(resp: ResponseAPDU) -> bytes:
    """The data of a successful engine response; any other status ends the command with it."""
    if not resp.ok:
        raise _Answer(resp.sw, resp.data)
    return resp.data


def _ec_private_int(key: Any) -> int | None:
    """The private scalar of an EC key given as PKCS#8 DER (any curve, explicit parameters too)."""
    if key is None:
        return None
    if hasattr(key, "private_numbers"):
        return int(key.private_numbers().private_value)
    import ecdsa

    return int(ecdsa.SigningKey.from_der(bytes(key)).privkey.secret_multiplier)


def _sw(sw: int) -> bytes:
    return bytes([sw >> 8, sw & 0xFF])


def _data_objects(data: bytes) -> dict[int, bytes]:
    try:
        return {obj.tag: obj.value for obj in tlv.decode(data)}
    except PassportError as exc:
        raise _Answer(SW_WRONG_DATA) from exc


def _decode_oid(value: bytes) -> str:
    from asn1crypto import core

    if not value:
        return ""
    try:
        return core.ObjectIdentifier.load(tlv.encode(0x06, value)).dotted
    except ValueError:
        return ""


# -- command line: present a document on the vpcd reader ----------------------------------------------


def build_chip(
    doc: str, *, faults: Sequence[str] = (), can: str | None = None, pace: bool = True
) -> EmrtdChip:
    """A chip for the document folder ``doc`` with the given fault specifications."""
    kwargs: dict[str, Any] = {"pace": pace}
    if can:
        kwargs["can"] = can
    files = load_chip_files(doc, **kwargs)
    return EmrtdChip(files, faults=[parse_fault(spec) for spec in faults])


def main(argv: Sequence[str] | None = None) -> int:
    from hardware_mocks.emrtd.vpcd import VpcdCardHost, vpcd_port, vpcd_reader_name

    parser = argparse.ArgumentParser(
        prog="python -m hardware_mocks.emrtd.chip",
        description="Present a simulated ePassport on the vpcd virtual reader until interrupted.",
    )
    parser.add_argument("--doc", required=True, help="folder with EF_COM.bin, DG1.bin ... EF_SOD.bin")
    parser.add_argument("--slot", type=int, default=0, help="vpcd slot (0: 'Virtual PCD 00 00', TCP 35963)")
    parser.add_argument("--host", default="127.0.0.1", help="host where pcscd's vpcd listens")
    parser.add_argument("--fault", action="append", default=[], help=f"inject a fault: {FAULT_HELP}")
    parser.add_argument("--can", help="card access number for PACE (default 123456)")
    parser.add_argument("--no-pace", action="store_true", help="a BAC-only chip (no EF.CardAccess)")
    parser.add_argument("--no-extended-length", action="store_true", help="short APDUs only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        chip = build_chip(args.doc, faults=args.fault, can=args.can, pace=not args.no_pace)
    except (ChipFilesError, FaultError, PassportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.no_extended_length:
        chip.options = replace(chip.options, extended_length=False)
    host = VpcdCardHost(host=args.host, port=vpcd_port(args.slot))
    try:
        host.insert(chip)
    except OSError as exc:
        print(f"error: cannot reach vpcd on {args.host}:{vpcd_port(args.slot)}: {exc}", file=sys.stderr)
        return 3
    log.info("%s presented on %s", chip.files.name, vpcd_reader_name(args.slot))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            if not host.inserted:
                log.info("the card left the reader")
                break
    except KeyboardInterrupt:
        pass
    finally:
        host.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
