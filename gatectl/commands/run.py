"""``egate run --config gate.toml``: run a gate until interrupted (SIGINT or SIGTERM)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from devices.base import DeviceError
from gatectl.config import ConfigError, load_config


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="run the gate: devices, state machine, policy, lists, audit",
        description="Open the gate's devices, close any transaction a crash left open as interrupted, put "
        "the doors in their safe state and serve travellers until interrupted. State changes are logged.",
    )
    p.add_argument("--config", metavar="FILE", required=True,
                   help="gate configuration (TOML); builtin:simulated for the simulated gate")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatectl.controller import GateController

    try:
        cfg = load_config(args.config)
        _load_before_first_traveller()
        controller = GateController.from_config(cfg)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (DeviceError, OSError, ValueError, RuntimeError) as exc:  # PadModelError is a RuntimeError
        print(f"error: the gate cannot start: {exc}", file=sys.stderr)
        return 3
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.events.on_event(_print_event)
    try:
        controller.start()
        print(f"gate {cfg.gate.id} running ({cfg.gate.mode}); Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    except (DeviceError, OSError) as exc:  # a device that refused to start: devices and audit still close
        print(f"error: the gate cannot start: {exc}", file=sys.stderr)
        return 3
    finally:
        controller.stop()
    return 0


def _load_before_first_traveller() -> None:
    """The face models and the bounded image decoder's worker, so the first traveller waits for neither and a
    missing model stops the gate at its start, not at a traveller."""
    from biometrics.models import warm_up
    from passport.lds.decode_worker import start_worker

    warm_up()
    start_worker()


def _print_event(event) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.kind == "state":
        why = f" ({data['problem']})" if data.get("problem") else ""
        print(f"state {data['previous']} -> {data['state']} on {data['trigger']}{why}", flush=True)
    elif event.kind in ("decision", "device", "command"):
        print(f"{event.kind} " + " ".join(f"{k}={v}" for k, v in data.items() if k not in ("summary", "reason")),
              flush=True)  # an officer's free-text reason stays in the audit log
