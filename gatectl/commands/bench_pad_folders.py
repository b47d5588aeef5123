"""``egate bench pad --bona-fide DIR --attack DIR``: PAD error rates on still images (one frame each)."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys


def run_folders(args: argparse.Namespace) -> int:
    from biometrics import pad
    from biometrics.bench_pad import choose_model_centre, folder_report, score_folder
    from biometrics.settings import BiometricSettings
    from gatectl.config import load_config

    for name, folder in (("--bona-fide", args.bona_fide), ("--attack", args.attack)):
        if folder is None or not folder.is_dir():
            print(f"egate bench pad: {name} needs a folder of images (got {folder})", file=sys.stderr)
            return 2
    settings = BiometricSettings.from_mapping(load_config(None).biometrics)
    bona = score_folder(args.bona_fide, settings, args.include)
    attack = score_folder(args.attack, settings, args.include)
    if not bona or not attack:
        print("egate bench pad: no images to score in one of the folders", file=sys.stderr)
        return 2
    threshold = settings.pad_threshold
    report: dict[str, object]
    if args.choose_on:
        def dev(i) -> bool:  # type: ignore[no-untyped-def]
            return any(fnmatch.fnmatch(i.name, p) for p in args.choose_on)

        dev_report = folder_report([i for i in bona if dev(i)], [i for i in attack if dev(i)], threshold)
        chosen = {k: v["at_bpcer_2pct"]["threshold"] for k, v in dev_report["scorers"].items()}
        report = folder_report([i for i in bona if not dev(i)], [i for i in attack if not dev(i)],
                               threshold, chosen)
        report["development"] = dev_report
        report["development_patterns"] = list(args.choose_on)
        report["model_centre_chosen_on_development"] = choose_model_centre(
            [i for i in bona if dev(i)], threshold)
    else:
        report = folder_report(bona, attack, threshold)
    report["model_centre"] = pad.MODEL_CENTRE
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    _print(report, args)
    return 0


def _print(report: dict, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    held = " (held out: not matching --choose-on)" if args.choose_on else ""
    fta = report["fta"]
    print(f"PAD on still images{held}: {report['bona_fide']} bona fide ({fta['bona_fide']} FTA), "
          f"{report['attack']} attack ({fta['attack']} FTA)")
    print(f"  fused score at threshold {report['threshold']:g}: APCER {_pct(report['apcer'])}, "
          f"BPCER {_pct(report['bpcer'])}")
    for name, row in report["scorers"].items():
        parts = [f"{label} t={r['threshold']:.3f}: APCER {_pct(r['apcer'])} BPCER {_pct(r['bpcer'])}"
                 for label, r in (("at threshold", row["at_threshold"]),
                                  ("BPCER<=2% here", row["at_bpcer_2pct"]),
                                  ("chosen on development", row.get("at_chosen"))) if r is not None]
        print(f"  {name:6s} " + "; ".join(parts))
        d = report["scores"][name]
        for kind in ("bona_fide", "attack"):
            q = d[kind]
            print(f"         {kind:9s} scores min {q['min']:.3f} p5 {q['p5']:.3f} median {q['median']:.3f} "
                  f"p95 {q['p95']:.3f} max {q['max']:.3f}")
    print(f"  flagged, by the cue the decision rests on: {report['deciding_cues']}")
    if "model_centre_chosen_on_development" in report:
        print(f"  learned cue's centre for BPCER <= 2 % on development: "
              f"{report['model_centre_chosen_on_development']:g} (in use: {report['model_centre']:g})")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"
