"""``egate passport read|verify``: JSON fields, exit codes, and what --out writes (never the face by default)."""

from __future__ import annotations

import json

import pytest
from conftest import shared_data

from gatectl.cli import build_parser, main
from hardware_mocks.emrtd.chip import EmrtdChip
from hardware_mocks.emrtd.faults import ResignedSOD, parse_fault
from hardware_mocks.emrtd.files import FID_DG, FID_SOD, load_chip_files

LOES_MRZ = (
    "P<NLDMEULENDIJK<<LOES<ALBERTINE<<<<<<<<<<<<<|XX00013286NLD7110195F1110012123456789<<<<<76"
)


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory):  # type: ignore[no-untyped-def]
    from hardware_mocks.emrtd.pki import make_test_pki

    pki = make_test_pki("DE")
    return pki, pki.write_trust_store(tmp_path_factory.mktemp("trust"))


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["passport", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _insert(host, reader_name: str, chip: EmrtdChip) -> None:  # type: ignore[no-untyped-def]
    from devices.pcsc_reader import PcscReader

    with PcscReader(f"pcsc://{reader_name}") as reader:
        assert reader.wait_for_removal(10)
        host.insert(chip)
        assert reader.wait_for_card(10)


# -- usage --------------------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert _run(capsys, "read", "--reader", "Nowhere")[0] == 2  # no access key
    assert _run(capsys, "read", "--reader", "Nowhere", "--doc-number", "X1", "--birth", "7110")[0] == 2
    assert _run(capsys, "read", "--reader", "Nowhere", "--can", "12ab56")[0] == 2
    code, _, err = _run(capsys, "read", "--reader", "Nowhere", "--mrz", "P<NLD|garbage")
    assert code == 2 and "--mrz" in err
    assert _run(capsys, "verify", "--dir", "/nonexistent", "--trust", "/nonexistent")[0] == 2
    with pytest.raises(SystemExit):
        main(["passport", "read", "--can", "123456", "--mrz", LOES_MRZ])  # mutually exclusive


def test_help_says_the_face_is_never_written() -> None:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices["passport"]  # type: ignore[union-attr]
    text = sub._subparsers._group_actions[0].choices["read"].format_help()  # type: ignore[union-attr]
    assert "--include-biometrics" not in text
    assert "never DG2" in text and "biometric" in text


# -- verify (no reader) -------------------------------------------------------------------------------------


def test_verify_real_document_against_national_master_lists(capsys) -> None:  # type: ignore[no-untyped-def]
    folder = shared_data("emrtd", "loes2006")
    code, out, _ = _run(capsys, "verify", "--dir", str(folder), "--trust", str(shared_data("pki")), "--json")
    result = json.loads(out)
    pa = result["passive_auth"]
    assert code == 1 and result["valid"] is False  # a test document: its CSCA is in no national list
    assert pa["sod_signature_valid"] is True and pa["chain_valid"] is False and pa["dg_hashes_valid"] is True
    assert pa["signer_country"] == "NL" and pa["issuer_matches"] is True and pa["errors"]


def test_verify_resigned_files_by_sod(capsys, tmp_path, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust_dir = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    resigned = ResignedSOD(pki.dsc.certificate, pki.dsc.private_key).apply_files(files)
    (tmp_path / "EF_SOD.bin").write_bytes(resigned.files[FID_SOD])
    (tmp_path / "DG1.bin").write_bytes(files.files[FID_DG[1]])  # no biometric files on disk
    code, out, _ = _run(capsys, "verify", "--sod", str(tmp_path / "EF_SOD.bin"), "--trust", str(trust_dir))
    assert code == 0 and "Passive authentication: valid" in out
    (tmp_path / "DG1.bin").write_bytes(parse_fault("altered-dg:1").apply_files(files).files[FID_DG[1]])
    code, out, _ = _run(capsys, "verify", "--dir", str(tmp_path), "--trust", str(trust_dir), "--json")
    assert code == 1 and json.loads(out)["passive_auth"]["dg_hashes_valid"] is False


# -- read through pcscd + vpcd ---------------------------------------------------------------------------


@pytest.mark.pcsc
def test_read_json_and_out(capsys, tmp_path, vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, trust_dir = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    _insert(vpcd_host, vpcd_reader_name, EmrtdChip(files, faults=[ResignedSOD(pki.dsc.certificate,
                                                                               pki.dsc.private_key)]))
    out_dir = tmp_path / "out"
    code, out, err = _run(
        capsys, "read", "--reader", vpcd_reader_name, "--doc-number", "C11T002JM", "--birth", "960812",
        "--expiry", "231031", "--trust", str(trust_dir), "--out", str(out_dir), "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["access"] == "PACE"
    assert result["files_read"] == ["EF.COM", "DG1", "DG2", "EF.SOD", "DG14"]
    assert result["verified"] is True and result["problems"] == [] and result["data_groups_in_sod"] == [1, 2, 3, 4, 14]
    assert result["access_protected"] == ["DG3", "DG4"]
    assert result["mrz"]["surname"] == "MUSTERMANN" and result["mrz"]["document_number"] == "C11T002JM"
    assert result["face"] == {"format": "JPEG2000", "width": 337, "height": 449, "size": 14999}
    pa = result["passive_auth"]
    assert pa["sod_signature_valid"] and pa["chain_valid"] and pa["dg_hashes_valid"] and pa["issuer_matches"]
    assert pa["signer_country"] == "DE" and pa["errors"] == []
    assert result["chip_auth"]["performed"] and result["chip_auth"]["valid"]
    assert result["active_auth"]["performed"] is False
    assert result["apdus"] > 10 and result["bytes"] > 15000 and result["seconds"] > 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["DG1.bin", "DG14.bin", "EF_COM.bin", "EF_SOD.bin"]
    assert (out_dir / "DG1.bin").read_bytes() == files.files[FID_DG[1]]


@pytest.mark.pcsc
def test_read_clone_human_output_exit_1(capsys, vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "tr03105"), pace=False)
    _insert(vpcd_host, vpcd_reader_name, EmrtdChip(files, faults=[parse_fault("cloned")]))
    code, out, _ = _run(
        capsys, "read", "--reader", vpcd_reader_name, "--doc-number", "C11T002JM", "--birth", "960812",
        "--expiry", "231031",
    )
    assert code == 1
    assert "access BAC" in out and "MUSTERMANN" in out and "possible clone" in out
    assert "Chip authentication: FAILED" in out


@pytest.mark.pcsc
def test_read_without_trust_is_not_verified_exit_1(capsys, vpcd_host, vpcd_reader_name, test_pki) -> None:  # type: ignore[no-untyped-def]
    pki, _ = test_pki
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    _insert(vpcd_host, vpcd_reader_name, EmrtdChip(files, faults=[ResignedSOD(pki.dsc.certificate,
                                                                               pki.dsc.private_key)]))
    code, out, _ = _run(capsys, "read", "--reader", vpcd_reader_name, "--doc-number", "C11T002JM", "--birth",
                        "960812", "--expiry", "231031", "--json")
    result = json.loads(out)
    assert code == 1 and result["verified"] is False and result["problems"] == ["passive_auth_not_performed"]
    assert result["chip_auth"]["valid"] is True


@pytest.mark.pcsc
def test_read_ended_as_attack_exit_1(capsys, vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    files = load_chip_files(shared_data("emrtd", "tr03105"))
    _insert(vpcd_host, vpcd_reader_name, EmrtdChip(files, faults=[parse_fault("pace-bad-token")]))
    code, out, err = _run(capsys, "read", "--reader", vpcd_reader_name, "--doc-number", "C11T002JM", "--birth",
                          "960812", "--expiry", "231031", "--json")
    assert code == 1 and "attack suspected (pace_check_failed)" in err
    result = json.loads(out)
    assert result["attack_suspected"] is True and result["problems"] == ["pace_check_failed"]


@pytest.mark.pcsc
def test_read_device_errors_exit_3(capsys, vpcd_host, vpcd_reader_name) -> None:  # type: ignore[no-untyped-def]
    from devices.pcsc_reader import PcscReader

    with PcscReader(f"pcsc://{vpcd_reader_name}") as reader:
        assert reader.wait_for_removal(10)
    code, _, err = _run(capsys, "read", "--reader", vpcd_reader_name, "--can", "123456", "--timeout", "0.5")
    assert code == 3 and "no card" in err
    files = load_chip_files(shared_data("emrtd", "loes2006"))
    _insert(vpcd_host, vpcd_reader_name, EmrtdChip(files))
    code, _, err = _run(capsys, "read", "--reader", vpcd_reader_name, "--can", "999999", "--json")
    assert code == 3 and "AccessControlError" in err
