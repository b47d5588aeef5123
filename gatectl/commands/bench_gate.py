"""``egate bench gate``: travellers per hour and seconds from passport to open exit on the simulated gate."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "gate", help="travellers per hour, median and p95 seconds from passport to open exit (simulated gate)",
        description="Genuine travellers one after another through the real controller on the simulated gate "
        "(its own rig: $EGATE_RIG_DIR or /tmp/egate-rig-scen, reader slot $EGATE_VPCD_SLOT), the devices "
        "given the latencies below. docs/benchmarks.md has the figures and what they cannot show.")
    p.add_argument("--travellers", type=int, default=20, help="how many (default 20)")
    p.add_argument("--camera", default="bona_fide", choices=["bona_fide", "turn", "approach"],
                   help="how the traveller faces the camera (turn: needs guidance first)")
    try:
        from hardware_mocks.scenarios.bench import Latencies
    except ModuleNotFoundError:  # an installed wheel: `run` says the simulated devices are missing
        latencies: tuple = ()
    else:
        latencies = fields(Latencies)
    for f in latencies:
        p.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default,
                       help=f"assumed latency (default {f.default})")
    p.add_argument("--dir", type=Path, default=None, help="run directory")
    p.add_argument("--slot", type=int, default=None, help="vpcd reader slot")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hardware_mocks.scenarios.bench import Latencies, bench_gate

    if args.travellers < 1:
        print("error: --travellers must be at least 1", file=sys.stderr)
        return 2
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    lat = Latencies(**{f.name: getattr(args, f.name) for f in fields(Latencies)})
    progress = None if args.json else (lambda i: print(f"traveller {i + 1}/{args.travellers}", file=sys.stderr,
                                                       flush=True))
    try:
        result = bench_gate(args.travellers, lat, args.camera, args.dir, args.slot, progress)
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['travellers']} travellers ({result['admitted']} admitted), camera {result['camera']}")
    print(f"  passport on reader -> exit open: median {result['median_s']} s, p95 {result['p95_s']} s, "
          f"max {result['max_s']} s")
    print(f"  cycle per traveller (walk in to next walk in): median {result['cycle_median_s']} s "
          f"-> {result['travellers_per_hour']} travellers/hour")
    print("  median seconds per step: " + ", ".join(f"{k} {v}" for k, v in result["steps_median_s"].items()))
    print("  latencies: " + ", ".join(f"{k}={v}" for k, v in result["latencies"].items()))
    return 0
