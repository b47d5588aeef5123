"""JSON request and reply helpers shared by the simulated devices' HTTP control APIs."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

MAX_BODY = 65536


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler with ``_json`` (send a JSON reply) and ``_body`` (read a bounded JSON object)."""

    def _json(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        """The request's JSON object; ``ValueError`` for an oversized or non-object body."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        raw = self.rfile.read(length) if length else b"{}"
        body = json.loads(raw or b"{}")
        if not isinstance(body, dict):
            raise ValueError("request body must be a JSON object")
        return body
