"""``egate bench capture``: speed of the capture + quality loop and time from the first good frame to a
decision, on the simulated camera (frames rendered up front, so rendering is not measured)."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "capture",
        help="capture loop frames per second and first-good-frame-to-decision latency (simulated camera)",
        description="Render simulated camera frames (1920x1080 by default), run the capture and quality loop over them "
        "as they would arrive at the camera's frame rate, and time the decision: templates of the kept "
        "frames, comparison with a chip portrait template computed beforehand, presentation-attack score.",
    )
    p.add_argument("--faces", type=Path, help="LFW images folder (default: ../shared/data/lfw/images)")
    p.add_argument("--person", default="Colin_Powell", help="LFW person shown to the camera")
    p.add_argument("--scenario", default="bona_fide", help="camera scenario (default bona_fide)")
    p.add_argument("--frames", type=int, default=45, help="frames to run (default 45, 3 s at 15 fps)")
    p.add_argument("--runs", type=int, default=3, help="sessions (different seeds) for the decision latency")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--width", type=int, default=1920, help="frame width (default 1920)")
    p.add_argument("--height", type=int, default=1080, help="frame height (default 1080)")
    p.add_argument("--frames-kept", type=int, help="good frames fused per decision (default: settings)")
    p.add_argument("--fusion", choices=["single", "best", "mean"], help="fusion rule (default: settings)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from biometrics.capture import analyse_frame, pad_sample
    from biometrics.portrait import portrait_template
    from biometrics.settings import BiometricSettings
    from gatectl.config import load_config
    from hardware_mocks.camera.scenarios import default_faces_dir, render_scenario

    faces = args.faces or default_faces_dir()
    if faces is None or not Path(faces).is_dir():
        print(
            "egate bench capture: no faces folder (pass --faces ../shared/data/lfw/images)", file=sys.stderr
        )
        return 2
    settings = BiometricSettings.from_mapping(load_config(None).biometrics)
    overrides = {"frames_kept": args.frames_kept, "fusion": args.fusion}
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    person_dir = Path(faces) / args.person
    refs = sorted(person_dir.glob("*.jpg"))
    if not refs:
        print(f"egate bench capture: no images of {args.person} in {faces}", file=sys.stderr)
        return 2
    # The chip portrait: another photograph of the person if there is one (the scene uses the first).
    reference = portrait_template(refs[-1].read_bytes())
    period = 1.0 / args.fps
    per_frame_ms: list[float] = []
    pad_frame_ms: list[float] = []  # per frame, inside session.feed
    pad_decision_ms: list[float] = []  # pad.evaluate at the decision
    latencies_ms: list[float] = []
    runs = []
    for seed in range(max(1, args.runs)):
        stream = render_scenario(args.scenario, faces_dir=faces, person=args.person, fps=args.fps, seed=seed,
                                 size=(args.width, args.height))
        frames = [cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB) for f in itertools.islice(stream, args.frames)]
        # 1. the capture + quality loop on every frame, and apart what PAD adds to it (the learned model on
        # the face crop, the grey crop for the cues)
        for frame in frames:
            start = time.perf_counter()
            analysis = analyse_frame(frame, settings)
            per_frame_ms.append((time.perf_counter() - start) * 1000.0)
            if analysis.primary is not None:
                start = time.perf_counter()
                pad_sample(frame, analysis.primary, 0.0)
                pad_frame_ms.append((time.perf_counter() - start) * 1000.0)
        # 2. a session fed as the camera delivers, until a decision
        run_result, latency, pad_ms = _decision_run(frames, settings, reference, period, seed)
        runs.append(run_result)
        latencies_ms += [latency] if latency is not None else []
        pad_decision_ms += [pad_ms] if pad_ms is not None else []
    result = {
        "scenario": args.scenario,
        "person": args.person,
        "frame_size": [args.width, args.height],
        "camera_fps": args.fps,
        "loop_ms_median": float(np.median(per_frame_ms)) if per_frame_ms else None,
        "loop_fps": 1000.0 / float(np.median(per_frame_ms)) if per_frame_ms else None,
        "decision_ms_median": float(np.median(latencies_ms)) if latencies_ms else None,
        "decision_ms_max": float(np.max(latencies_ms)) if latencies_ms else None,
        "pad_frame_ms_median": float(np.median(pad_frame_ms)) if pad_frame_ms else None,
        "pad_decision_ms_median": float(np.median(pad_decision_ms)) if pad_decision_ms else None,
        "frames_kept": settings.frames_kept,
        "fusion": settings.fusion,
        "runs": runs,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print_text(result, args)
    return 0


def _decision_run(
    frames: list[Any], settings: Any, reference: Any, period: float, seed: int
) -> tuple[dict[str, Any], float | None, float | None]:
    """One session fed as the camera delivers ``frames``, until a decision: the run's record, the latency
    from the first good frame to the decision and the PAD score's time at the decision (ms; None without
    a decision)."""
    from biometrics.capture import CaptureSession
    from biometrics.matcher import verify
    from biometrics.pad import evaluate

    session = CaptureSession(settings)
    clock = 0.0  # when processing of the previous frame finished, in stream time
    first_good_arrival = None
    try:
        for i, frame in enumerate(frames):
            arrival = i * period
            if clock > arrival:  # still busy: like Camera.latest(), a late frame is simply skipped
                continue
            clock = arrival
            start = time.perf_counter()
            analysis = session.feed(frame, arrival)
            clock += time.perf_counter() - start
            if analysis.good and first_good_arrival is None:
                first_good_arrival = arrival
            if not session.ready:
                continue
            start = time.perf_counter()
            templates = [c.template() for c in session.best()]
            decision = verify(reference, templates, settings.match_threshold, settings.fusion)
            pad_start = time.perf_counter()
            pad = evaluate(session.pad_samples, settings.pad_threshold)
            pad_ms = (time.perf_counter() - pad_start) * 1000.0
            clock += time.perf_counter() - start
            assert first_good_arrival is not None
            latency = (clock - first_good_arrival) * 1000.0
            record = {
                "seed": seed,
                "frames_processed": session.frames_seen,
                "first_good_s": first_good_arrival,
                "decision_ms": latency,
                "match": decision.match,
                "distance": decision.distance,
                "frames_used": len(templates),
                "pad_score": pad.score,
                "pad_attack": pad.attack,
                "pad_rests_on": pad.deciding_cue,
                "pad_frames": pad.frames,
            }
            return record, latency, pad_ms
        record = {"seed": seed, "frames_processed": session.frames_seen, "decision": None,
                  "last_instruction": str(session.instruction)}
        return record, None, None
    finally:
        session.clear()


def _print_text(result: dict[str, Any], args: argparse.Namespace) -> None:
    runs, latencies_n = result["runs"], sum(r.get("decision_ms") is not None for r in result["runs"])
    print(f"Capture loop on '{args.scenario}' ({args.person}, {args.width}x{args.height} at {args.fps:g} fps)")
    if result["loop_ms_median"] is not None:
        print(
            f"  capture+quality loop: {result['loop_ms_median']:.0f} ms per frame median "
            f"({result['loop_fps']:.1f} frames/s)"
        )
    if result["pad_frame_ms_median"] is not None:
        print(
            f"  PAD per frame (learned model, crops; part of the session's feed): "
            f"{result['pad_frame_ms_median']:.1f} ms median"
        )
    if result["pad_decision_ms_median"] is not None:
        print(f"  PAD score at the decision: {result['pad_decision_ms_median']:.1f} ms median")
    if latencies_n:
        print(
            f"  first good frame to decision: {result['decision_ms_median']:.0f} ms median, "
            f"{result['decision_ms_max']:.0f} ms max over {latencies_n} session(s)"
        )
    for r in runs:
        print(f"  {r}")
