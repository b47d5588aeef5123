"""``egate gate diagram``: the state diagram, drawn by ``transitions`` from the state table itself."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gate", help="the gate's state machine")
    gate_sub = p.add_subparsers(dest="gate_command", metavar="COMMAND")
    d = gate_sub.add_parser("diagram", help="print the state diagram (Mermaid) drawn from the state table",
                            description="Print the state diagram as Mermaid text (stateDiagram-v2), drawn "
                            "from gatectl.machine's table, so the picture cannot drift from the code.")
    d.add_argument("--markdown", action="store_true", help="wrap it in a ```mermaid block for Markdown")
    d.set_defaults(func=diagram)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def diagram(args: argparse.Namespace) -> int:
    from gatectl.machine import diagram as draw

    text = draw()
    print(f"```mermaid\n{text.rstrip()}\n```" if args.markdown else text.rstrip())
    return 0
