"""ICAO Doc 9303-12 certificate checks in passive authentication: CSCA basicConstraints and keyUsage, DSC
keyUsage, validity in the chain model (DSC at the SOD's signing time, CSCA at the DSC's issuance), CRL
signature, issuer and freshness, and the MRZ issuing state against the signer's country for every code."""

from __future__ import annotations

import datetime as dt

import pycountry
import pytest
from conftest import shared_data
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from test_pki import CA_USAGE, DS_USAGE, NOW, der, make_cert, make_crl, name

from hardware_mocks.emrtd.generator import sign_sod
from hardware_mocks.emrtd.pki import Signer
from passport.issuing_state import ICAO_SPECIAL, issuer_matches, mrz_state_to_alpha2
from passport.passive_auth import verify_sod
from passport.pki import TrustStore

DAY = dt.timedelta(days=1)
CSCA_NAME = name("DE", "CSCA DE checks")


@pytest.fixture(scope="module")
def dgs() -> dict[int, bytes]:
    return {1: (shared_data("emrtd", "tr03105") / "DG1.bin").read_bytes()}


@pytest.fixture(scope="module")
def csca_key():  # type: ignore[no-untyped-def]
    return ec.generate_private_key(ec.SECP256R1())


def _csca(key, **kwargs):  # type: ignore[no-untyped-def]
    return make_cert(CSCA_NAME, key, CSCA_NAME, key, ca=True, **kwargs)


def _dsc(csca_key, country: str = "DE", **kwargs) -> Signer:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_cert(name(country, "DS checks"), key, CSCA_NAME, csca_key, ca=False, serial=4711, **kwargs)
    return Signer(cert, key)


def _verify(csca, dsc: Signer, dgs, *, signed=NOW, at=NOW, crls=(), state="D<<"):  # type: ignore[no-untyped-def]
    trust = TrustStore()
    trust.add_certificate(der(csca))
    for c in crls:
        trust.add_crl(c)
    return verify_sod(sign_sod(dgs, dsc, signing_time=signed), dgs, trust, state, at), trust


def test_proper_chain_is_valid(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key), _dsc(csca_key), dgs)
    assert result.valid and result.errors == [] and result.quirks == []
    assert result.signing_time == NOW.isoformat()


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"basic_ca": False}, "lacks basicConstraints cA=TRUE"),
        ({"key_usage": DS_USAGE}, "lacks keyUsage keyCertSign"),
        ({"key_usage": None}, "lacks keyUsage keyCertSign"),
    ],
)
def test_csca_profile(kwargs, reason, csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key, **kwargs), _dsc(csca_key), dgs)
    assert not result.chain_valid and not result.valid
    assert reason in result.chain_detail


@pytest.mark.parametrize("usage", [None, CA_USAGE])
def test_document_signer_needs_digital_signature(usage, csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key), _dsc(csca_key, key_usage=usage), dgs)
    assert not result.valid and "lacks keyUsage digitalSignature" in result.chain_detail


def test_dsc_checked_at_signing_time_not_at_the_check(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    """ICAO's chain model: a DSC that expired after signing still verifies (noted as a quirk)."""
    csca, dsc = _csca(csca_key, days=20000), _dsc(csca_key)  # DSC valid NOW-365 .. NOW+3285 days
    later = NOW + 4000 * DAY
    result, _ = _verify(csca, dsc, dgs, at=later)
    assert result.valid, result.errors
    assert "dsc_expired_since_signing" in result.quirks
    before = NOW - 400 * DAY
    result, _ = _verify(csca, dsc, dgs, signed=before, at=before + DAY)
    assert not result.valid and "DSC not valid at" in result.chain_detail and "signing time" in result.chain_detail


def test_signing_time_in_the_future_is_refused(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key), _dsc(csca_key), dgs, signed=NOW + 30 * DAY, at=NOW)
    assert not result.valid and any("lies after the time of the check" in e for e in result.errors)


