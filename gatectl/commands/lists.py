"""``egate lists import|check|screen|compare``: the list store from the command line (docs/lists.md).

Exit codes: 0 done, 2 usage error or rejected import (each bad line named, nothing applied).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gatectl.lists import DEFAULT_THRESHOLD, LIST_KINDS, ListImportError, ListStore
from gatectl.lists.dates import parse_birth
from gatectl.lists.matching import ALGORITHM, best_name_comparison
from gatectl.lists.names import name_forms

EXIT_OK, EXIT_USAGE = 0, 2


class UsageError(Exception):
    """A bad argument or input file, reported in one line without personal data."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("lists", help="import and screen the SLTD, watchlists and trusted travellers")
    lsub = parser.add_subparsers(dest="lists_command", metavar="ACTION")

    imp = lsub.add_parser("import", help="validate a list file and replace the list with it (all or nothing)")
    _db_args(imp)
    imp.add_argument("--kind", required=True, choices=LIST_KINDS)
    imp.add_argument("--name", help="list name (default: the kind); an import replaces the list of that name")
    imp.add_argument("file", type=Path, help="CSV, or FollowTheMoney JSON lines for a watchlist")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    check = lsub.add_parser("check", help="screen one traveller against every list")
    _db_args(check)
    check.add_argument("--name", help="name as written or as the MRZ name field (MUELLER<<JOERG)")
    check.add_argument("--birth", help="date of birth YYYY-MM-DD (or YYYY, YYYY-MM) or MRZ YYMMDD")
    check.add_argument("--nationality", help="country code or name")
    check.add_argument("--document", help="document number")
    check.add_argument("--issuer", help="issuing state of the document (code or name)")
    check.add_argument("--document-type", help="document code (P, I, ...); any type when absent")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_check)

    screen = lsub.add_parser("screen", help="screen every row of a CSV of travellers against the watchlists")
    _db_args(screen)
    screen.add_argument(
        "--queries",
        type=Path,
        required=True,
        help="CSV with full_name (written or MRZ form), optional date_of_birth, nationality",
    )
    screen.add_argument("--json", action="store_true")
    screen.set_defaults(func=cmd_screen)

    compare = lsub.add_parser("compare", help="score pairs of names (CSV columns name1,name2)")
    compare.add_argument("--pairs", type=Path, required=True)
    compare.add_argument("--config", help="gate configuration (its [lists] watchlist_threshold)")
    compare.add_argument("--threshold", type=float, help=f"match threshold (default {DEFAULT_THRESHOLD})")
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=cmd_compare)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="list store (SQLite); default: the configured [lists] db")
    p.add_argument("--config", help="gate configuration (its [lists] db and watchlist_threshold)")
    p.add_argument("--threshold", type=float, help=f"watchlist match threshold (default {DEFAULT_THRESHOLD})")


def _settings(args: argparse.Namespace) -> tuple[str | None, float]:
    """The store path and threshold: arguments first, then the configuration's [lists] section."""
    db, threshold = getattr(args, "db", None), args.threshold
    if args.config:
        from gatectl.config import ConfigError, load_config

        try:
            lists = load_config(args.config).lists
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        db = db or str(lists.db)
        threshold = threshold if threshold is not None else float(lists.watchlist_threshold)
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0 < threshold <= 1:
        raise UsageError("--threshold must be in (0, 1]")
    return db, threshold


def _open(args: argparse.Namespace, must_exist: bool = True) -> ListStore:
    db, threshold = _settings(args)
    if not db:
        raise UsageError("no list store: pass --db PATH (or --config with a [lists] db)")
    if must_exist and not Path(db).is_file():
        raise UsageError(f"no list store at {db}: import a list first")
    try:
        return ListStore(db, threshold)
    except Exception as exc:  # sqlite3.DatabaseError for a file that is not a list store
        raise UsageError(f"cannot open the list store {db}: {type(exc).__name__}") from None


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text)


def _guard(func):  # type: ignore[no-untyped-def]
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ListImportError as exc:
            print(f"egate lists: import rejected, nothing applied: {exc}", file=sys.stderr)
        except UsageError as exc:
            print(f"egate lists: {exc}", file=sys.stderr)
        except sqlite3.Error as exc:  # a locked, full or damaged store file
            print(
                f"egate lists: the list store failed ({type(exc).__name__}: {exc}); nothing applied",
                file=sys.stderr,
            )
        return EXIT_USAGE

    return run


