"""Shared fixtures: the shared test data folder and the PC/SC stack (pcscd + vpcd)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("EGATE_SHARED_DATA", REPO.parent / "shared" / "data"))
# vpcd slot used by this test run: slot 0 is "Virtual PCD 00 00" on TCP 35963, slot 1 "... 00 01" on 35964.
VPCD_SLOT = int(os.environ.get("EGATE_VPCD_SLOT", "0"))


# Hypothesis: "ci" (the default) keeps the fuzz tests to seconds; HYPOTHESIS_PROFILE=long runs them for
# minutes (docs/testing.md). Tests that set max_examples themselves keep their own count.
settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test is skipped with a clear message if it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"test data not found: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    """pcscd with the vpcd reader, started as a child process for this session if it is not running."""
    from hardware_mocks.emrtd.pcscd import PcscdUnavailable, ensure_pcscd
    from hardware_mocks.emrtd.vpcd import vpcd_port

    try:
        proc = ensure_pcscd(port=vpcd_port(VPCD_SLOT))
    except PcscdUnavailable as exc:
        pytest.fail(f"PC/SC stack unavailable: {exc}")
    yield
    proc.stop()


@pytest.fixture
def vpcd_host(pcscd: None) -> Iterator[object]:
    """A vpcd card host on this run's slot; the card is removed after the test."""
    from hardware_mocks.emrtd.vpcd import VpcdCardHost, vpcd_port

    host = VpcdCardHost(port=vpcd_port(VPCD_SLOT))
    _wait_until_reader_empty()
    yield host
    host.remove()


def _wait_until_reader_empty() -> None:
    """pcscd notices a card leaving only at its next poll (~0.4 s): a card inserted before that would be
    confused with the previous test's, so each test starts from an empty reader."""
    from devices.pcsc_reader import PcscReader
    from hardware_mocks.emrtd.vpcd import vpcd_reader_name

    with PcscReader(f"pcsc://{vpcd_reader_name(VPCD_SLOT)}") as reader:
        if not reader.wait_for_removal(10):
            pytest.fail("a card stays on the virtual reader from an earlier test")


@pytest.fixture
def vpcd_reader_name() -> str:
    from hardware_mocks.emrtd.vpcd import vpcd_reader_name

    return vpcd_reader_name(VPCD_SLOT)


@pytest.fixture
def vpcd_slot() -> int:
    return VPCD_SLOT


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The project's test PKI (CSCA -> document signer) for country DE, and a trust store holding its CSCA."""
    from hardware_mocks.emrtd.pki import make_test_pki
    from passport.pki import TrustStore

    pki = make_test_pki("DE")
    trust = TrustStore()
    trust.load_path(pki.write_trust_store(tmp_path_factory.mktemp("trust")))
    return pki, trust


def read_on_virtual_reader(host, reader_name: str, chip, **kwargs):  # type: ignore[no-untyped-def]
    """Put ``chip`` on the virtual reader once pcscd has seen the previous card go, and read it with the
    MRZ key of its own files through the real PC/SC driver."""
    from devices.pcsc_reader import PcscReader
    from passport.reader import MRZKey, read_passport

    host.remove()  # a card from an earlier read of the same test
    files = chip.files
    with PcscReader(f"pcsc://{reader_name}") as reader:
        assert reader.wait_for_removal(10)
        host.insert(chip)
        assert reader.wait_for_card(10)
        reader.connect()
        return read_passport(reader, MRZKey(files.document_number, files.birth_date, files.expiry_date), **kwargs)