def test_csca_must_be_valid_when_it_issued_the_dsc(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    csca = _csca(csca_key, not_before=NOW - 100 * DAY)  # the DSC's notBefore is NOW - 365 days
    result, _ = _verify(csca, _dsc(csca_key), dgs)
    assert not result.valid and "was not valid when it issued the DSC" in result.chain_detail


def test_stale_crl_is_reported_not_taken_for_fresh(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    csca, dsc = _csca(csca_key), _dsc(csca_key)
    stale = make_crl(CSCA_NAME, csca_key, [1234], next_update=NOW - DAY)
    result, trust = _verify(csca, dsc, dgs, crls=[stale])
    assert result.revocation == "stale crl" and result.dsc_revoked is None
    assert any("is stale" in n for n in result.notes)
    assert any("is stale" in p for p in trust.problems(NOW))
    listed = make_crl(CSCA_NAME, csca_key, [4711], next_update=NOW - DAY)
    result, _ = _verify(csca, dsc, dgs, crls=[listed])  # a revocation stays a revocation
    assert result.dsc_revoked is True and not result.valid


def test_crl_signature_and_issuer(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    csca, dsc = _csca(csca_key), _dsc(csca_key)
    forged = make_crl(CSCA_NAME, ec.generate_private_key(ec.SECP256R1()), [4711])
    result, trust = _verify(csca, dsc, dgs, crls=[forged])
    assert result.dsc_revoked is None and result.revocation == "no crl" and result.valid
    assert any("signature does not verify" in n for n in result.notes)
    other = make_crl(name("DE", "CSCA somebody else"), csca_key, [4711])
    result, _ = _verify(csca, dsc, dgs, crls=[other])
    assert result.revocation == "no crl" and result.valid
    fresh = make_crl(CSCA_NAME, csca_key, [1234])
    result, _ = _verify(csca, dsc, dgs, crls=[fresh])
    assert result.revocation == "not revoked" and result.dsc_revoked is False


# --- issuing state ---------------------------------------------------------------------------------------


def test_every_iso_country_matches_its_signer() -> None:
    for country in pycountry.countries:
        assert issuer_matches(country.alpha_3, country.alpha_2) is True, country.alpha_3
        assert issuer_matches(country.alpha_3, country.alpha_2.lower()) is True  # C=gb is seen in lists
        assert issuer_matches(country.alpha_3, "EU") is False


@pytest.mark.parametrize(
    "code, signer, expected",
    [
        ("D<<", "DE", True), ("D", "NL", False), ("GBD", "GB", True), ("GBD", "BM", True), ("GBN", "GB", True),
        ("GBO", "GB", True), ("GBP", "GB", True), ("GBS", "GB", True), ("EUE", "EU", True), ("UNO", "UN", True),
        ("UNA", "UN", True), ("UNK", "UN", True), ("RKS", "KS", True), ("RKS", "XK", True), ("RKS", "RS", False),
        ("XOM", "IT", None), ("XPO", "FR", None), ("XXA", "DE", None), ("XXB", "DE", None), ("XXC", "DE", None),
        ("XXX", "DE", None), ("XYZ", "DE", None), ("ANT", "AN", True), ("UTO", "UT", True),
    ],
)  # fmt: skip
def test_icao_special_codes(code, signer, expected) -> None:  # type: ignore[no-untyped-def]
    assert issuer_matches(code, signer) is expected


def test_every_special_code_is_known_and_mapping_is_stable() -> None:
    for code in ("D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNA", "UNK", "UNO", "XOM", "XPO", "XXA", "XXB",
                 "XXC", "XXX", "EUE", "RKS"):
        assert code in ICAO_SPECIAL
    assert mrz_state_to_alpha2("D<<") == "DE" and mrz_state_to_alpha2("GBD") == "GB"
    assert mrz_state_to_alpha2("XXA") is None


def test_uncomparable_issuing_state_is_noted_not_failed(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key), _dsc(csca_key), dgs, state="XOM")
    assert result.issuer_matches is None and result.valid
    assert any("not compared" in n for n in result.notes)
    result, _ = _verify(_csca(csca_key), _dsc(csca_key), dgs, state="FRA")
    assert result.issuer_matches is False and not result.valid


@pytest.mark.parametrize("state, country", [("ATG", "AG"), ("RKS", "KS"), ("FLK", "FK"), ("GBD", "BM")])
def test_genuine_issuers_missing_from_a_hand_written_table_match(state, country, csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    result, _ = _verify(_csca(csca_key), _dsc(csca_key, country), dgs, state=state)
    assert result.issuer_matches is True and result.valid, result.errors


def test_signing_outside_the_private_key_usage_period_is_noted(csca_key, dgs) -> None:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    period = x509.PrivateKeyUsagePeriod(NOW - 300 * DAY, NOW - 10 * DAY)
    cert = (
        x509.CertificateBuilder().subject_name(name("DE", "DS period")).issuer_name(CSCA_NAME)
        .public_key(key.public_key()).serial_number(99).not_valid_before(NOW - 365 * DAY)
        .not_valid_after(NOW + 3000 * DAY).add_extension(DS_USAGE, critical=True)
        .add_extension(period, critical=False).sign(csca_key, hashes.SHA256())
    )
    result, _ = _verify(_csca(csca_key), Signer(cert, key), dgs)
    assert result.valid and any("private key usage period" in n for n in result.notes)
