"""Watchlist matching: candidate generation by blocking keys, then a scored and explained comparison.

Algorithm ``egate-name-1`` (the version is recorded with every screening):

Candidates. Every name form of an entry is indexed under keys built from pairs of its full tokens (initials
and particles such as VAN, DE, AL left out): ``P`` the two tokens' sound skeletons (unordered), ``A`` one
token's skeleton with the other's first three letters, ``Z`` one token's skeleton with the other's last three
letters, ``F`` one token's skeleton with the other's first two letters in either order (short tokens only,
where one typo can change both ends), ``I`` one token's skeleton with the other's initial (looked up by queries
for their initials and short tokens). A query builds the same keys; an entry is a candidate when one key
agrees. A pair survives reordering and a missing middle name; a typo or a transliteration has to change the
skeleton of one token *and* both ends of the other to lose the entry. Names with a single full token are indexed under
``S`` keys of that token alone, and every token of a longer name under a ``T`` key, which only a query of one
name looks up (an MRZ with the primary identifier alone: ``ZHUKOV<<``). Keys are stored as 64-bit hashes, so a query costs a few index look-ups
whatever the size of the list. The store keeps each key's number of entries and looks up the rarest keys
first, up to ``CANDIDATE_BUDGET`` entries, so the keys of a common name (SMITH with an initial J) are
skipped when rarer keys of the same query are there; when the candidates still number more than
``PREFILTER_ABOVE``, a fast token-set ratio (rapidfuzz, in C++) over the tokens' spelling keys keeps the
``PREFILTER_KEEP`` closest for the full comparison.

Score. Tokens are paired greedily, best similarity first, in any order: full tokens first, then initials
with the tokens they begin. A pair's similarity is the mean of its optimal string alignment and Jaro-Winkler
similarities, or the similarity of the two tokens' spelling keys (transliteration variants: DZHORDAN/JORDAN)
up to ``SPELLING_CAP``, raised by ``SOUND_ALIKE_BONUS`` when the tokens sound alike (this project's sound
skeleton or jellyfish's Metaphone agree, on at least three consonants); 1.0 for an initial that agrees and
for the truncated last token of a full-width MRZ field that is a prefix. The name score is the mean
similarity of the pairs (initials weigh ``INITIAL_WEIGHT``) less penalties: a full token on both sides left
unpaired is a conflict, an initial against a name with another first letter an initial conflict, a name
only one side has a missing name (more when only one token pairs at all). The birth date and nationality
then move the score: see ``BIRTH_ADJUSTMENT`` and ``NATIONALITY_ADJUSTMENT``. docs/lists.md has the numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from gatectl.lists.dates import birth_agreement
from gatectl.lists.names import NameForm, phonetic_key, spelling_key

ALGORITHM = "egate-name-1"
DEFAULT_THRESHOLD = 0.86  # tuned on the tuning part of the dev data; see docs/benchmarks.md
MIN_TOKEN_SIMILARITY = 0.7  # below this two tokens do not pair
SOUND_ALIKE_BONUS = 0.15
SOUND_ALIKE_CAP = 0.92
MIN_SKELETON = 3
SPELLING_CAP = 0.95  # tokens that differ only by transliteration spelling (DZHIM/JIM)
INITIAL_CONFLICT_PENALTY = 0.1  # an initial left on one side, a name with another first letter on the other
CONFLICT_PENALTY = 0.25
MISSING_PENALTY = 0.05
LONE_PAIR_MISSING_PENALTY = 0.15
INITIAL_WEIGHT = 0.2
INITIAL_LEFT_PENALTY = 0.01
BIRTH_ADJUSTMENT = {
    "exact": 0.05,
    "year": 0.03,
    "year_off_by_one": -0.05,
    "conflict": -0.15,
    "different": -0.35,
}
NATIONALITY_ADJUSTMENT = {"agrees": 0.02, "differs": -0.04}
CANDIDATE_BUDGET = 500  # entries a query may reach through its rarest keys
PREFILTER_ABOVE = 40
PREFILTER_KEEP = 30


# Particles of family names are left out of the blocking keys (they would join every "van der ..."), not
# out of the comparison.
NAME_PARTICLES = frozenset({
    "AL", "BEN", "BIN", "DA", "DAL", "DAS", "DE", "DEL", "DELA", "DELLA", "DEN", "DER", "DES", "DI", "DO", "DOS",
    "DU", "EL", "IBN", "LA", "LE", "LOS", "TEN", "TER", "VAN", "VON", "Y", "ZU",
})  # fmt: skip
SHORT_TOKEN = 6  # a single typo can change both the first and the last three letters of a token this short


def _hash_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


@lru_cache(maxsize=262144)
def _skeleton(token: str) -> str:
    return phonetic_key(token)


def blocking_keys(form: NameForm, query: bool = False) -> set[int]:
    """The hashed blocking keys of one name form. A query also asks for the single-token keys of each of
    its tokens, since the entry it should meet may have only one full token."""
    tokens = sorted(set(form.full_tokens))
    if len(set(tokens) - NAME_PARTICLES) >= 2:
        tokens = sorted(set(tokens) - NAME_PARTICLES)
    keys: set[str] = set()
    for a in tokens:
        skeleton = _skeleton(a)
        for b in set(form.tokens) - {a}:
            if len(b) <= SHORT_TOKEN or not query:
                keys.add(f"I{skeleton}|{b[0]}")
            if 1 < len(b) <= SHORT_TOKEN:
                keys.add(f"F{skeleton}|{''.join(sorted(b[:2]))}")
    if len(tokens) >= 2:
        for a in tokens:
            for b in tokens:
                if a == b:
                    continue
                if a < b:
                    keys.add("P" + "|".join(sorted((_skeleton(a), _skeleton(b)))))
                keys.add(f"A{_skeleton(a)}|{b[:3]}")
                keys.add(f"Z{_skeleton(a)}|{b[-3:]}")
    if len(tokens) == 1 or query:
        for t in tokens:
            keys.add("S" + _skeleton(t))
            keys.add("SA" + t[:4])
    if (len(tokens) == 1) == query:  # every token of an entry, for a query of one name (ZHUKOV<<)
        keys.update("T" + _skeleton(t) for t in tokens)
    return {_hash_key(k) for k in keys}


@lru_cache(maxsize=262144)
def _spelling(token: str) -> str:
    return spelling_key(token)


@lru_cache(maxsize=262144)
def _metaphone(token: str) -> str:
    return jellyfish.metaphone(token)


def _sound_alike(a: str, b: str) -> bool:
    """Same sound skeleton or Metaphone key, with enough consonants for that to mean something (HILL and
    HALL share the skeleton HL, which says little)."""
    skeleton = _skeleton(a)
    if len(skeleton) < MIN_SKELETON and len(_metaphone(a)) < MIN_SKELETON:
        return False
    return skeleton == _skeleton(b) or _metaphone(a) == _metaphone(b)


def token_similarity(a: str, b: str, prefix_ok: bool = False) -> float:
    """Similarity of two folded tokens in [0, 1]."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 1.0 if a[0] == b[0] else 0.0
    if prefix_ok and len(a) >= 2 and b.startswith(a):
        return 1.0
    sim = (OSA.normalized_similarity(a, b) + JaroWinkler.normalized_similarity(a, b)) / 2
    sim = max(sim, min(SPELLING_CAP, OSA.normalized_similarity(_spelling(a), _spelling(b))))
    if _sound_alike(a, b):
        sim = max(sim, min(SOUND_ALIKE_CAP, sim + SOUND_ALIKE_BONUS))
    return sim


