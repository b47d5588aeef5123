"""Data for ``egate bench lists``: altered queries for the dev positives, the dev negatives as travellers,
and a synthetic list of a million entries. Everything is derived deterministically from a seed.

A positive's query is its listed name altered the way two sources of the same person differ (one
alteration kind a query, so recall can be read per kind), with a full birth date in the listed year (the
list gives only the year) unless the kind moves the year by one.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gatectl.lists.records import WatchlistRecord
from passport.mrz import MRZError, format_name

VARIANT_KINDS = (
    "as_listed",
    "reordered",
    "typo",
    "missing_middle",
    "transliterated",
    "mrz",
    "birth_year_off_by_one",
    "combined",
)
HELD_OUT_SHARE = 0.3  # people whose hash falls here are kept out of tuning

# A Russian-language source writing English names: the round trip through ICAO Part 3 §6.B gives
# DZHENNIFER for Jennifer, KHARRINGTON for Harrington, MKKLELLAN for McClellan.
_TO_CYRILLIC_DIGRAPHS = {
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "ya": "я",
    "yu": "ю",
    "th": "т",
}
_TO_CYRILLIC = dict(zip("abcdefghijklmnopqrstuvwxyz", "абкдефгхиджклмнопкрстувваксйз", strict=False))
_TO_CYRILLIC.update({"j": "дж", "x": "кс", "y": "и", "w": "в", "q": "к"})
_TO_CYRILLIC.update(dict(zip("klmnoprstuvz", "клмнопрстувз", strict=True)))
_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}  # fmt: skip


@dataclass(frozen=True)
class Query:
    row: int  # the listed person's row in the positives (1-based), 0 for a negative
    kind: str
    name: str
    birth: str | None
    nationality: str | None = None


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def held_out(name: str) -> bool:
    digest = hashlib.sha256(name.encode()).digest()
    return digest[0] < 256 * HELD_OUT_SHARE


def _words(name: str) -> list[str]:
    return [
        w
        for w in re.sub(r"\"[^\"]*\"|\([^)]*\)|,", " ", name).split()
        if w.rstrip(".") not in ("Jr", "Sr", "III", "II", "IV")
    ]


def to_cyrillic(name: str) -> str:
    """Letter by letter, with the few spelling rules a transcriber applies: a silent h after a vowel or j
    (John → Джон), ee → и, oo → у, a final y → и."""
    text = re.sub(r"(?<=[aeiouj])h", "", name.lower())
    text = text.replace("ee", "i").replace("oo", "u")
    out, i = [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _TO_CYRILLIC_DIGRAPHS:
            out.append(_TO_CYRILLIC_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_TO_CYRILLIC.get(text[i], text[i]))
        i += 1
    return "".join(out).title()


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a neighbouring key, a dropped, doubled or swapped letter (never a no-op)."""
    if len(word) < 4:
        return word
    for _ in range(10):
        slipped = _slip(word, rng)
        if slipped != word:
            return slipped
    return word


def _slip(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("neighbour", "drop", "double", "swap"))
    ch = word[i].lower()
    if op == "neighbour" and ch in _KEYBOARD_NEIGHBOURS:
        return word[:i] + rng.choice(_KEYBOARD_NEIGHBOURS[ch]) + word[i + 1 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _alter(kind: str, words: list[str], rng: random.Random) -> str:
    if kind == "reordered":
        return (
            " ".join([words[-1], *words[:-1]])
            if rng.random() < 0.5
            else f"{words[-1]}, {' '.join(words[:-1])}"
        )
    if kind == "typo":
        long = [i for i, w in enumerate(words) if len(w) >= 4] or [0]
        i = rng.choice(long)
        return " ".join(typo(w, rng) if j == i else w for j, w in enumerate(words))
    if kind == "missing_middle":
        return " ".join([words[0], words[-1]] if len(words) > 2 else words)
    if kind == "transliterated":
        return to_cyrillic(" ".join(words))
    if kind == "mrz":
        try:
            return format_name(words[-1], " ".join(words[:-1]), 39).rstrip("<") or " ".join(words)
        except MRZError:
            return " ".join(words)
    if kind == "combined":  # reordered, a middle name dropped and a typo at once
        short = [words[0], words[-1]] if len(words) > 2 else words
        return _alter("reordered", [typo(w, rng) if w == short[-1] else w for w in short], rng)
    return " ".join(words)


def _birth(year: str, kind: str, rng: random.Random) -> str | None:
    if not year:
        return None
    y = int(year[:4])
    if kind in ("birth_year_off_by_one", "combined"):
        y += rng.choice((-1, 1))
    return f"{y:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def positive_queries(rows: list[dict[str, str]], seed: int = 9) -> list[Query]:
    """One altered query per listed person and alteration kind."""
    rng = random.Random(seed)
    queries = []
    for n, row in enumerate(rows, start=1):
        words = _words(row["full_name"])
        for kind in VARIANT_KINDS:
            queries.append(Query(n, kind, _alter(kind, words, rng), _birth(row["date_of_birth"], kind, rng)))
    return queries


def negative_queries(rows: list[dict[str, str]]) -> list[Query]:
    return [
        Query(0, "negative", r["full_name"], r["date_of_birth"] or None, r["nationality"] or None)
        for r in rows
    ]


def synthetic_entries(
    negatives: list[dict[str, str]], count: int, seed: int = 9
) -> Iterator[WatchlistRecord]:
    """``count`` made-up people: a nationality drawn as often as in the negatives, then first, middle (half
    of the time) and last names drawn from different negatives of that nationality, a birth date drawn
    uniformly from 1930-2008. Name frequencies follow the negatives', so common names stay common."""
    rng = random.Random(seed)
    by_nationality: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in negatives:
        if r["first_name"] and r["last_name"]:
            by_nationality[r["nationality"]].append(r)
    pool = [r["nationality"] for r in negatives if r["nationality"] in by_nationality]
    for i in range(count):
        people = by_nationality[rng.choice(pool)]
        first, middle, last = (rng.choice(people) for _ in range(3))
        parts = [first["first_name"], middle["middle_name"] if rng.random() < 0.5 else "", last["last_name"]]
        yield WatchlistRecord(
            entry_id=f"synthetic-{i}",
            full_name=" ".join(p for p in parts if p),
            birth_dates=(f"{rng.randint(1930, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",),
            nationalities=(),
        )
