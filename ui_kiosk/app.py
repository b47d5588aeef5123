"""Flask application factory for the gate's web pages (technician diagnostics for now)."""

from __future__ import annotations

from flask import Flask

from gatectl.config import Config
from ui_kiosk.technician import HealthSource, technician_blueprint


def create_app(config: Config, health_source: HealthSource | None = None) -> Flask:
    """Build the web application for one gate; ``health_source`` defaults to live device diagnostics."""
    app = Flask(__name__)
    app.config["EGATE"] = config
    app.register_blueprint(technician_blueprint(config, health_source))

    @app.get("/")
    def index() -> tuple[str, int, dict[str, str]]:
        return ("", 302, {"Location": "/technician/"})

    return app
