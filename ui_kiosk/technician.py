"""Technician pages: device health at a glance, refreshed live, and the same as JSON."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, render_template

from devices.base import Health
from gatectl.config import Config
from gatectl.diagnostics import check_trust, run_diagnostics

HealthSource = Callable[[], list[Health]]
TrustSource = Callable[[], Health]


class CachedHealth:
    """Runs diagnostics at most every ``max_age`` seconds, so many open pages do not hammer the devices."""

    def __init__(self, config: Config, max_age: float = 2.0):
        self.config = config
        self.max_age = max_age
        self._lock = threading.Lock()
        self._at = 0.0
        self._last: list[Health] = []

    def __call__(self) -> list[Health]:
        with self._lock:
            if time.monotonic() - self._at > self.max_age:
                self._last = run_diagnostics(self.config)
                self._at = time.monotonic()
            return self._last


class CachedTrust:
    """The trust store's report (refused or unverified master lists, stale or badly signed CRLs), loaded
    again at most every ``max_age`` seconds: loading national master lists takes seconds."""

    def __init__(self, config: Config, max_age: float = 300.0):
        self.config = config
        self.max_age = max_age
        self._lock = threading.Lock()
        self._at = 0.0
        self._last: Health | None = None

    def __call__(self) -> Health:
        with self._lock:
            if self._last is None or time.monotonic() - self._at > self.max_age:
                self._last = check_trust(self.config)
                self._at = time.monotonic()
            return self._last


def technician_blueprint(config: Config, health_source: HealthSource | None = None, gate: Any = None,
                         trust_source: TrustSource | None = None) -> Blueprint:
    bp = Blueprint("technician", __name__, url_prefix="/technician")
    source = health_source or CachedHealth(config)
    trust = trust_source or CachedTrust(config)

    @bp.get("/")
    def page() -> str:
        return render_template("technician.html", gate=config.gate, source=config.source)

    @bp.get("/api/health")
    def health() -> object:
        results = source()
        store = trust()
        return jsonify(
            gate=config.gate.id,
            healthy=all(h.ok for h in results) and store.ok,
            devices=[h.as_dict() for h in results],
            trust=store.as_dict(),
        )

    @bp.get("/api/gate")
    def gate_state() -> object:
        """The running controller's state, doors and devices (``running: false`` without a controller)."""
        if gate is None:
            return jsonify(running=False)
        return jsonify(running=True, **gate.snapshot())

    @bp.get("/api/diagram")
    def diagram() -> tuple[str, int, dict[str, str]]:
        """The state diagram (Mermaid text) drawn from the state table."""
        from gatectl.machine import diagram as draw

        return draw(config.gate.id), 200, {"Content-Type": "text/plain; charset=utf-8"}

    return bp
