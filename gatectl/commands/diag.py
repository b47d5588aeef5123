"""``egate diag``: every device's health, for technicians and for the test rig."""

from __future__ import annotations

import argparse
import json
import sys

from gatectl.config import ConfigError, load_config
from gatectl.diagnostics import check_trust, run_diagnostics


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diag",
        help="report each device's health (exit 0 only if all are healthy)",
        description="Open every device of the gate, ask its health and close it again; then load the "
        "trust store and report refused master lists and stale CRLs. "
        "Without --config the built-in simulated gate is checked.",
    )
    p.add_argument("--config", metavar="FILE", help="gate configuration (TOML); default: the simulated gate")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--device",
        action="append",
        choices=["reader", "io", "camera", "mrz"],
        help="check only this device (repeatable)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    results = run_diagnostics(cfg, only=args.device)
    trust = None if args.device else check_trust(cfg)  # reported beside the devices, not as one
    healthy = all(h.ok for h in results) and (trust is None or trust.ok)
    if args.json:
        report = {"gate": cfg.gate.id, "healthy": healthy, "devices": [h.as_dict() for h in results]}
        if trust is not None:
            report["trust"] = trust.as_dict()
        print(json.dumps(report, indent=2))
    else:
        print(f"gate {cfg.gate.id} ({cfg.source})")
        for h in results + ([trust] if trust else []):
            mark = "OK  " if h.ok else "FAIL"
            print(f"  [{mark}] {h.device:<7} {h.url}")
            if h.detail:
                print(f"         {h.detail}")
            for k, v in h.metrics.items():
                print(f"         {k}: {v}")
        print("all devices healthy" if healthy else "some devices are not healthy")
    return 0 if healthy else 1
