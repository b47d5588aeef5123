"""The ``egate`` command line. Each sub-command lives in ``gatectl.commands.<name>`` and registers itself."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from gatectl.config import ConfigError

# Sub-command modules, each with ``register(subparsers)``; the parser they add sets ``func``.
COMMAND_MODULES = [
    "gatectl.commands.diag",
    "gatectl.commands.rig",
    "gatectl.commands.demo",
    "gatectl.commands.bench",
    "gatectl.commands.passport",
    "gatectl.commands.run",
    "gatectl.commands.gate",
    "gatectl.commands.audit",
    "gatectl.commands.lists",
]

# The simulated devices are the repository's, not the wheel's (pyproject.toml says why).
SIMULATORS_MISSING = (
    "egate: this command needs the simulated devices (hardware_mocks), which come with the egate source "
    "repository, not with the installed package: run it from a checkout set up by scripts/setup.sh"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="egate", description="Controller for biometric eGates.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:  # every command: the file's problems, by key, and status 2
        print(exc, file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "hardware_mocks":
            raise
        print(SIMULATORS_MISSING, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
