"""In-process checks of the read sequence's rules: constant-time ECDH, PACE fall-back rules, secure-messaging
integrity, no session keys in results. (Through pcscd + vpcd: tests/test_chip_read_security.py.)"""

from __future__ import annotations

import dataclasses
import json
import secrets

import pytest
from conftest import shared_data
from ecdsa import curves

from hardware_mocks.emrtd.chip import EmrtdChip
from hardware_mocks.emrtd.faults import Fault, parse_fault
from hardware_mocks.emrtd.files import load_chip_files
from passport import ecdh
from passport.errors import AccessControlError, AttackSuspected
from passport.pace import PaceResult
from passport.reader import MRZKey, read_passport

ALL_PACE_CURVES = [curves.NIST192p, curves.BRAINPOOLP192r1, curves.NIST224p, curves.BRAINPOOLP224r1,
                   curves.NIST256p, curves.BRAINPOOLP256r1, curves.BRAINPOOLP320r1, curves.NIST384p,
                   curves.BRAINPOOLP384r1, curves.BRAINPOOLP512r1, curves.NIST521p]


class DirectTransport:
    def __init__(self, chip: EmrtdChip):
        self.chip = chip

    def transmit(self, apdu: bytes) -> bytes:
        return self.chip.process_apdu(apdu)


class PlainCommands(Fault):
    """Records the INS of every plain command (GET CHALLENGE 84 means BAC was tried)."""

    def __init__(self) -> None:
        self.ins: list[int] = []

    def before_command(self, chip, apdu):  # type: ignore[no-untyped-def]
        if len(apdu) >= 4 and not apdu[0] & 0x0C:
            self.ins.append(apdu[1])
        return None


def _files(**kwargs):  # type: ignore[no-untyped-def]
    return load_chip_files(shared_data("emrtd", "tr03105"), **kwargs)


def _key(files) -> MRZKey:  # type: ignore[no-untyped-def]
    return MRZKey(files.document_number, files.birth_date, files.expiry_date)


# -- ECDH through OpenSSL ----------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", ALL_PACE_CURVES, ids=lambda c: c.name)
def test_ecdh_products_equal_the_group_law(curve) -> None:  # type: ignore[no-untyped-def]
    k, m = secrets.randbelow(curve.order - 1) + 1, secrets.randbelow(curve.order - 1) + 1
    mapped = curve.generator * m  # a PACE-style mapped generator: same group, another generator
    for point in (curve.generator, mapped, -curve.generator, -mapped):
        expected = point * k
        assert ecdh.multiply(curve, point, k) == expected
        assert ecdh.shared_x(curve, point, k) == expected.x()
    assert (ecdh.named_curve(curve) is None) == (curve.name in ("BRAINPOOLP192r1", "BRAINPOOLP224r1",
                                                                 "BRAINPOOLP320r1"))
    with pytest.raises(ecdh.ECDHError):
        ecdh.multiply(curve, curve.generator, curve.order)


# -- no session keys in results ------------------------------------------------------------------------------


def test_results_carry_no_pace_trace_or_keys() -> None:
    assert "trace" not in {f.name for f in dataclasses.fields(PaceResult)}
    files = _files()
    result = read_passport(DirectTransport(EmrtdChip(files)), _key(files), verify=False)
    text = json.dumps(result.as_dict()) + repr(result)
    assert result.access == "PACE" and "ks_enc" not in text and "ks_mac" not in text and "k_pi" not in text


# -- PACE: fall back only on a refusal before key agreement --------------------------------------------------


class NonceRefused(Fault):
    """GENERAL AUTHENTICATE step 1 (the encrypted nonce) answered 6982: before any key agreement."""

    def before_command(self, chip, apdu):  # type: ignore[no-untyped-def]
        if apdu[:2] == b"\x10\x86" and apdu[5:7] == b"\x7c\x00":
            return b"\x69\x82"
        return None


