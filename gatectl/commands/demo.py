"""``egate demo``: the simulated gate in the foreground, run by the gate controller, with its web pages.

The same controller as ``egate run`` drives the simulated devices over their real protocols; a traveller
walks up, puts a generated passport on the reader and looks at the camera every ``--interval`` seconds.
The state changes are printed; the technician page shows the devices and the gate's state.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any

DEMO_SLTD = "issuer,document_type,number\nDEU,P,X00000001\n"
DEMO_WATCHLIST = "full_name,date_of_birth,nationality\nJohn Q Nobody,1950-01-01,US\n"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run the simulated gate with its controller and web pages until interrupted")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("EGATE_RIG_DIR", "/tmp/egate-rig")),
                   help="run directory of the simulated devices")
    p.add_argument("--host", default=None, help="web address to listen on (default from the configuration)")
    p.add_argument("--port", type=int, default=None, help="web port (default from the configuration)")
    p.add_argument("--interval", type=float, default=15.0, help="seconds between travellers")
    p.add_argument("--person", default="Tony_Blair",
                   help="the traveller: the face on the generated passport and in front of the camera")
    p.add_argument("--rounds", type=int, default=0, help="stop after this many travellers (0: never)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from gatectl.config import load_config
    from gatectl.controller import GateController
    from hardware_mocks.rig import RigOptions, SimulatedGate
    from ui_kiosk.app import create_app

    os.environ["EGATE_RIG_DIR"] = str(args.dir)
    cfg = load_config()
    host = args.host or cfg.ui.host
    port = args.port or cfg.ui.port
    print("starting the simulated gate (pcscd + vpcd chip, Modbus I/O board, MJPEG camera, MRZ reader) ...")
    rig = SimulatedGate(RigOptions(rig_dir=args.dir, coils=cfg.devices.io.coils, inputs=cfg.devices.io.inputs,
                                   camera_scenario="bona_fide", camera_person=args.person)).start()
    controller = server = None
    try:
        _demo_lists(cfg, args.dir)
        controller = GateController.from_config(cfg)
        controller.events.on_event(_print_event)
        controller.start()
        server = make_server(host, port, create_app(cfg, gate=controller), threaded=True)
        threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
        print(f"\n  egate demo: open http://{host}:{port}/  (technician page: devices and gate state)\n")
        print(f"  rig control API: {rig.status()['control']}  ·  Ctrl-C to stop\n", flush=True)
        _play(rig, controller, args)
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        if server is not None:
            server.shutdown()
        if controller is not None:
            controller.stop()
        rig.stop()
    return 0


def _demo_lists(cfg: Any, rig_dir: Path) -> None:
    """One-line stolen-document and watchlist files, so the policy finds every list it requires."""
    from gatectl.lists import ListStore

    store = ListStore(cfg.lists.db)
    try:
        for kind, text in (("sltd", DEMO_SLTD), ("watchlist", DEMO_WATCHLIST)):
            if store.versions().get(kind) is None:
                path = rig_dir / f"demo-{kind}.csv"
                path.write_text(text)
                store.import_file(kind, path, name=f"demo-{kind}")
    finally:
        store.close()


def _play(rig: Any, controller: Any, args: argparse.Namespace) -> None:
    rounds = 0
    while True:
        controller.wait_for_state("idle", timeout=60)
        time.sleep(2)
        rig.remove_passport()
        rig.io_board.person_enters()
        time.sleep(1.0)
        print(f"[{time.strftime('%H:%M:%S')}] a traveller walks up with {args.person}'s passport", flush=True)
        rig.present_passport(person=args.person)
        controller.wait_for_state("exit_open", "referred", timeout=60)
        if controller.state == "referred":
            controller.command("refuse", actor="demo", role="officer", reason="demo: referral closed")
        rounds += 1
        if args.rounds and rounds >= args.rounds:
            controller.wait_for_state("idle", timeout=30)
            return
        time.sleep(max(0.0, args.interval - 5))


def _print_event(event: Any) -> None:
    data = event.data
    if event.kind == "state":
        why = f" ({data['problem']})" if data.get("problem") else ""
        print(f"  state {data['previous']} -> {data['state']}{why}", flush=True)
    elif event.kind == "decision":
        print(f"  decision: {data['outcome']} " + ", ".join(r["code"] for r in data["reasons"]), flush=True)
