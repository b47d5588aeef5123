"""``egate audit verify`` and ``egate audit export``: check and read a gate's audit store (docs/audit.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from gatectl.audit import AuditError, export_file, verify_file
from gatectl.audit.keys import read_key_file

EXIT_USAGE = 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="verify or export the audit store",
                       description="Verify the hash chain of an audit store, or export its records.")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    v = audit_sub.add_parser("verify", help="exit 0 if the chain is intact, 1 naming the first bad record",
                             description="Check every record's hash and link, and the head; with --key-file, "
                             "the records' seals too. Exit 0 intact, 1 not intact, 2 unreadable.")
    v.add_argument("--db", metavar="PATH", help="audit store (SQLite); default: the one --config names")
    v.add_argument("--config", metavar="FILE", help="gate configuration: its [audit] path and key (seals checked)")
    v.add_argument("--key-file", metavar="FILE", help="the gate's audit key (hex digits): also check the seals")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.set_defaults(func=run_verify)

    e = audit_sub.add_parser("export", help="export the records of a date range",
                             description="Export records whose time (UTC) falls on the days --from to --to.")
    e.add_argument("--db", metavar="PATH", help="audit store (SQLite); default: the one --config names")
    e.add_argument("--config", metavar="FILE", help="gate configuration: its [audit] path")
    e.add_argument("--from", dest="start", required=True, type=_date, metavar="DATE", help="first day, YYYY-MM-DD")
    e.add_argument("--to", dest="end", required=True, type=_date, metavar="DATE", help="last day, YYYY-MM-DD")
    e.add_argument("--format", choices=["jsonl", "csv"], default="jsonl", help="output format (default jsonl)")
    e.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    e.set_defaults(func=run_export)


def _store_and_key(args: argparse.Namespace, want_key: bool) -> tuple[str, bytes | None]:
    """--db and --key-file, or what the configuration's [audit] section names."""
    key = read_key_file(args.key_file) if getattr(args, "key_file", None) else None
    if not args.config:
        if not args.db:
            raise AuditError("give --db PATH or --config FILE")
        return args.db, key
    from gatectl.config import ConfigError, load_config

    try:
        cfg = load_config(args.config)
        if want_key and key is None:
            key = cfg.audit.load_key()
    except ConfigError as exc:
        raise AuditError(str(exc)) from None
    return args.db or str(cfg.audit.path), key


def run_verify(args: argparse.Namespace) -> int:
    try:
        db, key = _store_and_key(args, want_key=True)
        result = verify_file(db, key)
    except AuditError as exc:
        print(f"egate audit verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    elif result.ok:
        seals = "hashes and seals" if result.sealed else "hashes (no key given: seals not checked)"
        print(f"intact: {result.records} records, {seals}; head {result.head_seq} {result.head_hash}")
    else:
        print(f"NOT INTACT: first bad record {result.first_bad}: {result.problem}")
    if not args.json:
        for warning in result.warnings:
            print(f"warning: {warning}")
    return 0 if result.ok else 1


def run_export(args: argparse.Namespace) -> int:
    try:
        db, _ = _store_and_key(args, want_key=False)
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as out:
                count = export_file(db, args.start, args.end, args.format, out)
        else:
            count = export_file(db, args.start, args.end, args.format, sys.stdout)
    except (AuditError, OSError) as exc:
        print(f"egate audit export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{count} records exported", file=sys.stderr)
    return 0
