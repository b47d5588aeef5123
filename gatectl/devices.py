"""Open the gate's devices from its configuration (the one place that maps config sections to drivers)."""

from __future__ import annotations

from typing import Any

from gatectl.config import Config

DEVICE_KINDS = ("reader", "io", "camera", "mrz")


def open_device(cfg: Config, kind: str) -> Any:
    """Open one device; the driver is imported only when needed, so a gate without a camera needs no OpenCV."""
    dev = cfg.devices
    if kind == "reader":
        from devices.pcsc_reader import PcscReader

        return PcscReader(dev.reader.url, timeout=dev.reader.timeout_s)
    if kind == "io":
        from devices.gate_io import GateIO

        io = dev.io
        return GateIO(io.url, coils=io.coils, inputs=io.inputs, timeout=io.timeout_s, retries=io.retries)
    if kind == "camera":
        from devices.camera import Camera

        return Camera(dev.camera.url, timeout_s=dev.camera.timeout_s)
    if kind == "mrz":
        from devices.mrz_reader import MrzReader

        return MrzReader(dev.mrz.url, timeout=dev.mrz.timeout_s)
    raise ValueError(f"unknown device kind {kind!r} (expected one of {', '.join(DEVICE_KINDS)})")
