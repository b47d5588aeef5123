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