@dataclass
class NameComparison:
    score: float
    paired: int = 0
    conflicts: int = 0
    missing: int = 0


def _pair(
    q: Sequence[str], e: Sequence[str], truncated: bool, initials: bool, used_q: set, used_e: set
) -> list[float]:
    """Greedy pairing, best similarity first, of the tokens not yet used; full tokens only, or (``initials``)
    pairs where one side is an initial. Returns the similarities of the pairs made."""
    last = len(q) - 1
    pairs = sorted(
        (
            (token_similarity(a, b, truncated and i == last), i, j)
            for i, a in enumerate(q)
            if i not in used_q
            for j, b in enumerate(e)
            if j not in used_e and (min(len(a), len(b)) == 1) == initials
        ),
        reverse=True,
    )
    sims = []
    for sim, i, j in pairs:
        if sim < MIN_TOKEN_SIMILARITY:
            break
        if i in used_q or j in used_e:
            continue
        used_q.add(i)
        used_e.add(j)
        sims.append(sim)
    return sims


def compare_names(query: NameForm, entry: NameForm) -> NameComparison:
    """Order-independent comparison of two name forms (see the module docstring). Full tokens pair first;
    a full token left on each side is a conflict that no initial can explain away."""
    q, e = query.tokens, entry.tokens
    used_q: set[int] = set()
    used_e: set[int] = set()
    full = _pair(q, e, query.truncated, False, used_q, used_e)
    if not full:
        return NameComparison(0.0)
    conflicts = min(_left(q, used_q, full=True), _left(e, used_e, full=True))
    initials = _pair(q, e, query.truncated, True, used_q, used_e)
    extra_q = max(0, _left(q, used_q, full=True) - conflicts)  # full names only the query has
    extra_e = max(0, _left(e, used_e, full=True) - conflicts)
    initials_q, initials_e = _left(q, used_q, full=False), _left(e, used_e, full=False)
    initial_conflicts = min(initials_q, extra_e) + min(initials_e, extra_q)
    missing = extra_q + extra_e - initial_conflicts
    initials_left = initials_q + initials_e - initial_conflicts
    base = (sum(full) + INITIAL_WEIGHT * sum(initials)) / (len(full) + INITIAL_WEIGHT * len(initials))
    missing_penalty = LONE_PAIR_MISSING_PENALTY if len(full) + len(initials) == 1 else MISSING_PENALTY
    score = (
        base
        - CONFLICT_PENALTY * conflicts
        - INITIAL_CONFLICT_PENALTY * initial_conflicts
        - missing_penalty * missing
        - INITIAL_LEFT_PENALTY * initials_left
    )
    return NameComparison(max(0.0, score), len(full), conflicts, missing)


