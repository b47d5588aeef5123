"""What every driver shares: the health report, the error types and URL parsing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class DeviceError(Exception):
    """A device failed or is absent; the message says which and why."""


class DeviceTimeout(DeviceError):
    """A device did not answer within its bounded timeout."""


@dataclass
class Health:
    """One device's health for diagnostics (``egate diag``) and the technician pages."""

    device: str
    url: str
    ok: bool
    detail: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    checked_at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "url": self.url,
            "ok": self.ok,
            "detail": self.detail,
            "metrics": self.metrics,
            "checked_at": self.checked_at,
        }


class Device(Protocol):
    url: str

    def health(self) -> Health: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DeviceURL:
    """A parsed device URL such as ``modbus-rtu:///dev/ttyUSB0?baud=9600&unit=1``."""

    scheme: str
    netloc: str
    path: str
    params: dict[str, str]

    @classmethod
    def parse(cls, url: str) -> DeviceURL:
        parts = urlsplit(url)
        if not parts.scheme:
            raise ValueError(f"device URL {url!r} has no scheme")
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return cls(parts.scheme, unquote(parts.netloc), unquote(parts.path), params)

    def int_param(self, name: str, default: int) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        try:
            return int(raw, 0)
        except ValueError as exc:
            raise ValueError(f"parameter {name}={raw!r} is not an integer") from exc

    def float_param(self, name: str, default: float) -> float:
        raw = self.params.get(name)
        if raw is None:
            return default
        try:
            return float(raw)
        except ValueError as exc:
            raise ValueError(f"parameter {name}={raw!r} is not a number") from exc
