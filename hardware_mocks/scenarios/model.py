"""Scenario files: one TOML file a traveller, what happens around them, and the outcome the gate must reach.

The format is documented in docs/rig.md. :func:`load_scenario` validates a file completely and raises
:class:`ScenarioError` naming every problem by key; relative dates (``"-12y"``, ``"+2y"``, ``"-30d"``) are
resolved against today when the scenario runs.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
OUTCOMES = ("admit", "refer", "refuse", "interrupted", "abandoned")
WALKS = ("through", "stay", "tailgate", "none")
TRIGGER_KINDS = ("start", "state", "instruction")
ACTIONS = {
    # action: allowed keys besides when/after_s/action
    "camera": {"scenario", "person"},
    "camera_drop": {"seconds"},
    "remove_passport": set(),
    "replace_passport": set(),
    "fire_alarm": {"on"},
    "io_link": {"connected"},
    "io": {"command"},
    "crash_controller": set(),
    "start_controller": set(),
}
# Generated passport fields a scenario (or the rig's POST /passport) may set; the rest is made up per person.
PASSPORT_FIELDS = ("surname", "given_names", "document_number", "nationality", "issuing_state", "birth_date",
                   "expiry_date", "sex", "tamper")
_RELATIVE = re.compile(r"([+-])(\d+)([ydw])")


class ScenarioError(ValueError):
    """A scenario file is not valid; ``problems`` lists each by key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Step:
    """Do ``action`` ``after_s`` seconds after ``when`` (``start``: the passport is placed;
    ``state:NAME``: the gate enters state NAME; ``instruction:KEY``: the kiosk is told KEY)."""

    when: str
    action: str
    after_s: float = 0.0
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger(self) -> tuple[str, str]:
        kind, _, name = self.when.partition(":")
        return kind, name


@dataclass(frozen=True)
class Expect:
    outcome: str
    reasons: tuple[str, ...] = ()
    absent_reasons: tuple[str, ...] = ()
    state: str | None = None  # a state the gate must be in (or pass through) when the outcome is known
    doors: dict[str, str] = field(default_factory=dict)  # entry/exit -> "released" | "locked"
    passed: bool | None = None  # the traveller walked out through the exit
    instructions: tuple[str, ...] = ()  # kiosk instructions that must have been shown
    trusted: bool | None = None
    alarm_release_max_s: float | None = None
    within_s: float = 45.0
    recovers: bool = True  # the gate is back in idle once the scenario's faults are cleared


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    expect: Expect
    person: str | None = "Colin_Powell"  # passport generated for this person ...
    portrait_image: int = 1  # ... from this photograph (the camera shows their first usable one)
    doc: str | None = None  # or a stored test passport
    face: str | None = None  # who is at the camera (default: person)
    camera: str = "bona_fide"
    walk: str = "through"
    faults: tuple[str, ...] = ()
    passport: dict[str, Any] = field(default_factory=dict)
    mode: str = "one-step"
    controller: str = "thread"  # "thread": in this process; "process": `egate run` (for crash scenarios)
    policy: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    slow: bool = False
    source: str = ""

    @property
    def camera_person(self) -> str | None:
        return self.face or self.person

    def passport_fields(self, today: dt.date | None = None) -> dict[str, Any]:
        """The generated passport's fields with relative dates resolved (YYYY-MM-DD strings)."""
        return {k: resolve_date(v, today) if k.endswith("_date") else v for k, v in self.passport.items()}


def resolve_date(value: Any, today: dt.date | None = None) -> Any:
    """``"-12y"`` -> the date 12 years ago (YYYY-MM-DD); ISO dates and anything else unchanged."""
    if not isinstance(value, str) or not (m := _RELATIVE.fullmatch(value.strip())):
        return value
    today = today or dt.date.today()
    sign = 1 if m.group(1) == "+" else -1
    n, unit = int(m.group(2)) * sign, m.group(3)
    if unit == "y":
        try:
            day = today.replace(year=today.year + n)
        except ValueError:  # 29 February
            day = today.replace(year=today.year + n, day=28)
    else:
        day = today + dt.timedelta(days=n * (7 if unit == "w" else 1))
    return day.isoformat()


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"cannot read: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [f"not valid TOML: {exc}"]) from None
    return scenario_from_data(data, str(path), default_name=path.stem)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def builtin(name: str) -> Scenario:
    path = BUILTIN_DIR / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(name, [f"no built-in scenario {name!r}; built in: {', '.join(builtin_names())}"])
    return load_scenario(path)


