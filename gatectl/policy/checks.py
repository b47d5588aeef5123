"""The policy's checks, one function a concern, each returning the failures it finds as :class:`Reason`.

A required check that did not run is a failure (``<check>_not_run``, action ``on_failure.check_not_run``).
A check that is not required may be skipped, but a failure it reports still counts: a cloned chip or a
presentation attack found by a check the configuration did not demand is not ignored.
"""

from __future__ import annotations

import datetime as dt
import re

from gatectl.policy.model import Reason, TransactionFacts
from gatectl.policy.settings import PolicySettings, normalise_code

_PROBLEM_CODE = re.compile(r"[^a-z0-9_.:-]")
_ICAO_CODE = re.compile(r"[A-Z0-9]{1,3}")
# Each list check: the list version it needs (a key of ``list_versions``) and its name for the officer.
_LISTS = {"sltd": ("sltd", "stolen and lost travel documents"), "watchlist": ("watchlist", "watchlist")}


def failure(settings: PolicySettings, key: str, message: str, code: str | None = None) -> Reason:
    """A failure whose action comes from ``on_failure.<key>``."""
    return Reason(code or key, message, f"on_failure.{key}", settings.action_for(key))


def not_run(settings: PolicySettings, check: str, what: str) -> Reason:
    return failure(settings, "check_not_run", f"Required check not run: {what}.", f"{check}_not_run")


def age_on(birth: dt.date, today: dt.date) -> int:
    """Completed years; someone born on 29 February has a birthday on 1 March in other years."""
    years = today.year - birth.year
    return years - 1 if (today.month, today.day) < (birth.month, birth.day) else years


def _matches(code: str, allowed: list[str]) -> bool:
    """A one-letter entry covers every code that starts with it (``P`` covers ``PD``, ``PO``, ...)."""
    return any(code == a or (len(a) == 1 and code.startswith(a)) for a in allowed)


def _shown(code: str) -> str:
    """A code as the officer sees it: only what looks like an ICAO code is repeated from the document."""
    return code if _ICAO_CODE.fullmatch(code) else "unknown"


def eligibility(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    found = []
    doc = normalise_code(f.document_type) if f.document_type else ""
    if not doc or not _matches(doc, s.document_types) or _matches(doc, s.denied_document_types):
        found.append(failure(s, "document_type_not_eligible",
                             f"Document type {_shown(doc)} is not accepted at this gate."))
    issuer = normalise_code(f.issuer) if f.issuer else ""
    if not issuer or (s.issuers and issuer not in s.issuers) or issuer in s.denied_issuers:
        found.append(failure(s, "issuer_not_eligible",
                             f"Documents issued by {_shown(issuer)} are not accepted at this gate."))
    return found


def validity(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    if f.expiry is None:
        return [failure(s, "expiry_unknown", "The document's expiry date is unknown.")]
    if f.expiry < f.today:
        return [failure(s, "document_expired", "The document has expired.")]
    if (f.expiry - f.today).days < s.min_validity_days:
        return [failure(s, "validity_too_short",
                        f"The document is valid for fewer than the required {s.min_validity_days} days.")]
    return []


def age(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    if s.minimum_age == 0:
        return []
    if f.date_of_birth is None or f.date_of_birth > f.today:
        return [failure(s, "age_unknown", "The traveller's age cannot be established from the document.")]
    if age_on(f.date_of_birth, f.today) < s.minimum_age:
        return [failure(s, "minor", f"The traveller is under the minimum age of {s.minimum_age} for this gate.")]
    return []


def document(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    found = []
    required = s.required_checks
    if f.document_verified is None:
        if "passive_authentication" in required:
            found.append(not_run(s, "passive_authentication", "passive authentication"))
    elif not f.document_verified:
        found.append(failure(s, "document_not_verified", "Passive authentication failed: the document's data "
                             "could not be verified against its issuer's signature."))
    for problem in f.document_problems:
        code = _PROBLEM_CODE.sub("_", str(problem).lower())[:60]
        found.append(failure(s, "document_problem", f"The chip read reported a problem: {code}."))
    chip = f.chip_authenticity
    if chip == "verified":
        pass
    elif chip == "failed":
        found.append(failure(s, "chip_authenticity_failed",
                             "Chip authentication failed: the chip may be a clone."))
    elif chip == "not_supported":
        if "chip_authenticity" in required and not s.accept_chip_without_authenticity:
            found.append(failure(s, "chip_authenticity_not_supported",
                                 "The chip supports neither chip nor active authentication."))
    elif "chip_authenticity" in required:
        found.append(not_run(s, "chip_authenticity", "chip authenticity"))
    return found


def _number(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.3f}"


def _above(distance: float | None, threshold: float | None) -> bool:
    """A reported match whose own figures say otherwise (or are not numbers: NaN) is not a match."""
    return distance is not None and threshold is not None and not distance <= threshold


def biometrics(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    found = []
    if f.face_match is None:
        if "face" in s.required_checks:
            found.append(not_run(s, "face", "face verification"))
    elif not f.face_match or _above(f.face_distance, f.face_threshold):
        found.append(failure(s, "face_mismatch", "The live face does not match the chip photo (distance "
                             f"{_number(f.face_distance)}, threshold {_number(f.face_threshold)})."))
    if f.pad_attack is None:
        if "presentation_attack" in s.required_checks:
            found.append(not_run(s, "presentation_attack", "presentation-attack detection"))
    elif f.pad_attack:
        found.append(failure(s, "presentation_attack",
                             f"Possible presentation attack at the camera (score {_number(f.pad_score)})."))
    return found


def lists(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    found = []
    for check, result in (("sltd", f.sltd_hit), ("watchlist", f.watchlist_hits)):
        required = check in s.required_checks
        version_key, label = _LISTS[check]
        if required and f.list_versions.get(version_key) is None:
            found.append(failure(s, "list_unavailable", f"The {label} list is not loaded.", f"{check}_unavailable"))
        elif required and version_key in f.stale_lists:
            found.append(failure(s, "list_stale", f"The {label} list is out of date.", f"{check}_stale"))
        if result is None:
            if required:
                found.append(not_run(s, check, f"{label} screening"))
        elif check == "sltd" and result:
            found.append(failure(s, "sltd_hit", "The document is on the stolen and lost travel documents list."))
        elif check == "watchlist" and result > 0:
            found.append(failure(s, "watchlist_hit", f"Possible watchlist match ({int(result)} candidate(s))."))
    return found


ALL = (eligibility, validity, age, document, biometrics, lists)
