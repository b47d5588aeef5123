"""``egate bench audit``: append and verification speed of the audit store (docs/audit.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gatectl.audit.bench import run_audit_bench


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="audit store: append latency (synchronous=FULL) and verification speed",
                       description="Append transactions of 7 records to a fresh store in a temporary folder, "
                       "then verify it with and without the key.")
    p.add_argument("--transactions", type=int, default=2000, help="transactions to append (default 2000)")
    p.add_argument("--dir", metavar="DIR", help="folder for the temporary store (default: the system's)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.transactions < 1:
        print("egate bench audit: --transactions must be at least 1", file=sys.stderr)
        return 2
    if args.dir and not Path(args.dir).is_dir():
        print(f"egate bench audit: --dir {args.dir}: no such folder", file=sys.stderr)
        return 2
    result = run_audit_bench(args.transactions, args.dir)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0 if result["ok"] else 1