def scenario_from_data(data: dict[str, Any], source: str, default_name: str = "scenario") -> Scenario:
    problems: list[str] = []
    known = {"name", "description", "mode", "controller", "slow", "traveller", "policy", "lists", "steps", "expect"}
    problems += [f"{k}: unknown key (known: {', '.join(sorted(known))})" for k in data if k not in known]
    trav = _table(data, "traveller", problems)
    trav_known = {"person", "portrait_image", "doc", "face", "camera", "walk", "faults", "passport"}
    problems += [f"traveller.{k}: unknown key (known: {', '.join(sorted(trav_known))})"
                 for k in trav if k not in trav_known]
    passport = _table(trav, "passport", problems, "traveller.passport")
    problems += [f"traveller.passport.{k}: unknown field (known: {', '.join(PASSPORT_FIELDS)})"
                 for k in passport if k not in PASSPORT_FIELDS]
    walk = trav.get("walk", "through")
    if walk not in WALKS:
        problems.append(f"traveller.walk: {walk!r} is not one of {', '.join(WALKS)}")
    mode = data.get("mode", "one-step")
    if mode not in ("one-step", "two-step"):
        problems.append(f"mode: {mode!r} is not one-step or two-step")
    controller = data.get("controller", "thread")
    if controller not in ("thread", "process"):
        problems.append(f"controller: {controller!r} is not thread or process")
    steps = [_step(s, i, problems) for i, s in enumerate(data.get("steps", []))]
    expect = _expect(_table(data, "expect", problems), problems)
    lists = _lists(_table(data, "lists", problems), problems)
    if "doc" in trav and "person" in trav:
        problems.append("traveller: give person or doc, not both")
    if problems or expect is None:
        raise ScenarioError(source, problems or ["expect.outcome: missing"])
    return Scenario(
        name=str(data.get("name", default_name)), description=str(data.get("description", "")), expect=expect,
        person=None if "doc" in trav else str(trav.get("person", "Colin_Powell")),
        portrait_image=int(trav.get("portrait_image", 1)),
        doc=trav.get("doc"), face=trav.get("face"), camera=str(trav.get("camera", "bona_fide")), walk=walk,
        faults=tuple(str(f) for f in trav.get("faults", [])), passport=dict(passport), mode=mode,
        controller=controller, policy=dict(_table(data, "policy", problems)), lists=lists,
        steps=tuple(s for s in steps if s is not None), slow=bool(data.get("slow", False)), source=source,
    )


def _table(data: dict[str, Any], key: str, problems: list[str], dotted: str | None = None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{dotted or key}: expected a table")
        return {}
    return value


def _step(raw: Any, i: int, problems: list[str]) -> Step | None:
    where = f"steps[{i}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table")
        return None
    when, action = str(raw.get("when", "start")), raw.get("action")
    if when.partition(":")[0] not in TRIGGER_KINDS or (when != "start" and not when.partition(":")[2]):
        problems.append(f"{where}.when: {when!r} is not start, state:NAME or instruction:KEY")
    if action not in ACTIONS:
        problems.append(f"{where}.action: {action!r} is not one of {', '.join(ACTIONS)}")
        return None
    args = {k: v for k, v in raw.items() if k not in ("when", "action", "after_s")}
    problems += [f"{where}.{k}: not an argument of {action} (takes {', '.join(sorted(ACTIONS[action])) or 'none'})"
                 for k in args if k not in ACTIONS[action]]
    after = raw.get("after_s", 0.0)
    if not isinstance(after, int | float) or after < 0:
        problems.append(f"{where}.after_s: expected seconds >= 0")
        after = 0.0
    return Step(when, str(action), float(after), args)


def _expect(raw: dict[str, Any], problems: list[str]) -> Expect | None:
    known = set(Expect.__dataclass_fields__)
    problems += [f"expect.{k}: unknown key (known: {', '.join(sorted(known))})" for k in raw if k not in known]
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        problems.append(f"expect.outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
        return None
    doors = raw.get("doors", {})
    if not isinstance(doors, dict) or any(k not in ("entry", "exit") or v not in ("released", "locked")
                                          for k, v in doors.items()):
        problems.append('expect.doors: expected {entry = "released"|"locked", exit = ...}')
        doors = {}
    try:
        return Expect(outcome=outcome, reasons=tuple(raw.get("reasons", ())),
                      absent_reasons=tuple(raw.get("absent_reasons", ())), state=raw.get("state"),
                      doors=dict(doors), passed=raw.get("passed"), instructions=tuple(raw.get("instructions", ())),
                      trusted=raw.get("trusted"), alarm_release_max_s=raw.get("alarm_release_max_s"),
                      within_s=float(raw.get("within_s", 45.0)), recovers=bool(raw.get("recovers", True)))
    except (TypeError, ValueError) as exc:
        problems.append(f"expect: {exc}")
        return None


def _lists(raw: dict[str, Any], problems: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, rows in raw.items():
        if kind not in ("sltd", "watchlist", "trusted"):
            problems.append(f"lists.{kind}: not sltd, watchlist or trusted")
        elif not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            problems.append(f"lists.{kind}: expected an array of tables ([[lists.{kind}]])")
        else:
            out[kind] = [dict(r) for r in rows]
    return out