def _left(tokens: Sequence[str], used: set[int], full: bool) -> int:
    """How many full tokens (or initials) are not paired."""
    return sum((len(t) > 1) == full for i, t in enumerate(tokens) if i not in used)


def best_name_comparison(queries: Sequence[NameForm], entries: Sequence[NameForm]) -> NameComparison:
    best = NameComparison(0.0)
    for q in queries:
        for e in entries:
            c = compare_names(q, e)
            if c.score > best.score:
                best = c
    return best


@dataclass
class MatchScore:
    score: float
    reasons: list[str] = field(default_factory=list)


def birth_feature(birth: str | None, entry_births: Iterable[str]) -> str | None:
    """The best agreement of the traveller's birth date with any of the entry's, None when either is unknown."""
    order = list(BIRTH_ADJUSTMENT)
    found = [birth_agreement(birth, b) for b in entry_births] if birth else []
    return min(found, key=order.index) if found else None


def score_entry(
    queries: Sequence[NameForm],
    birth: str | None,
    nationality: str | None,
    entry_forms: Sequence[NameForm],
    entry_births: Sequence[str],
    entry_nationalities: Sequence[str],
) -> MatchScore:
    """Score of one watchlist entry for one traveller, with the reasons an officer can read."""
    names = best_name_comparison(queries, entry_forms)
    score = names.score
    reasons = [
        f"name {names.score:.2f} ({names.paired} names agree, {names.conflicts} conflict, {names.missing} missing)"
    ]
    agreement = birth_feature(birth, entry_births)
    if agreement:
        score += BIRTH_ADJUSTMENT[agreement]
        reasons.append(f"birth date: {agreement.replace('_', ' ')}")
    if nationality and entry_nationalities:
        feature = "agrees" if nationality in entry_nationalities else "differs"
        score += NATIONALITY_ADJUSTMENT[feature]
        reasons.append(f"nationality {feature}")
    return MatchScore(round(min(1.0, max(0.0, score)), 4), reasons)


def spelling_text(forms: Iterable[NameForm]) -> str:
    """The spelling keys of every token of every form, for the prefilter (stored with each entry)."""
    return " ".join(_spelling(t) for f in forms for t in f.tokens)


def prefilter(queries: Sequence[NameForm], candidates: list[tuple], spellings_column: int) -> list[tuple]:
    """At most ``PREFILTER_KEEP`` candidates, the closest by rapidfuzz's token-set ratio over the spelling
    keys of all their name forms, when there are more than ``PREFILTER_ABOVE``; else the candidates as they are."""
    if len(candidates) <= PREFILTER_ABOVE or not queries:
        return candidates
    choices = [row[spellings_column] for row in candidates]
    best: dict[int, float] = {}
    for q in queries:
        for _, sim, index in process.extract(spelling_text([q]), choices, scorer=fuzz.token_set_ratio,
                                             limit=PREFILTER_KEEP):  # fmt: skip
            best[index] = max(best.get(index, 0.0), sim)
    keep = sorted(best, key=lambda i: -best[i])[:PREFILTER_KEEP]
    return [candidates[i] for i in keep]
