"""The read sequence against attacks and issuers' quirks, through pcscd + vpcd with the real PC/SC driver.

Each test presents the simulated chip with one fault of :mod:`hardware_mocks.emrtd.faults` and reads it with
:func:`passport.reader.read_passport` through :class:`devices.pcsc_reader.PcscReader` (about 1 s a read).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import read_on_virtual_reader, shared_data

from hardware_mocks.emrtd.chip import ChipOptions, EmrtdChip
from hardware_mocks.emrtd.faults import Fault, ResignedSOD, parse_fault
from hardware_mocks.emrtd.files import FID_COM, FID_DG, FID_SOD, load_chip_files
from passport.errors import AttackSuspected
from passport.reader import MAX_SM_MAC_FAILURES

pytestmark = pytest.mark.pcsc


_read = read_on_virtual_reader


def _signed_chip(pki, *faults: Fault, options: ChipOptions | None = None, **load) -> EmrtdChip:  # type: ignore[no-untyped-def]
    """tr03105 re-signed by the test PKI's document signer (passive authentication passes)."""
    files = load_chip_files(shared_data("emrtd", "tr03105"), **load)
    signed = ResignedSOD(pki.dsc.certificate, pki.dsc.private_key)
    return EmrtdChip(files, faults=[signed, *faults], options=options)


class Commands(Fault):
    """Records the plain INS bytes the chip receives (GET CHALLENGE 84 means BAC was tried)."""

    def __init__(self) -> None:
        self.plain: list[int] = []

    def before_command(self, chip, apdu):  # type: ignore[no-untyped-def]
        if len(apdu) >= 4 and not apdu[0] & 0x0C:
            self.plain.append(apdu[1])
        return None


# -- the signed EF.SOD decides, not EF.COM --------------------------------------------------------------


def test_clone_whose_ef_com_hides_dg14_is_caught(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    chip = _signed_chip(pki, parse_fault("cloned"), parse_fault("com-omits:14"))
    result = _read(vpcd_host, vpcd_reader_name, chip, trust=trust)
    assert result.passive_auth.valid
    assert "DG14" in result.files_read and result.chip_auth.performed and result.chip_auth.valid is False
    assert result.clone_suspected and not result.verified
    assert {"chip_auth_failed", "com_mismatch"} <= set(result.finding_codes)


def test_genuine_chip_with_short_ef_com_verifies(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault("com-omits:14")), trust=trust)
    assert result.chip_auth.valid is True and result.verified
    assert result.files_read == ["EF.COM", "DG1", "DG2", "EF.SOD", "DG14"]
    assert result.access_protected == ["DG3", "DG4"]  # EAC: refused as expected, not a failure
    assert result.finding_codes == ["com_mismatch"]


def test_required_data_group_absent_fails_the_document(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    chip = _signed_chip(pki)
    chip.files = replace(chip.files, files={f: d for f, d in chip.files.files.items() if f != FID_DG[14]})
    result = _read(vpcd_host, vpcd_reader_name, chip, trust=trust)
    assert not result.verified and "required_file_missing" in result.finding_codes
    assert "chip_auth_not_performed" in result.finding_codes


def test_dg15_listed_in_sod_requires_active_authentication(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    from hardware_mocks.emrtd.generator import sign_sod
    from passport.lds.com import EFCom, encode_com

    pki, trust = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    dgs = {n: files.files[FID_DG[n]] for n in (1, 2, 15)}
    entries = {FID_DG[n]: data for n, data in dgs.items()}
    entries[FID_SOD] = sign_sod(dgs, pki.dsc)
    entries[FID_COM] = encode_com(EFCom("0107", "040000", (0x61, 0x75)))  # EF.COM hides DG15
    aa_files = replace(files, files={**entries, 0x011C: files.files[0x011C]}, ca_private_key=None)
    genuine = _read(vpcd_host, vpcd_reader_name, EmrtdChip(aa_files), trust=trust)
    assert genuine.active_auth.valid is True and genuine.verified
    clone = _read(vpcd_host, vpcd_reader_name, EmrtdChip(aa_files, faults=[parse_fault("cloned")]), trust=trust)
    assert clone.active_auth.valid is False and clone.clone_suspected and not clone.verified
    assert "active_auth_failed" in clone.finding_codes


def test_no_trust_store_is_not_verified(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, _ = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki))
    assert result.chip_auth.valid is True and result.passive_auth is None
    assert not result.verified and "passive_auth_not_performed" in result.finding_codes


# -- PACE: when BAC may follow, and when the read ends as an attack ----------------------------------------


def test_pace_refused_before_key_agreement_falls_back_to_bac(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault("pace-refused")), trust=trust)
    assert result.access == "BAC" and result.verified
    assert result.finding_codes == ["bac_fallback"] and "6A80" in result.findings[0].detail


