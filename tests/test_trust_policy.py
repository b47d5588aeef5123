"""Master lists contribute CSCAs only when their signature verifies and their signer is issued by a CSCA
trusted before them, unless the operator allows that file; the reason is in `egate passport verify`,
`egate diag` (check_trust) and the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import shared_data
from cryptography.hazmat.primitives import serialization

from gatectl.cli import main
from gatectl.diagnostics import check_trust
from hardware_mocks.emrtd.pki import make_test_pki, master_list_signer, sign_master_list
from passport.pki import TrustStore


@pytest.fixture(scope="module")
def pkis():  # type: ignore[no-untyped-def]
    """The list issuer's PKI (its CSCA signs the list signer) and a foreign PKI whose CSCA the list carries."""
    return make_test_pki("UT"), make_test_pki("XX")


@pytest.fixture
def files(pkis, tmp_path: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    home, foreign = pkis
    ml = sign_master_list(master_list_signer(home), [foreign.csca.certificate])
    tampered = bytearray(ml)
    tampered[-5] ^= 0x01  # inside the signature
    out = {"root": tmp_path / "UT_CSCA.cer", "ml": tmp_path / "UT.ml", "tampered": tmp_path / "UT_bad.ml"}
    out["root"].write_bytes(home.csca.certificate.public_bytes(serialization.Encoding.DER))
    out["ml"].write_bytes(ml)
    out["tampered"].write_bytes(bytes(tampered))
    return out


def test_anchored_master_list_adds_its_cscas(files) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore()
    trust.load_paths([files["root"], files["ml"]])
    (info,) = trust.master_lists
    assert info.verified and info.accepted and not info.allowed_unverified
    assert len(trust) == 2 and trust.problems() == []


def test_unanchored_master_list_contributes_nothing(files, caplog) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore()
    with caplog.at_level(logging.WARNING, logger="passport.pki"):
        trust.load_paths([files["ml"]])
    (info,) = trust.master_lists
    assert info.signature_valid and not info.signer_trusted and not info.accepted
    assert len(trust) == 0
    assert "refused" in info.status and "not issued by a CSCA trusted before" in info.status
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert trust.problems() == [info.status]


def test_master_list_with_a_bad_signature_contributes_nothing(files) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore()
    trust.load_paths([files["root"], files["tampered"]])
    (info,) = trust.master_lists
    assert info.signer_trusted and not info.signature_valid and not info.accepted
    assert len(trust) == 1  # the root only


def test_operator_may_allow_one_unverified_file(files) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore(allow_unverified=[files["ml"]])
    trust.load_paths([files["ml"], files["tampered"]])
    allowed, other = trust.master_lists
    assert allowed.accepted and allowed.allowed_unverified and "UNVERIFIED" in allowed.status
    assert not other.accepted  # allowing one file allows no other
    assert len(trust) == 1 and len(trust.problems()) == 2


def test_certificates_are_loaded_before_master_lists_whatever_the_order(files) -> None:  # type: ignore[no-untyped-def]
    trust = TrustStore()
    trust.load_paths([files["ml"], files["root"]])
    assert trust.master_lists[0].accepted


def test_real_unanchored_list_counts_only_when_allowed() -> None:
    """Without the allowance the DE list is refused (tests/test_pki.py: 411 CSCAs, NL's only)."""
    allowed = TrustStore(allow_unverified=[shared_data("pki", "DE_masterlist_2024-04-10.ml")])
    allowed.load_path(shared_data("pki"))
    de, nl = allowed.master_lists
    assert de.allowed_unverified and de.accepted and nl.verified and len(allowed) == 639


def test_cli_verify_shows_the_refusal_and_takes_allow_unverified(files, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = shared_data("emrtd", "loes2006")
    code = main(["passport", "verify", "--dir", str(folder), "--trust", str(files["ml"])])
    out = capsys.readouterr().out
    assert code == 1 and "refused, its 1 CSCAs are not used" in out
    code = main(["passport", "verify", "--dir", str(folder), "--trust", str(files["ml"]), "--json",
                 "--allow-unverified", str(files["ml"])])
    report = json.loads(capsys.readouterr().out)["trust"]
    assert report["cscas"] == 1 and "UNVERIFIED" in report["master_lists"][0]


def test_diag_reports_the_trust_store(files) -> None:  # type: ignore[no-untyped-def]
    def cfg(paths, allowed=()):  # type: ignore[no-untyped-def]
        return SimpleNamespace(trust=SimpleNamespace(paths=paths, allow_unverified_master_lists=list(allowed)))

    good = check_trust(cfg([files["root"], files["ml"]]))
    assert good.ok and good.metrics["cscas"] == 2
    refused = check_trust(cfg([files["ml"]]))
    assert not refused.ok and "refused" in refused.detail and "no usable CSCA" in refused.detail
    allowed = check_trust(cfg([files["ml"]], [files["ml"]]))
    assert not allowed.ok and "UNVERIFIED" in allowed.detail  # usable, but a technician must see it
