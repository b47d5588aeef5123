"""``egate bench pad``: presentation-attack detection error rates (ISO/IEC 30107-3 APCER per attack type,
BPCER) on the simulated camera's bona fide, printed-photo and phone-replay scenarios, or on the still
images of two folders (``--bona-fide DIR --attack DIR``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SCENARIOS = ("bona_fide", "print_attack", "replay_attack")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "pad",
        help="presentation-attack detection APCER/BPCER on simulated presentations",
        description="Render N sessions (seeds, each a different LFW person) of bona fide, printed-photo and "
        "phone-replay presentations, feed every frame to a capture session, score PAD when the session is "
        "ready (the decision) and at the end of the PAD budget, and count APCER per attack type and BPCER "
        "at the configured pad_threshold. Both sides are simulated: the figures measure the cues against "
        "this renderer, not against real attacks. With --bona-fide DIR --attack DIR it scores every image "
        "of the two folders instead (one frame each) and reports counts, failures to acquire, APCER and BPCER "
        "of the fused score, of the learned model alone and of the cues alone, and the score distributions.",
    )
    p.add_argument("--bona-fide", type=Path, metavar="DIR", help="folder of bona fide images (folder mode)")
    p.add_argument("--attack", type=Path, metavar="DIR", help="folder of attack images (folder mode)")
    p.add_argument("--include", action="append", default=[], metavar="PATTERN",
                   help="folder mode: only images whose file name matches (fnmatch; repeatable)")
    p.add_argument("--choose-on", action="append", default=[], metavar="PATTERN",
                   help="folder mode: images whose name matches are development data: thresholds are chosen "
                   "there (BPCER <= 2 %%) and the figures are reported on the others (e.g. NUAA subjects "
                   "'000[1-5]_*')")
    p.add_argument("--faces", type=Path, help="LFW images folder (default: ../shared/data/lfw/images)")
    p.add_argument("--sessions", type=int, default=3, help="presentations per scenario (default 3)")
    p.add_argument("--budget", type=float, default=10.0, help="PAD time budget in seconds (default 10)")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.bona_fide is not None or args.attack is not None:
        from gatectl.commands.bench_pad_folders import run_folders

        return run_folders(args)
    import cv2

    from biometrics.bench_pad import error_rates, score_presentation
    from biometrics.settings import BiometricSettings
    from gatectl.config import load_config
    from hardware_mocks.camera.scenarios import default_faces_dir, render_scenario

    faces = args.faces or default_faces_dir()
    if faces is None or not Path(faces).is_dir():
        print("egate bench pad: no faces folder (pass --faces ../shared/data/lfw/images)", file=sys.stderr)
        return 2
    settings = BiometricSettings.from_mapping(load_config(None).biometrics)
    results: dict[str, list] = {name: [] for name in SCENARIOS}
    people: list[str] = []
    for seed in range(max(1, args.sessions)):
        for name in SCENARIOS:
            stream = render_scenario(name, faces_dir=faces, fps=args.fps, seed=seed)
            first = next(stream)
            if name == SCENARIOS[0]:
                people.append(first.faces[0].person)

            def frames(first=first, stream=stream):  # type: ignore[no-untyped-def]
                yield first.t, cv2.cvtColor(first.image, cv2.COLOR_BGR2RGB)
                for f in stream:
                    yield f.t, cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)

            results[name].append(score_presentation(frames(), settings, args.budget))
    rates = error_rates(results, "bona_fide", settings.pad_threshold)
    report = {
        "sessions": args.sessions,
        "people": people,
        "threshold": settings.pad_threshold,
        "budget_s": args.budget,
        "camera_fps": args.fps,
        "results": rates,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"PAD on simulated presentations: {args.sessions} session(s) per scenario, threshold "
        f"{settings.pad_threshold:g}, budget {args.budget:g} s"
    )
    for name, row in rates.items():
        for moment in ("decision", "budget"):
            m = row[moment]
            print(
                f"  {name:14s} at {moment:8s}: {m['metric']} {m['errors']}/{row['presentations']}"
                f" = {100 * m['rate']:.0f} %  scores {m['scores']}"
            )
            cues = ", ".join(f"{k} {v:.3f}" for k, v in m["cue_means"].items())
            print(f"  {'':14s}    cue means: {cues}")
            parts = "; ".join(f"{k} alone {v['errors']} errors, scores {v['scores']}" for k, v in m["parts"].items())
            print(f"  {'':14s}    {parts}")
        if row["no_decision"]:
            print(f"  {name:14s} no capture decision in {row['no_decision']} session(s)")
    return 0
