"""Open the gate's devices from its configuration (the one place that maps config sections to drivers)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from gatectl.config import Config

log = logging.getLogger(__name__)

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


@dataclass
class GateDevices:
    """The four drivers of one gate (real or simulated: only the URLs differ)."""

    reader: Any
    io: Any
    camera: Any
    mrz: Any

    @classmethod
    def open(cls, cfg: Any) -> GateDevices:
        """Open every device from the configuration; the camera keeps connecting in the background."""
        from devices.camera import Camera

        cam = cfg.devices.camera
        opened: list[Any] = []
        try:
            for kind in ("reader", "io", "mrz"):
                opened.append(open_device(cfg, kind))
            camera = Camera(cam.url, timeout_s=cam.timeout_s, wait_open=False)
        except BaseException:
            for device in opened:
                device.close()
            raise
        return cls(opened[0], opened[1], camera, opened[2])

    def close(self) -> None:
        for device in (self.mrz, self.camera, self.io, self.reader):
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing goes on to the next device
                log.exception("closing %s", type(device).__name__)