@_guard
def cmd_import(args: argparse.Namespace) -> int:
    store = _open(args, must_exist=False)
    report = store.import_file(args.kind, args.file, args.name)
    _print(
        args,
        asdict(report),
        f"imported {report.rows} entries into {report.kind} list {report.name!r}, "
        f"version {report.version}"
        + (f" ({report.skipped} non-person entities skipped)" if report.skipped else ""),
    )
    return EXIT_OK


def _birth(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_birth(value)
    except ValueError:
        raise UsageError("--birth: expected YYYY-MM-DD, YYYY-MM, YYYY or YYMMDD") from None


@_guard
def cmd_check(args: argparse.Namespace) -> int:
    if not args.name and not args.document:
        raise UsageError("give --name and/or --document")
    if args.name and not name_forms(args.name):
        raise UsageError("--name: no letters to screen")
    if args.document and not args.issuer:
        raise UsageError("--document needs --issuer")
    if args.nationality and _nationality(args.nationality) is None:
        raise UsageError("--nationality: unknown country")
    if args.issuer and _nationality(args.issuer) is None:
        raise UsageError("--issuer: unknown country")
    store = _open(args)
    result = store.screen_traveller(args.name or "", _birth(args.birth), args.nationality, args.document,
                                    args.issuer, args.document_type, datetime.date.today())  # fmt: skip
    data = {
        "sltd_hit": result.sltd_hit,
        "trusted": result.trusted,
        "watchlist_hits": [asdict(h) for h in result.watchlist_hits],
        "threshold": store.threshold,
        "algorithm": ALGORITHM,
        "versions": result.versions,
    }
    lines = [
        f"stolen/lost document: {_sltd_text(result.sltd_hit)}",
        f"trusted traveller: {result.trusted}",
    ]
    lines += [f"watchlist hit {h.score:.2f}: {h.full_name} ({h.date_of_birth or '?'}) [{h.entry_id}] {'; '.join(h.reasons)}"
              for h in result.watchlist_hits] or ["watchlist: no hit"]  # fmt: skip
    _print(args, data, "\n".join(lines))
    return EXIT_OK


def _sltd_text(hit: bool | None) -> str:
    return "not checked (no document number, or unknown issuer)" if hit is None else "HIT" if hit else "no"


def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{path}: missing column {', '.join(missing)}")
    return [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, start=1)]


@_guard
def cmd_screen(args: argparse.Namespace) -> int:
    rows = _read_csv(args.queries, ("full_name",))
    store = _open(args)
    results = []
    for n, row in rows:
        try:
            birth = parse_birth(row["date_of_birth"]) if row.get("date_of_birth") else None
        except ValueError:
            raise UsageError(f"{args.queries}: row {n}: date_of_birth: not a date") from None
        scored = store.score_watchlist(row["full_name"], birth, _nationality(row.get("nationality")))
        best = scored[0] if scored else None
        hit = best is not None and best.score >= store.threshold
        entry = {"id": best.entry_id, "full_name": best.full_name, "date_of_birth": best.date_of_birth,
                 "list": best.list_name, "reasons": best.reasons} if hit else None  # fmt: skip
        results.append({"row": n, "hit": hit, "score": best.score if best else 0.0, "entry": entry})
    versions = store.versions()
    data = {"results": results, "list_version": versions["watchlist"], "versions": versions,
            "threshold": store.threshold, "algorithm": ALGORITHM}  # fmt: skip
    hits = sum(r["hit"] for r in results)
    _print(args, data, f"{hits} of {len(results)} rows hit the watchlist (version {versions['watchlist']})")
    return EXIT_OK


def _nationality(value: str | None) -> str | None:
    from gatectl.lists.countries import UnknownCountry, country_code

    try:
        return country_code(value) if value else None
    except UnknownCountry:
        return None


@_guard
def cmd_compare(args: argparse.Namespace) -> int:
    _, threshold = _settings(args)
    results = []
    for n, row in _read_csv(args.pairs, ("name1", "name2")):
        comparison = best_name_comparison(name_forms(row["name1"]), name_forms(row["name2"]))
        score = round(comparison.score, 4)
        results.append({"row": n, "name1": row["name1"], "name2": row["name2"], "score": score,
                        "match": score >= threshold})  # fmt: skip
    data = {"results": results, "threshold": threshold, "algorithm": ALGORITHM}
    text = "\n".join(
        f"{r['score']:.2f} {'MATCH' if r['match'] else 'no'}  {r['name1']} | {r['name2']}" for r in results
    )
    _print(args, data, text)
    return EXIT_OK