def test_refused_encrypted_nonce_falls_back_to_bac() -> None:
    files = _files()
    result = read_passport(DirectTransport(EmrtdChip(files, faults=[NonceRefused()])), _key(files), verify=False)
    assert result.access == "BAC" and result.findings[0].code == "bac_fallback"
    assert "6982" in result.findings[0].detail


def test_wrong_password_ends_the_read_without_bac() -> None:
    files = _files()
    seen = PlainCommands()
    with pytest.raises(AccessControlError, match="wrong password") as caught:
        read_passport(DirectTransport(EmrtdChip(files, faults=[seen])), MRZKey("C11T002JM", "960812", "231030"))
    assert not isinstance(caught.value, AttackSuspected) and 0x84 not in seen.ins


@pytest.mark.parametrize("fault", ["pace-bad-token", "pace-bad-map"])
def test_failed_pace_checks_are_attacks(fault: str) -> None:
    files = _files()
    seen = PlainCommands()
    with pytest.raises(AttackSuspected) as caught:
        read_passport(DirectTransport(EmrtdChip(files, faults=[seen, parse_fault(fault)])), _key(files))
    assert caught.value.code == "pace_check_failed" and 0x84 not in seen.ins
    assert caught.value.result.attack_suspected and not caught.value.result.verified


def test_can_without_pace_names_the_reason() -> None:
    from passport.reader import CANKey

    files = _files()
    with pytest.raises(AccessControlError, match="refused PACE before key agreement"):
        read_passport(DirectTransport(EmrtdChip(files, faults=[parse_fault("pace-refused")])), CANKey("123456"))


# -- secure messaging integrity --------------------------------------------------------------------------------


class BareSuccess(Fault):
    """The 4th protected command is answered with a bare 9000: an unauthenticated success."""

    def __init__(self) -> None:
        self.count = 0

    def after_response(self, chip, apdu, response):  # type: ignore[no-untyped-def]
        if apdu[0] & 0x0C == 0x0C:
            self.count += 1
            if self.count == 4:
                return b"\x90\x00"
        return response


def test_bare_success_to_a_protected_command_is_not_believed() -> None:
    files = _files()
    result = read_passport(DirectTransport(EmrtdChip(files, faults=[BareSuccess()])), _key(files), verify=False)
    assert result.sm_mac_failures == 1 and "sm_mac_failure" in result.finding_codes and result.sessions == 2


def test_finding_kinds_decide_verified() -> None:
    from passport.document import PROBLEM_KINDS, ChipReadResult, Problem

    assert {Problem(code).kind for code in PROBLEM_KINDS} == {"attack", "failure", "quirk", "notice"}
    result = ChipReadResult()
    result.add_problem("sfi_unsupported", "6986")
    result.add_problem("sfi_unsupported", "6986")
    assert result.finding_codes == ["sfi_unsupported"] and result.problems == []
    assert not result.verified  # passive authentication never ran


def test_pace_only_chip_with_unreadable_card_access_says_why() -> None:
    from hardware_mocks.emrtd.chip import ChipOptions, _Answer

    class CardAccessRefused(Fault):
        def before_read(self, chip, fid, offset, length):  # type: ignore[no-untyped-def]
            if fid == 0x011C:
                raise _Answer(0x6F00)

    files = _files()
    chip = EmrtdChip(files, options=ChipOptions(bac=False), faults=[CardAccessRefused()])
    with pytest.raises(AccessControlError, match="PACE was not possible: EF.CardAccess unreadable"):
        read_passport(DirectTransport(chip), _key(files))


def test_unreadable_dg14_fails_the_document_but_the_read_completes() -> None:
    from hardware_mocks.emrtd.chip import _Answer

    class Dg14Broken(Fault):
        def before_read(self, chip, fid, offset, length):  # type: ignore[no-untyped-def]
            if fid == 0x010E:
                raise _Answer(0x6F00)

    files = _files()
    result = read_passport(DirectTransport(EmrtdChip(files, faults=[Dg14Broken()])), _key(files))
    assert {"required_file_missing", "chip_auth_not_performed"} <= set(result.problems)
    assert not result.verified and result.mrz is not None and "EF.SOD" in result.files_read


