"""End to end: the simulated chip on pcscd's vpcd reader, read through devices.pcsc_reader.PcscReader.

Each read costs some 17 APDUs (about 1-2 s through pcscd); the fault cases read only the files they need.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import REPO, VPCD_SLOT, read_on_virtual_reader, shared_data

from hardware_mocks.emrtd.chip import EmrtdChip
from hardware_mocks.emrtd.faults import ResignedSOD, parse_fault
from hardware_mocks.emrtd.files import FID_DG, load_chip_files
from passport.errors import TransportError
from passport.reader import MRZKey, read_passport

pytestmark = pytest.mark.pcsc


@pytest.fixture(scope="module")
def national_trust():  # type: ignore[no-untyped-def]
    """The German and Dutch master lists of ../shared/data/pki."""
    from passport.pki import TrustStore

    trust = TrustStore()
    trust.load_path(shared_data("pki"))
    return trust


_read = read_on_virtual_reader


def _key(files) -> MRZKey:  # type: ignore[no-untyped-def]
    return MRZKey(files.document_number, files.birth_date, files.expiry_date)


@pytest.mark.parametrize("access", ["PACE", "BAC"])
@pytest.mark.parametrize("name", ["bsi2008", "loes2006", "tr03105"])
def test_real_test_documents(vpcd_host, vpcd_reader_name, national_trust, name, access) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", name), pace=access == "PACE")
    result = _read(vpcd_host, vpcd_reader_name, EmrtdChip(files), trust=national_trust)
    assert result.access == access and result.extended_length and not result.errors
    assert result.files["DG2"] == files.files[FID_DG[2]]
    assert result.face.format == "JPEG2000"
    pa = result.passive_auth
    # SOD signatures verify; these are test documents whose CSCAs are in no national master list.
    assert pa.sod_signature_valid and pa.issuer_matches is not False
    assert pa.chain_valid is False and "CSCA not found" in pa.chain_detail
    read_dgs = [n for n in result.files_read if n.startswith("DG")]
    assert all(pa.dg_checks[int(n[2:])].status == "valid" for n in read_dgs if int(n[2:]) in pa.dg_checks)
    if name == "tr03105":
        assert result.chip_auth.valid is True and not result.clone_suspected
    else:  # the test data holds no chip private key for bsi2008's DG14 / loes2006's DG15
        assert result.clone_suspected


def test_bac_and_resigned_document_verifies(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"), pace=False)
    chip = EmrtdChip(files, faults=[ResignedSOD(pki.dsc.certificate, pki.dsc.private_key)])
    result = _read(vpcd_host, vpcd_reader_name, chip, trust=trust)
    assert result.access == "BAC" and result.passive_auth.valid and result.chip_auth.valid
    assert result.verified


def test_altered_data_group_is_detected(vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    chip = EmrtdChip(files, faults=[ResignedSOD(pki.dsc.certificate, pki.dsc.private_key),
                                    parse_fault("altered-dg:1")])
    result = _read(vpcd_host, vpcd_reader_name, chip, trust=trust, files=("EF.COM", "DG1", "EF.SOD"))
    assert result.passive_auth.chain_valid and result.passive_auth.dg_hashes_valid is False
    assert result.passive_auth.dg_checks[1].status == "mismatch" and not result.verified


@pytest.mark.parametrize("signer", ["revoked", "unknown"])
def test_revoked_or_unknown_document_signer(vpcd_host, vpcd_reader_name, test_pki, signer) -> None:  # type: ignore[no-untyped-def]
    pki, trust = test_pki
    dsc = pki.revoked_dsc if signer == "revoked" else pki.unknown_dsc
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    chip = EmrtdChip(files, faults=[ResignedSOD(dsc.certificate, dsc.private_key)])
    pa = _read(vpcd_host, vpcd_reader_name, chip, trust=trust, files=("EF.COM", "DG1", "EF.SOD")).passive_auth
    assert pa.sod_signature_valid and pa.dg_hashes_valid and not pa.valid
    if signer == "revoked":
        assert pa.dsc_revoked is True
    else:
        assert pa.chain_valid is False


def test_cloned_chip_is_detected(vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    chip = EmrtdChip(files, faults=[parse_fault("cloned")])
    result = _read(vpcd_host, vpcd_reader_name, chip, files=("EF.COM", "DG1", "DG14"))
    assert result.chip_auth.performed and result.chip_auth.valid is False and result.clone_suspected


def test_short_reads_only_and_slow_link(vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "loes2006"))
    chip = EmrtdChip(files, faults=[parse_fault("short-reads"), parse_fault("slow:0.02")])
    result = _read(vpcd_host, vpcd_reader_name, chip, files=("EF.COM", "DG2"), verify=False)
    assert result.files["DG2"] == files.files[FID_DG[2]]
    assert not result.extended_length
    assert result.apdus >= 7 + 1 + len(files.files[FID_DG[2]]) // 0xDF  # PACE + EF.COM + short DG2 blocks


def test_removal_mid_dg2_ends_with_transport_error(vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "bsi2008"))
    chip = EmrtdChip(files, faults=[parse_fault("remove:2:6000")])
    started = time.monotonic()
    with pytest.raises(TransportError):
        _read(vpcd_host, vpcd_reader_name, chip, verify=False)
    assert time.monotonic() - started < 30  # bounded: never a hang (generous, not a benchmark)


def test_session_error_is_reestablished(vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "loes2006"))
    chip = EmrtdChip(files, faults=[parse_fault("sm-drop:3")])
    result = _read(vpcd_host, vpcd_reader_name, chip, verify=False)
    assert result.sessions == 2 and result.files["EF.SOD"] == load_chip_files(
        shared_data("emrtd", "loes2006")).files[0x011D]


def test_module_entry_point_presents_a_passport(pcscd, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    from devices.pcsc_reader import PcscReader

    folder = shared_data("emrtd", "loes2006")
    with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
        assert reader.wait_for_removal(10)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware_mocks.emrtd.chip", "--doc", str(folder), "--slot", str(VPCD_SLOT)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
            assert reader.wait_for_card(15)
            reader.connect()
            files = load_chip_files(folder)
            result = read_passport(reader, _key(files), files=("EF.COM", "DG1"), verify=False)
        assert result.access == "PACE" and result.mrz.surname == "MEULENDIJK"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
