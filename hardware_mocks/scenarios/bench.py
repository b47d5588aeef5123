"""The gate benchmark: genuine travellers one after another through the whole simulated gate, with the devices
given realistic latencies, timed from the passport landing on the reader to the exit opening.

What each traveller does: walks into the gate (entry door motion, walking), takes ``place_s`` to put the
passport on the reader; the MRZ reader sends the lines ``mrz_s`` later; the chip answers over a contactless
link (``apdu_s`` per command plus the bytes at ``bitrate``) and spends ``crypto_s`` on each public-key
operation; the camera shows the traveller (``camera``: ``bona_fide`` looks at it from the start, ``turn``
needs guidance); once the exit opens the traveller takes the passport and walks out (door motion, walking),
and the next one walks in when the gate is idle again.
"""

from __future__ import annotations

import queue
import statistics
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hardware_mocks.scenarios.gate import ScenarioGate

TRAVELLER = "Colin_Powell"
PORTRAIT_IMAGE = 2
ORDER = ("document_present", "reading_chip", "verifying_document", "capturing_face", "verifying_face",
         "checking_lists")


@dataclass(frozen=True)
class Latencies:
    """Assumed device and traveller times (seconds, bit/s); docs/benchmarks.md says where they come from."""

    apdu_s: float = 0.012  # reader firmware and frame waiting time per APDU
    bitrate: int = 424_000  # ISO/IEC 14443 at 424 kbit/s
    crypto_s: float = 0.15  # chip time per GENERAL/INTERNAL AUTHENTICATE (ECDH, RSA)
    mrz_s: float = 0.4  # optical MRZ read after the passport lands
    door_open_s: float = 1.0  # door or flap motion once released and pushed
    door_close_s: float = 1.0
    walk_s: float = 1.5  # from one zone of the gate to the next once the door ahead is open
    place_s: float = 2.0  # traveller inside until the passport is on the reader

    def io_timing(self) -> dict[str, float]:
        return {"open_delay_s": self.door_open_s, "close_delay_s": self.door_close_s, "step_s": self.walk_s,
                "pass_gap_s": min(0.35, self.walk_s)}

    def faults(self) -> list[str]:
        return [f"slow:{self.apdu_s}:{self.bitrate}", f"crypto-time:{self.crypto_s}"]


def bench_gate(travellers: int, latencies: Latencies | None = None, camera: str = "bona_fide",
               rig_dir: Any = None, slot: int | None = None, progress: Any = None) -> dict[str, Any]:
    # Imported here: `egate` reads Latencies to build its command line, and must not load the rig to do so.
    from hardware_mocks.scenarios.gate import ScenarioGate

    lat = latencies or Latencies()
    with ScenarioGate(rig_dir, slot, io_timing=lat.io_timing()) as gate:
        gate.import_lists({})
        gate.ensure_controller("thread", "one-step")
        runs = []
        for i in range(travellers):
            if progress is not None:
                progress(i)
            runs.append(_one(gate, lat, i, camera))
    return summary(runs, lat, camera)


def _one(gate: ScenarioGate, lat: Latencies, index: int, camera: str) -> dict[str, Any]:
    rig = gate.rig
    assert rig is not None and rig.io_board is not None and rig.camera is not None
    board = rig.io_board
    entered = time.monotonic()
    passed_before = board.state().passed
    board.person_enters()
    board.wait_for(lambda s: "inside" in s.people.values(), timeout_s=30)
    time.sleep(lat.place_s)
    gate.drain()
    rig.camera.set_scenario(camera, TRAVELLER)  # the traveller looks up from the reader (its clock restarts)
    rig.present_passport(None, lat.faults(), person=TRAVELLER, image=PORTRAIT_IMAGE, mrz_delay_s=lat.mrz_s)
    t0 = time.monotonic()
    states: list[tuple[str, float]] = []
    outcome, opened = None, None
    while outcome is None and time.monotonic() < t0 + 60:
        try:
            seen = gate.events.get(timeout=0.5)
        except queue.Empty:
            continue
        if seen.kind == "state":
            states.append((seen.data["state"], seen.at))
            if seen.data["state"] == "exit_open":
                outcome, opened = "admit", seen.at
        elif seen.kind == "referral":
            outcome = "refer"
    rig.remove_passport()  # the traveller takes the passport back
    if outcome == "admit":
        board.wait_for(lambda s: s.passed > passed_before, timeout_s=30)
    else:
        board.clear_people()
        if gate.state == "referred":
            gate.ctl.command("refuse", actor="bench-officer", role="officer", reason="benchmark")
    gate.ctl.wait_for_state("idle", timeout=30)
    board.wait_for(lambda s: s.doors["exit"]["closed"], timeout_s=10)
    from hardware_mocks.scenarios.runner import state_durations

    steps = state_durations(states, opened or time.monotonic())
    return {"index": index, "outcome": outcome, "to_exit_open_s": None if opened is None else opened - t0,
            "cycle_s": time.monotonic() - entered, "steps": steps,
            "first_state_s": states[0][1] - t0 if states else None}


def summary(runs: list[dict[str, Any]], lat: Latencies, camera: str) -> dict[str, Any]:
    opened = [r["to_exit_open_s"] for r in runs if r["to_exit_open_s"] is not None]
    cycles = [r["cycle_s"] for r in runs]
    admitted = [r for r in runs if r["outcome"] == "admit"]
    steps = {name: round(statistics.median([r["steps"].get(name, 0.0) for r in admitted]), 3)
             for name in ORDER if admitted}
    seen = [r["first_state_s"] for r in admitted if r["first_state_s"] is not None]
    if seen:  # passport on the reader until the gate notices it (pcscd's poll, the card watch)
        steps = {"until_document_seen": round(statistics.median(seen), 3), **steps}
    return {
        "travellers": len(runs),
        "admitted": len(opened),
        "referred": sum(r["outcome"] == "refer" for r in runs),
        "median_s": round(statistics.median(opened), 3) if opened else None,
        "p95_s": round(float(np.percentile(opened, 95)), 3) if opened else None,
        "max_s": round(max(opened), 3) if opened else None,
        "cycle_median_s": round(statistics.median(cycles), 3) if cycles else None,
        "travellers_per_hour": round(3600 / statistics.mean(cycles), 1) if cycles else None,
        "steps_median_s": steps,
        "camera": camera,
        "latencies": asdict(lat),
    }