def test_every_finding_code_is_documented() -> None:
    from conftest import REPO

    from passport.document import PROBLEM_KINDS

    text = (REPO / "docs" / "chip-reading.md").read_text(encoding="utf-8")
    assert [code for code in PROBLEM_KINDS if f"`{code}`" not in text] == []


# -- PACE-CAM against a DG14 with several keys ---------------------------------------------------------------


def _ec_key(curve):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from passport.lds.public_key import load_public_key

    private = ec.generate_private_key(curve)
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, load_public_key(der)


@pytest.mark.parametrize("matching_first", [False, True])
def test_pace_cam_tries_every_dg14_key(matching_first: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from passport.lds.dg14 import ChipAuthenticationPublicKeyInfo, decode_dg14, encode_dg14
    from passport.reader import _chip_auth_mapping
    from passport.sm import SecureMessaging

    chip_private, chip_key = _ec_key(ec.SECP256R1())
    _, other_curve_key = _ec_key(ec.SECP384R1())
    ca_ic = secrets.randbelow(curves.NIST256p.order - 1) + 1
    x, y = chip_key.ec_domain.decode_point(chip_key.ec_point)
    mapped = ecdh.multiply(curves.NIST256p, ecdh.Point(curves.NIST256p.curve, x, y, 1, curves.NIST256p.order), ca_ic)
    pk_map = b"\x04" + mapped.x().to_bytes(32, "big") + mapped.y().to_bytes(32, "big")
    pace = PaceResult(SecureMessaging(bytes(16), bytes(16), 0, "AES"), None, 12, "CAM",  # type: ignore[arg-type]
                      ca_ic.to_bytes(32, "big"), pk_map)
    infos = [ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.2", k, i)
             for i, k in enumerate((chip_key, other_curve_key) if matching_first else (other_curve_key, chip_key))]
    dg14 = encode_dg14(infos)
    assert len(decode_dg14(dg14).chip_auth_public_keys) == 2
    outcome = _chip_auth_mapping(pace, dg14)
    assert outcome.valid is True, outcome.detail
    only_other = _chip_auth_mapping(pace, encode_dg14([infos[0] if not matching_first else infos[1]]))
    assert only_other.performed and only_other.valid is False


def _with_pace_in_dg14(files):  # type: ignore[no-untyped-def]
    from passport.lds.dg14 import PACEInfo, decode_dg14, encode_dg14

    dg14 = decode_dg14(files.files[0x010E])
    pace_info = PACEInfo(files.pace_oid, 2, files.pace_parameter_id)
    return files.with_file(0x010E, encode_dg14([*dg14.infos, pace_info]))


@pytest.mark.parametrize(("refused", "pace_in_dg14", "downgrade"),
                         [(True, True, True), (True, False, False), (False, True, False)])
def test_bac_although_dg14_lists_pace_is_a_downgrade(refused: bool, pace_in_dg14: bool, downgrade: bool) -> None:
    files = _files()
    files = _with_pace_in_dg14(files) if pace_in_dg14 else files
    faults = [NonceRefused()] if refused else []
    result = read_passport(DirectTransport(EmrtdChip(files, faults=faults)), _key(files))
    assert result.access == ("BAC" if refused else "PACE")
    assert ("pace_downgrade" in result.problems) is downgrade


@pytest.mark.parametrize("key", [None, "P<UTOERIKSSON", MRZKey(None, None, None), MRZKey("", "", "")],  # type: ignore[arg-type]
                         ids=["none", "text", "none-fields", "empty-fields"])
def test_unusable_access_key_is_a_typed_error(key) -> None:  # type: ignore[no-untyped-def]
    from passport.reader import CANKey

    files = _files()
    with pytest.raises(AccessControlError, match="access key"):
        read_passport(DirectTransport(EmrtdChip(files)), key, verify=False)
    with pytest.raises(AccessControlError, match="access key"):
        read_passport(DirectTransport(EmrtdChip(files)), CANKey(None), verify=False)  # type: ignore[arg-type]
