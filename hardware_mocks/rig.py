"""The whole simulated gate: every device on its real protocol, plus a control API for test rigs.

Devices: pcscd with the vpcd reader and a virtual ePassport that can be put on and taken off; the Modbus
RTU I/O board behind ``$RIG_DIR/io-board``; the MJPEG camera on ``http://127.0.0.1:18554/stream.mjpg``; the
MRZ reader behind ``$RIG_DIR/mrz-reader``. The control API (JSON over HTTP, 127.0.0.1:18555) lets a test
rig play a traveller: ``GET /status``, ``POST /passport {"doc": "bsi2008", "faults": [...]}``,
``POST /passport {"person": "Tony_Blair"}`` (a passport generated for that face, signed by the rig's test
PKI, whose CSCA and CRL are in ``$RIG_DIR/trust``; optional ``"image": 1`` for another photograph of the
person in DG2, ``"fields": {"expiry_date": "2020-01-01", "tamper": [1], ...}``), ``DELETE /passport``, ``POST /mrz {"lines": [...], "noise": 0.0}``, ``POST /camera {"scenario": ...}``,
``POST /camera/drop {"seconds": 3}``, ``POST /io {"command": "walk 1"}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hardware_mocks import sample_data
from hardware_mocks.camera.server import CameraServer
from hardware_mocks.emrtd.pcscd import PcscdProcess, ensure_pcscd
from hardware_mocks.emrtd.vpcd import VpcdCardHost, vpcd_port, vpcd_reader_name
from hardware_mocks.io.board import IoBoard
from hardware_mocks.json_http import JsonHandler
from hardware_mocks.mrz.reader import SimulatedMrzReader
from hardware_mocks.scenarios.model import PASSPORT_FIELDS  # generated passport fields one may set
from passport.errors import PassportError

log = logging.getLogger(__name__)

DEFAULT_RIG_DIR = "/tmp/egate-rig"
CAMERA_PORT = int(os.environ.get("EGATE_CAMERA_PORT", "18554"))
CONTROL_PORT = int(os.environ.get("EGATE_CONTROL_PORT", "18555"))


def default_rig_dir() -> Path:
    return Path(os.environ.get("EGATE_RIG_DIR", DEFAULT_RIG_DIR))


@dataclass
class RigOptions:
    rig_dir: Path = field(default_factory=default_rig_dir)
    camera_port: int = CAMERA_PORT
    control_port: int = CONTROL_PORT
    vpcd_slot: int = 0
    camera_scenario: str = "empty"
    camera_person: str | None = None
    coils: dict[str, int] | None = None
    inputs: dict[str, int] | None = None
    io_timing: dict[str, float] | None = None  # IoBoard physics: open_delay_s, close_delay_s, step_s, ...


class SimulatedGate:
    """Starts and stops the simulated devices; methods play a traveller through them."""

    def __init__(self, options: RigOptions | None = None):
        self.options = options or RigOptions()
        self.pcscd: PcscdProcess | None = None
        self.card_host: VpcdCardHost | None = None
        self.io_board: IoBoard | None = None
        self.camera: CameraServer | None = None
        self.mrz: SimulatedMrzReader | None = None
        self._control: ThreadingHTTPServer | None = None
        self.passport: str | None = None
        self.pki: Any = None

    @property
    def trust_dir(self) -> Path:
        return self.options.rig_dir / "trust"

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> SimulatedGate:
        o = self.options
        o.rig_dir.mkdir(parents=True, exist_ok=True)
        from hardware_mocks.emrtd.pki import make_test_pki

        self.pki = make_test_pki("UT")
        self.pki.write_trust_store(self.trust_dir)
        try:
            self.pcscd = ensure_pcscd(port=vpcd_port(o.vpcd_slot))
            self.card_host = VpcdCardHost(port=vpcd_port(o.vpcd_slot))
            self.io_board = IoBoard(driver_link=o.rig_dir / "io-board", coils=o.coils, inputs=o.inputs,
                                    **(o.io_timing or {})).start()
            self.camera = CameraServer(
                port=o.camera_port, scenario=o.camera_scenario, person=o.camera_person,
                faces_dir=sample_data.faces_dir(),
            ).start()
            self.mrz = SimulatedMrzReader(link=o.rig_dir / "mrz-reader")
            self._control = ThreadingHTTPServer(("127.0.0.1", o.control_port), _control_handler(self))
            self._control.daemon_threads = True
            threading.Thread(target=self._control.serve_forever, name="rig-control", daemon=True).start()
        except BaseException:
            self.stop()
            raise
        return self

    def write_status(self) -> None:
        """Announce readiness to ``egate rig up``: it waits for ``rig.json``."""
        (self.options.rig_dir / "rig.json").write_text(json.dumps(self.status(), indent=2))

    def stop(self) -> None:
        if self._control is not None:
            self._control.shutdown()
            self._control.server_close()
            self._control = None
        if self.card_host is not None:
            self.card_host.remove()
        for dev in (self.mrz, self.camera, self.io_board):
            if dev is not None:
                try:
                    dev.close() if hasattr(dev, "close") else dev.stop()
                except Exception:  # noqa: BLE001 - stopping must go on to the next device
                    log.exception("stopping %s", type(dev).__name__)
        self.mrz = self.camera = self.io_board = None
        if self.pcscd is not None:
            self.pcscd.stop()
            self.pcscd = None
        with_json = self.options.rig_dir / "rig.json"
        with_json.unlink(missing_ok=True)

    def __enter__(self) -> SimulatedGate:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- playing a traveller -------------------------------------------------------------------------

    def present_passport(self, doc: str | None = None, faults: list[str] | None = None,
                         mrz: bool = True, pace: bool = True, person: str | None = None,
                         fields: dict[str, Any] | None = None, image: int = 0,
                         mrz_delay_s: float = 0.0) -> dict[str, Any]:
        """Put a passport on the chip reader (and its MRZ through the MRZ reader).

        ``doc`` names a test passport folder (``sample``, ``bsi2008``, ...); ``person`` instead generates a
        passport for that face (an LFW folder name), signed by the rig's test PKI, with its portrait from the
        person's ``image``-th photograph (sorted by name) and ``fields`` (:data:`PASSPORT_FIELDS`: names,
        ``document_number``, ``birth_date``/``expiry_date`` as YYYY-MM-DD, ``tamper``: data groups altered
        after signing) instead of the made-up ones. The MRZ reader sends the lines ``mrz_delay_s`` after the
        chip is on the reader (an optical reader's scanning time).
        """
        from hardware_mocks.emrtd.chip import EmrtdChip
        from hardware_mocks.emrtd.faults import parse_fault
        from hardware_mocks.emrtd.files import load_chip_files

        assert self.card_host is not None and self.mrz is not None
        if person is not None:
            from hardware_mocks.emrtd.generator import passport_for_lfw_person

            face = sample_data.faces_dir() / person
            if not face.is_dir():
                raise FileNotFoundError(f"no face folder {person!r} in {sample_data.faces_dir()}")
            photos = sorted(p for p in face.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
            if not 0 <= image < len(photos):
                raise ValueError(f"image {image} out of range: {person!r} has {len(photos)} photographs")
            unknown = sorted(set(fields or {}) - set(PASSPORT_FIELDS))
            if unknown:
                raise ValueError(f"unknown passport fields {unknown}; known: {', '.join(PASSPORT_FIELDS)}")
            overrides = dict(fields or {})
            for key in ("birth_date", "expiry_date"):
                if isinstance(overrides.get(key), str) and len(overrides[key]) == 10:
                    overrides[key] = dt.date.fromisoformat(overrides[key])
            files = passport_for_lfw_person(photos[image], pki=self.pki, pace=pace, **overrides).chip_files
            label = f"generated:{person}"
        else:
            folder = sample_data.passport_dir(doc)
            files = load_chip_files(folder, pace=pace)
            label = doc or "sample"
        chip = EmrtdChip(files, faults=[parse_fault(spec) for spec in faults or []])
        self.card_host.insert(chip)
        self.passport = label
        lines: list[str] = []
        if mrz:
            text = files.mrz
            width = {90: 30, 72: 36, 88: 44}.get(len(text), 44)
            lines = [text[i : i + width] for i in range(0, len(text), width)]
            if mrz_delay_s > 0:
                threading.Timer(mrz_delay_s, self.mrz.present, (lines,)).start()
            else:
                self.mrz.present(lines)
        return {"passport": label, "reader": vpcd_reader_name(self.options.vpcd_slot), "mrz": lines,
                "trust": str(self.trust_dir)}

    def remove_passport(self) -> None:
        assert self.card_host is not None
        self.card_host.remove()
        self.passport = None

    @property
    def control_port(self) -> int:
        return int(self._control.server_address[1]) if self._control else self.options.control_port

    def status(self) -> dict[str, Any]:
        o = self.options
        return {
            "pid": os.getpid(),
            "rig_dir": str(o.rig_dir),
            "reader": {"name": vpcd_reader_name(o.vpcd_slot), "card": self.passport,
                       "inserted": bool(self.card_host and self.card_host.inserted)},
            "io_board": {"path": str(o.rig_dir / "io-board"),
                         "state": repr(self.io_board.state()) if self.io_board else None},
            "camera": {"url": self.camera.url if self.camera else None,
                       "scenario": self.camera.scenario if self.camera else None},
            "mrz_reader": {"path": str(o.rig_dir / "mrz-reader")},
            "trust": str(self.trust_dir),
            "control": f"http://127.0.0.1:{self.control_port}",
        }


def _control_handler(gate: SimulatedGate) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug("control: " + format, *args)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/status":
                self._json(200, gate.status())
            else:
                self._json(404, {"error": f"no such resource {self.path}"})

        def do_DELETE(self) -> None:  # noqa: N802
            if self.path == "/passport":
                gate.remove_passport()
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": f"no such resource {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            try:
                body = self._body()
                if self.path == "/passport":
                    result = gate.present_passport(body.get("doc"), list(body.get("faults", [])),
                                                   bool(body.get("mrz", True)), bool(body.get("pace", True)),
                                                   body.get("person"), dict(body.get("fields") or {}),
                                                   int(body.get("image", 0)))
                elif self.path == "/mrz" and gate.mrz:
                    sent = gate.mrz.present(list(body["lines"]), noise=float(body.get("noise", 0.0)),
                                            framing=str(body.get("framing", "cr")))
                    result = {"sent": sent}
                elif self.path == "/camera" and gate.camera:
                    gate.camera.set_scenario(str(body["scenario"]), body.get("person"))
                    result = {"scenario": gate.camera.scenario}
                elif self.path == "/camera/drop" and gate.camera:
                    gate.camera.drop(float(body.get("seconds", 3.0)))
                    result = {"ok": True}
                elif self.path == "/io" and gate.io_board:
                    result = {"answer": gate.io_board.run_command(str(body["command"]))}
                else:
                    self._json(404, {"error": f"no such resource {self.path}"})
                    return
                self._json(200, result)
            except (KeyError, ValueError, TypeError, OSError, PassportError) as exc:
                self._json(400, {"error": f"{type(exc).__name__}: {exc}"})
            except Exception as exc:  # noqa: BLE001 - a bad request must not take the rig down
                log.exception("control request failed")
                self._json(500, {"error": str(exc)})

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware_mocks.rig",
                                     description="Run the whole simulated gate until interrupted.")
    parser.add_argument("--dir", type=Path, default=default_rig_dir(), help="run directory (pty links, status)")
    parser.add_argument("--camera-port", type=int, default=CAMERA_PORT)
    parser.add_argument("--control-port", type=int, default=CONTROL_PORT)
    parser.add_argument("--slot", type=int, default=0, help="vpcd slot")
    parser.add_argument("--passport", help="present this test passport at start (e.g. sample, bsi2008)")
    parser.add_argument("--person", help="present a passport generated for this face at start (e.g. Hans_Blix)")
    parser.add_argument("--scenario", default="empty", help="camera scenario at start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    opts = RigOptions(args.dir, args.camera_port, args.control_port, args.slot, args.scenario,
                      camera_person=args.person)
    try:
        gate = SimulatedGate(opts).start()
    except Exception as exc:  # noqa: BLE001
        print(f"error: the simulated gate did not start: {exc}", file=sys.stderr)
        return 3
    try:
        if args.passport or args.person:
            gate.present_passport(args.passport, person=args.person)
        gate.write_status()
        print(json.dumps(gate.status()), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        gate.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
