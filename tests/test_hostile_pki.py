"""Hostile EF.SOD, EF.CardSecurity, master list and passive-authentication inputs found by fuzzing
(../shared/data/hostile, see its README): each ends in the library's own error type or a "not valid"
result with a reason, in bounded memory, and `egate passport verify` prints no traceback."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from conftest import SHARED_DATA, shared_data

from gatectl.cli import main
from passport.errors import PassportError
from passport.lds.card_access import decode_card_security
from passport.lds.sod import decode_sod
from passport.passive_auth import verify_sod
from passport.pki import TrustStore

PREFIXES = ("lds_", "min_sod_deep_aki_", "pa_")
SEEDS = sorted(
    p.name for p in (SHARED_DATA / "hostile").glob("*.hex") if p.name.startswith(PREFIXES)
) or ["(no seeds: ../shared/data/hostile is absent)"]
MAX_PEAK_BYTES = 32 * 1024 * 1024

# The reason each seed's passive authentication must give (beyond "not valid").
REASONS = {
    "min_sod_deep_aki_RecursionError.hex": "nested",
    "pa_sod_crash0_AttributeError.hex": "2 country (C=) attributes",
    "pa_crafted_pss_no_params_nl_csca.hex": "RSASSA-PSS signature without parameters",
    "pa_crafted_rsa_md5_nl_csca.hex": "forbidden algorithm",
    "pa_crafted_pss_md5_nl_csca.hex": "forbidden algorithm",
    "pa_crafted_pss_sha256_mgf_md5_nl_csca.hex": "forbidden algorithm",
    "pa_crafted_pss_salt_huge_nl_csca.hex": "salt length",
}


def seed(name: str) -> bytes:
    return bytes.fromhex(shared_data("hostile", name).read_text().strip())


@pytest.fixture(scope="module")
def nl_trust() -> TrustStore:
    trust = TrustStore()
    trust.load_paths([shared_data("pki", "NL_root.cer"), shared_data("pki", "NL_masterlist.ml")])
    return trust


def _typed_or_result(parse, data: bytes):  # type: ignore[no-untyped-def]
    try:
        return parse(data)
    except PassportError as exc:
        return exc


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", SEEDS)
def test_parsers_end_in_a_typed_error(name: str) -> None:
    data = seed(name)
    tracemalloc.start()
    try:
        for parse in (decode_sod, decode_card_security, TrustStore().load_master_list):
            _typed_or_result(parse, data)  # anything but a PassportError propagates and fails the test
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", SEEDS)
def test_passive_authentication_says_not_valid_with_a_reason(name: str, nl_trust: TrustStore) -> None:
    result = verify_sod(seed(name), {}, nl_trust, "NLD")
    assert not result.valid and result.errors
    if name in REASONS:
        assert any(REASONS[name] in e for e in result.errors), result.errors


def test_md5_is_refused_not_merely_unverified(nl_trust: TrustStore) -> None:
    result = verify_sod(seed("pa_crafted_rsa_md5_nl_csca.hex"), {}, nl_trust, "NLD")
    assert any("md5 is refused" in e for e in result.errors), result.errors


@pytest.mark.parametrize("name", SEEDS)
def test_cli_verify_prints_no_traceback(name: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "EF_SOD.bin").write_bytes(seed(name))
    code = main(["passport", "verify", "--dir", str(tmp_path), "--trust", str(shared_data("pki", "NL_root.cer"))])
    out = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out.out + out.err and "FAILED" in out.out


@pytest.mark.parametrize("name", ["pa_ml_crash0_RecursionError.hex", "min_sod_deep_aki_RecursionError.hex"])
def test_deep_master_list_in_a_trust_folder_is_a_typed_error(name: str, tmp_path: Path) -> None:
    (tmp_path / "hostile.ml").write_bytes(seed(name))
    with pytest.raises(PassportError, match="hostile.ml"):
        TrustStore().load_path(tmp_path)


def _nested(depth: int, indefinite: bool = False) -> bytes:
    data = b"\x05\x00"
    for _ in range(depth):
        data = b"\x30\x80" + data + b"\x00\x00" if indefinite else b"\x30" + _length(len(data)) + data
    return data


def _length(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")


@pytest.mark.parametrize("indefinite", [False, True])
def test_nesting_is_bounded_before_the_asn1_library_recurses(indefinite: bool) -> None:
    from passport.asn1_guard import MAX_NESTING, scan_encoding
    from passport.signed_data import load_signed_data

    deep = _nested(3000, indefinite)
    for parse in (load_signed_data, TrustStore().add_certificate, TrustStore().add_crl):
        with pytest.raises(PassportError, match="nested deeper"):
            parse(deep)
    # hidden inside an OCTET STRING (as in a certificate extension) it is found as well
    hidden = b"\x30\x82" + (len(deep) + 4).to_bytes(2, "big") + b"\x04\x82" + len(deep).to_bytes(2, "big") + deep
    with pytest.raises(PassportError, match="nested deeper"):
        scan_encoding(hidden)
    assert scan_encoding(_nested(MAX_NESTING - 1, indefinite)).indefinite is indefinite


def test_parse_error_without_a_message_is_still_a_typed_error() -> None:
    from passport.asn1_guard import parse_guarded
    from passport.errors import LDSError

    def parse() -> None:
        raise ValueError()

    with pytest.raises(LDSError, match="malformed thing: ValueError"):
        parse_guarded(parse, "thing")
