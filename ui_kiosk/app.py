"""Flask application factory for the gate's web pages (technician diagnostics for now)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from gatectl.config import Config
from ui_kiosk.technician import HealthSource, TrustSource, technician_blueprint


def create_app(config: Config, health_source: HealthSource | None = None, gate: Any = None,
               trust_source: TrustSource | None = None) -> Flask:
    """Build the web application for one gate; ``health_source`` defaults to live device diagnostics and
    ``trust_source`` to the configured trust store's report.

    ``gate`` is a running :class:`gatectl.controller.GateController` (or None): its state is shown and its
    own drivers report the devices' health."""
    app = Flask(__name__)
    app.config["EGATE"] = config
    if gate is not None and health_source is None:
        health_source = gate.health
    app.register_blueprint(technician_blueprint(config, health_source, gate, trust_source))

    @app.get("/")
    def index() -> tuple[str, int, dict[str, str]]:
        return ("", 302, {"Location": "/technician/"})

    return app
