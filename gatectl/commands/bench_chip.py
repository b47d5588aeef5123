"""``egate bench chip``: APDUs, bytes and seconds of a chip read through pcscd + vpcd (see gatectl.bench_chip)."""

from __future__ import annotations

import argparse
import json
import re
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "chip",
        help="read a simulated passport with a 20 KB face through pcscd + vpcd",
        description="Present a simulated passport (20 KB DG2) on a vpcd reader and read it with PACE and "
        "BAC, with and without extended length; compare the APDU count with the minimum.",
    )
    p.add_argument("--reader", help="vpcd reader name (default: the configured reader, 'Virtual PCD 00 00')")
    p.add_argument("--runs", type=int, default=3, help="reads per scenario (default 3)")
    p.add_argument("--doc", help="pad this document folder's DG2 instead of generating a passport")
    p.add_argument("--face", help="LFW person folder for the generated passport (default: Tony_Blair)")
    p.add_argument("--link-delay", type=float, default=0.0, metavar="SECONDS",
                   help="add SECONDS to every APDU, as a contactless link would (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gatectl.bench_chip import DEFAULT_FACE, run_bench

    name = args.reader
    if not name:
        from gatectl.config import load_config

        name = load_config(None).devices.reader.url.removeprefix("pcsc://").split("?")[0]
    match = re.fullmatch(r"Virtual PCD 00 (\d\d)", name)
    if not match:
        print(f"egate bench chip: {name!r} is not a vpcd reader ('Virtual PCD 00 NN')", file=sys.stderr)
        return 2
    doc = Path(args.doc) if args.doc else None
    face = Path(args.face) if args.face else DEFAULT_FACE
    for path in (doc, None if doc else face):
        if path is not None and not path.is_dir():
            print(f"egate bench chip: no folder {path}", file=sys.stderr)
            return 2
    try:
        results = run_bench(name, int(match.group(1)), runs=max(1, args.runs), doc=doc, face=face,
                            link_delay=max(0.0, args.link_delay))
    except Exception as exc:  # noqa: BLE001 - report any device or chip failure as such
        print(f"egate bench chip: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
        return 0
    print(f"Chip read through pcscd + vpcd ({name}), DG2 {results[0].file_sizes.get('DG2', 0)} bytes, "
          f"median of {results[0].runs} reads, link delay {args.link_delay:g} s per APDU")
    print(f"{'scenario':26} {'APDUs':>6} {'min(SEL)':>9} {'min(SFI)':>9} {'bytes':>8} {'seconds':>8}")
    for r in results:
        print(f"{r.name:26} {r.apdus:6d} {r.min_apdus_with_select:9d} {r.min_apdus_with_sfi:9d} "
              f"{r.bytes:8d} {r.seconds_median:8.2f}")
    return 0
