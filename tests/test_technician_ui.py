"""Technician pages: the health JSON and the page itself in a real browser (Debian's Chromium)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from devices.base import Health
from gatectl.config import load_config
from ui_kiosk.app import create_app


def fake_health() -> list[Health]:
    # The page is under test here, not the devices: diagnostics against the real rig are in test_rig.py.
    return [
        Health("reader", "pcsc://Virtual PCD 00 00", True, "card present", {"apdu_count": 3}),
        Health("io", "modbus-rtu:///tmp/x/io-board", False, "no answer from unit 1", {"retries": 3}),
    ]


def fake_trust() -> Health:
    return Health("trust", "/etc/egate/trust", False, "master list DE_masterlist.ml refused: signer not anchored",
                  {"cscas": 411, "master_lists": [{"path": "DE_masterlist.ml", "status": "refused"}]})


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    return create_app(load_config(), health_source=fake_health, trust_source=fake_trust)


def test_health_json(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/").headers["Location"] == "/technician/"
    data = client.get("/technician/api/health").get_json()
    assert data["gate"] == "SIM-01" and data["healthy"] is False
    assert [d["device"] for d in data["devices"]] == ["reader", "io"]
    assert data["trust"]["ok"] is False and "refused" in data["trust"]["detail"]


def test_trust_report_of_the_configured_store() -> None:
    """Without a fake: the simulated gate's configuration names the rig's trust folder; absent, it is reported."""
    client = create_app(load_config(), health_source=fake_health).test_client()
    trust = client.get("/technician/api/health").get_json()["trust"]
    assert trust["device"] == "trust" and isinstance(trust["ok"], bool) and trust["detail"]


@pytest.fixture
def served(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_page_in_chromium(served: str) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(chromium):
        pytest.fail("Debian's chromium is not installed (scripts/setup.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            page.goto(served + "/technician/")
            page.wait_for_selector("#overall[data-state='unhealthy']", timeout=10_000)
            assert page.text_content("#overall") == "Some devices need attention"
            rows = page.locator("#devices tr")
            assert rows.count() == 3
            assert "refused" in page.text_content("tr[data-device='trust']")
            assert page.text_content("tr[data-device='io'] td:nth-child(2)") == "FAIL"
            assert "no answer from unit 1" in page.text_content("tr[data-device='io']")
        finally:
            browser.close()
