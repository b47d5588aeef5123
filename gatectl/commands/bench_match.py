"""``egate bench match``: face verification error rates and speed on LFW (see biometrics.bench)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "match",
        help="face verification: FMR/FNMR/EER on LFW pairs or all pairs, next to stock face_recognition",
        description="Encode every image once (templates in memory only), compare the pairs and report the "
        "error rates at the configured threshold, FNMR at FMR 1e-2/1e-3/1e-4, EER and timings, for this "
        "package's pipeline and, in the same run, for face_recognition as its README uses it "
        "(tolerance 0.6).",
    )
    p.add_argument("--images", required=True, type=Path, help="folder with one sub-folder per person (LFW)")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pairs", type=Path, help="pairs in LFW pairs.txt format")
    mode.add_argument("--all-pairs", action="store_true", help="compare every image with every other")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--det-plot", type=Path, help="write the DET curve (PNG) with the operating point marked")
    p.add_argument(
        "--config", help="gate configuration for the threshold (default: the built-in simulated gate)"
    )
    p.add_argument("--threshold", type=float, help="override the configured match threshold")
    p.add_argument("--folds", help="only these folds of the pairs file, e.g. '1' or '1,2'")
    p.add_argument("--workers", type=int, default=2, help="encoding processes (default 2)")
    p.add_argument("--no-stock", action="store_true", help="skip the stock face_recognition pipeline")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from biometrics.settings import BiometricSettings
    from gatectl.config import load_config

    return BiometricSettings.from_mapping(load_config(args.config).biometrics)


def run(args: argparse.Namespace) -> int:
    from biometrics.bench import BenchError, run_match_bench

    try:
        settings = _settings(args)
    except Exception as exc:  # noqa: BLE001 - a broken configuration is reported, not raised
        print(f"egate bench match: {exc}", file=sys.stderr)
        return 2
    threshold = args.threshold if args.threshold is not None else settings.match_threshold
    folds = None
    if args.folds:
        try:
            folds = [int(f) for f in args.folds.split(",")]
        except ValueError:
            print(
                f"egate bench match: --folds expects numbers like '1,2', got {args.folds!r}", file=sys.stderr
            )
            return 2

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        result = run_match_bench(
            args.images,
            pairs_file=args.pairs,
            threshold=threshold,
            target_fmr=settings.target_fmr,
            workers=max(1, args.workers),
            stock=not args.no_stock,
            folds=folds,
            det_plot_path=args.det_plot,
            progress=progress,
        )
    except BenchError as exc:
        print(f"egate bench match: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print_table(result)
    return 0


def _pct(x: object) -> str:
    return "-" if x is None else f"{100 * float(x):.2f}%"  # type: ignore[arg-type]


def _print_table(result: dict) -> None:  # type: ignore[type-arg]
    rows = [("egate", result)] + ([("stock face_recognition", result["stock"])] if "stock" in result else [])
    print(f"Face verification, {result['mode']} of {result['images_dir']}")
    print(
        f"{'pipeline':24} {'genuine':>8} {'impostor':>10} {'FTA':>5} {'thresh':>7} {'FMR':>8} {'FNMR':>8} "
        f"{'EER':>7} {'FNMR@1e-2':>10} {'FNMR@1e-3':>10} {'FNMR@1e-4':>10} {'enc ms':>7} {'cmp us':>7}"
    )
    for name, r in rows:
        at = r["fnmr_at_fmr"]
        cells = [_pct(at[k]["fnmr"]) if at.get(k) else "-" for k in ("1e-2", "1e-3", "1e-4")]
        print(
            f"{name:24} {r['genuine']:8d} {r['impostor']:10d} {r['fta']:5d} {r['threshold']:7.3f} "
            f"{_pct(r['fmr']):>8} {_pct(r['fnmr']):>8} {_pct(r['eer']):>7} {cells[0]:>10} {cells[1]:>10} "
            f"{cells[2]:>10} {r['encode_ms_median']:7.1f} {r['compare_us_median']:7.1f}"
        )
    for name, r in rows:
        cal = r.get("calibration", {})
        if "threshold" in cal:
            print(
                f"{name}: threshold for FMR {cal['target_fmr']:g} over {cal['impostor_comparisons']} "
                "cross-person "
                f"comparisons: {cal['threshold']:.4f} (FNMR there {_pct(cal['fnmr'])})"
            )
