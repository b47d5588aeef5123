"""``egate demo``: the simulated gate in the foreground with its web pages and diagnostics in a loop."""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run the simulated gate with its web pages until interrupted")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("EGATE_RIG_DIR", "/tmp/egate-rig")),
                   help="run directory of the simulated devices")
    p.add_argument("--host", default=None, help="web address to listen on (default from the configuration)")
    p.add_argument("--port", type=int, default=None, help="web port (default from the configuration)")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between diagnostics rounds")
    p.add_argument("--person", default="Hans_Blix",
                   help="the traveller: the face on the generated passport and in front of the camera")
    p.add_argument("--rounds", type=int, default=0, help="stop after this many diagnostics rounds (0: never)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from gatectl.config import load_config
    from gatectl.diagnostics import run_diagnostics
    from hardware_mocks.rig import RigOptions, SimulatedGate
    from ui_kiosk.app import create_app

    os.environ["EGATE_RIG_DIR"] = str(args.dir)
    cfg = load_config()
    host = args.host or cfg.ui.host
    port = args.port or cfg.ui.port
    print("starting the simulated gate (pcscd + vpcd chip, Modbus I/O board, MJPEG camera, MRZ reader) ...")
    gate = SimulatedGate(RigOptions(rig_dir=args.dir, coils=cfg.devices.io.coils, inputs=cfg.devices.io.inputs,
                                    camera_scenario="bona_fide", camera_person=args.person)).start()
    server = make_server(host, port, create_app(cfg), threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    try:
        gate.present_passport(person=args.person)
        print(f"\n  egate demo: open http://{host}:{port}/  (technician diagnostics)\n")
        print(f"  rig control API: {gate.status()['control']}  ·  Ctrl-C to stop\n", flush=True)
        rounds = 0
        while True:
            results = run_diagnostics(cfg)
            stamp = time.strftime("%H:%M:%S")
            print(f"[{stamp}] " + "  ".join(f"{h.device}:{'ok' if h.ok else 'FAIL'}" for h in results)
                  + ("" if all(h.ok for h in results) else "  <- " + "; ".join(
                      f"{h.device}: {h.detail}" for h in results if not h.ok)), flush=True)
            rounds += 1
            if args.rounds and rounds >= args.rounds:
                break
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        server.shutdown()
        gate.stop()
    return 0
