"""``egate rig run``: play travellers (built-in or TOML scenario files) through the whole simulated gate and
check each one's expected outcome. Exit status 0 only if every scenario passed."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import sys
from pathlib import Path
from typing import Any


def register(rig_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = rig_sub.add_parser(
        "run", help="play scenarios through the real controller on the simulated gate and check their outcome",
        description="Starts its own simulated gate (run directory $EGATE_RIG_DIR or /tmp/egate-rig-scen, "
        "reader slot $EGATE_VPCD_SLOT, ephemeral camera and control ports) and the real controller, plays each "
        "scenario and checks its expected outcome. Scenario files: docs/rig.md.")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="a built-in scenario (repeatable; default: all); --list shows them")
    p.add_argument("--file", action="append", default=[], type=Path, metavar="S.toml",
                   help="a scenario file of your own (repeatable)")
    p.add_argument("--list", action="store_true", help="list the built-in scenarios and exit")
    p.add_argument("--dir", type=Path, default=None, help="run directory (default $EGATE_RIG_DIR or "
                   "/tmp/egate-rig-scen); its lists, audit store and configuration are replaced")
    p.add_argument("--slot", type=int, default=None, help="vpcd reader slot (default $EGATE_VPCD_SLOT or 0)")
    p.add_argument("--json", action="store_true", help='{"scenarios": [{"name", "passed", "expected", ...}]}')
    p.set_defaults(func=rig_run)


def _scenarios(args: argparse.Namespace) -> list[Any]:
    from hardware_mocks.scenarios.model import builtin, builtin_names, load_scenario

    names = args.scenario or ([] if args.file else builtin_names())
    return [builtin(n) for n in names] + [load_scenario(f) for f in args.file]


def rig_run(args: argparse.Namespace) -> int:
    from hardware_mocks.scenarios.gate import ScenarioGate
    from hardware_mocks.scenarios.model import ScenarioError, builtin, builtin_names
    from hardware_mocks.scenarios.runner import run_scenarios

    if args.list:
        for name in builtin_names():
            print(f"{name:26} {builtin(name).description}")
        return 0
    try:
        scenarios = _scenarios(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    faulthandler.enable()  # a native crash in a device library still says where
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # the link-loss scenario makes it shout
    if not args.json:
        logging.getLogger().setLevel(logging.WARNING)

    def progress(r: dict[str, Any]) -> None:
        if not args.json:
            mark = "PASS" if r["passed"] else "FAIL"
            total = f"{r['total_s']:.2f} s" if r["total_s"] is not None else "-"
            print(f"{mark} {r['name']:26} {str(r['outcome']):12} (expected {r['expected']}) {total} "
                  f"reasons: {', '.join(r['reasons']) or '-'}", flush=True)
            for failure in r["failures"]:
                print(f"     {failure}", flush=True)

    try:
        with ScenarioGate(args.dir, args.slot) as gate:
            results = run_scenarios(gate, scenarios, progress)
    except (OSError, RuntimeError) as exc:
        print(f"error: the simulated gate did not start: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps({"scenarios": results}, indent=2))
    else:
        passed = sum(r["passed"] for r in results)
        print(f"{passed}/{len(results)} scenarios passed")
    return 0 if all(r["passed"] for r in results) else 1
