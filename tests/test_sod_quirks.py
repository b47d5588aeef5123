"""Real-world EF.SOD encodings that deviate from Doc 9303-10 are accepted and reported as quirks: a bare
ContentInfo, id-data as eContentType, a signer named by a differently encoded issuer or by subject key
identifier, the DSC supplied by the trust store, indefinite-length BER. Built from the test PKI."""

from __future__ import annotations

import json

import pytest
from conftest import shared_data
from cryptography.hazmat.primitives import serialization

from gatectl.cli import main
from hardware_mocks.emrtd.generator import sign_sod
from hardware_mocks.emrtd.pki import make_test_pki
from hardware_mocks.emrtd.sod_quirks import SOD_QUIRKS
from passport.lds.sod import decode_sod
from passport.passive_auth import verify_sod


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    return make_test_pki("DE")


@pytest.fixture(scope="module")
def dgs() -> dict[int, bytes]:
    folder = shared_data("emrtd", "tr03105")  # issuing state D<<
    return {1: (folder / "DG1.bin").read_bytes(), 14: (folder / "DG14.bin").read_bytes()}


@pytest.fixture(scope="module")
def sod(pki, dgs) -> bytes:  # type: ignore[no-untyped-def]
    return sign_sod(dgs, pki.dsc)


def _trust(pki):  # type: ignore[no-untyped-def]
    trust = pki.trust_store()
    trust.add_certificate(pki.dsc.der)  # a document signer certificate in the trust store
    return trust


def test_the_plain_sod_has_no_quirks(pki, dgs, sod) -> None:  # type: ignore[no-untyped-def]
    result = verify_sod(sod, dgs, _trust(pki), "D<<")
    assert result.valid, result.errors
    assert result.quirks == [] and result.revocation == "not revoked"
    assert result.signing_time is not None


@pytest.mark.parametrize("variant", list(SOD_QUIRKS))
def test_quirky_sod_verifies_and_reports_the_quirk(variant, pki, dgs, sod) -> None:  # type: ignore[no-untyped-def]
    make, quirks = SOD_QUIRKS[variant]
    quirky = make(sod, pki.dsc)
    assert quirky != sod
    result = verify_sod(quirky, dgs, _trust(pki), "D<<")
    assert result.valid, result.errors
    assert set(quirks) <= set(result.quirks), result.quirks
    assert result.errors == []


def test_dsc_missing_everywhere_is_not_valid(pki, dgs, sod) -> None:  # type: ignore[no-untyped-def]
    make, _ = SOD_QUIRKS["no-dsc"]
    result = verify_sod(make(sod, pki.dsc), dgs, pki.trust_store(), "D<<")
    assert not result.valid and "EF.SOD: signer certificate not found" in result.errors


def test_id_data_content_is_still_parsed_as_lds_security_object(pki, dgs, sod) -> None:  # type: ignore[no-untyped-def]
    make, _ = SOD_QUIRKS["id-data"]
    decoded = decode_sod(make(sod, pki.dsc))
    assert set(decoded.dg_hashes) == {1, 14} and "sod_content_type_id_data" in decoded.quirks


def test_issuer_name_encoding_does_not_let_another_certificate_in(pki, dgs, sod) -> None:  # type: ignore[no-untyped-def]
    """The serial number still has to match: a re-encoded issuer with a foreign serial finds no signer by
    name, and the fallback by signature finds none either when the signature is from another key."""
    make, _ = SOD_QUIRKS["issuer-encoding"]
    forged = sign_sod(dgs, pki.unknown_dsc)  # signed by a DSC of an unknown CSCA, certificate embedded
    result = verify_sod(make(forged, pki.unknown_dsc), dgs, _trust(pki), "D<<")
    assert not result.valid and not result.chain_valid


@pytest.mark.parametrize("variant", list(SOD_QUIRKS))
def test_cli_verify_accepts_quirky_sod(variant, pki, dgs, sod, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    make, quirks = SOD_QUIRKS[variant]
    docs, trust_dir = tmp_path / "doc", pki.write_trust_store(tmp_path / "trust")
    (trust_dir / "DE_DS.cer").write_bytes(pki.dsc.certificate.public_bytes(serialization.Encoding.DER))
    docs.mkdir()
    (docs / "EF_SOD.bin").write_bytes(make(sod, pki.dsc))
    for n, data in dgs.items():
        (docs / f"DG{n}.bin").write_bytes(data)
    code = main(["passport", "verify", "--dir", str(docs), "--trust", str(trust_dir), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["valid"], out
    assert set(quirks) <= set(out["passive_auth"]["quirks"])
