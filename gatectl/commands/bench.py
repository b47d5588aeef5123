"""``egate bench ...``: benchmarks whose figures go into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib

# Each module has ``register(bench_subparsers)``.
BENCH_MODULES: list[str] = [
    "gatectl.commands.bench_chip",
    "gatectl.commands.bench_match",
    "gatectl.commands.bench_capture",
    "gatectl.commands.bench_pad",
    "gatectl.commands.bench_alarm",
    "gatectl.commands.bench_audit",
    "gatectl.commands.bench_lists",
    "gatectl.commands.bench_gate",
]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("bench", help="measure the chip read, face matching and capture loop")
    bench_sub = parser.add_subparsers(dest="bench", metavar="BENCHMARK")
    for name in BENCH_MODULES:
        importlib.import_module(name).register(bench_sub)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