@pytest.mark.parametrize("fault", ["pace-bad-token", "pace-bad-map"])
def test_failed_pace_check_is_an_attack_without_bac(vpcd_host, vpcd_reader_name, test_pki, fault) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    commands = Commands()
    with pytest.raises(AttackSuspected) as caught:
        _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, commands, parse_fault(fault)), trust=trust)
    assert 0x84 not in commands.plain  # no GET CHALLENGE: BAC was not tried
    assert caught.value.code == "pace_check_failed"
    assert caught.value.result is not None and "pace_check_failed" in caught.value.result.finding_codes


# -- secure messaging: failed MACs are counted and bounded --------------------------------------------------


def test_one_failed_response_mac_is_counted_and_reported(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault("bad-mac:4")), trust=trust)
    assert result.sm_mac_failures == 1 and result.sessions == 2
    assert "sm_mac_failure" in result.finding_codes
    assert result.files["DG2"] == load_chip_files(shared_data("emrtd", "tr03105")).files[FID_DG[2]]


def test_repeated_mac_failures_end_the_read(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    with pytest.raises(AttackSuspected) as caught:
        _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault("bad-mac:2:1000")), trust=trust)
    assert caught.value.code == "sm_mac_failures"
    assert caught.value.result.sm_mac_failures == MAX_SM_MAC_FAILURES + 1


# -- issuers' quirks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sw", ["0x6986", "0x6A82", "0x6B00", "0x6A86", "0x6D00", "0x6F00"])
def test_chip_without_short_file_identifiers(vpcd_host, vpcd_reader_name, test_pki, sw) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault(f"no-sfi:{sw}")), trust=trust)
    assert result.access == "PACE" and result.verified
    assert result.finding_codes == ["sfi_unsupported"]


def test_plain_trailer_differing_from_do99_is_a_quirk(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, parse_fault("sm-trailer")), trust=trust)
    assert result.verified and result.sessions == 1 and result.access_protected == ["DG3", "DG4"]
    assert result.finding_codes == ["sm_trailer_mismatch"]


@pytest.mark.parametrize("bac", [True, False], ids=["PACE+BAC", "PACE-only"])
def test_chip_left_in_the_emrtd_application_still_does_pace(vpcd_host, vpcd_reader_name, test_pki, bac) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    chip = _signed_chip(pki, parse_fault("app-selected"), options=ChipOptions(bac=bac))
    result = _read(vpcd_host, vpcd_reader_name, chip, trust=trust)
    assert result.access == "PACE" and result.verified and result.finding_codes == []


def test_unreadable_card_access_is_a_reported_fallback(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki

    class CardAccessRefused(Fault):
        def before_read(self, chip, fid, offset, length):  # type: ignore[no-untyped-def]
            if fid == 0x011C:
                from hardware_mocks.emrtd.chip import _Answer

                raise _Answer(0x6F00)

    result = _read(vpcd_host, vpcd_reader_name, _signed_chip(pki, CardAccessRefused()), trust=trust)
    assert result.access == "BAC" and result.finding_codes == ["bac_fallback"]
    assert "EF.CardAccess" in result.findings[0].detail
