"""Birth dates as lists give them: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (partial dates are common)."""

from __future__ import annotations

import datetime
import re

from passport.mrz import MRZError, mrz_date_to_date

# ASCII digits only: "١٩٦١" would pass int() but never compare equal to "1961" (a watchlist match lost).
_PARTIAL = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def parse_partial_date(text: str) -> str:
    """The date in canonical form; ValueError when it is not a real YYYY, YYYY-MM or YYYY-MM-DD date."""
    m = _PARTIAL.fullmatch(text.strip())
    if not m:
        raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    if not 1800 <= int(year) <= 2200:
        raise ValueError("year out of range")
    if month and not 1 <= int(month) <= 12:
        raise ValueError("month out of range")
    if day:
        datetime.date(int(year), int(month), int(day))  # raises ValueError for 2001-02-30
    return m.group(0)


def parse_birth(text: str, today: datetime.date | None = None) -> str:
    """A traveller's birth date: a partial date as above, or the MRZ form YYMMDD (century inferred)."""
    text = text.strip()
    if re.fullmatch(r"[0-9]{6}", text):
        try:
            found = mrz_date_to_date(text, "birth", today)
        except MRZError as exc:
            raise ValueError("not a valid YYMMDD date") from exc
        if found is None:
            raise ValueError("not a valid YYMMDD date")
        return found.isoformat()
    return parse_partial_date(text)


def birth_agreement(query: str, entry: str) -> str:
    """How two (possibly partial) birth dates agree: ``exact`` (every part both give is equal), ``year``
    (same year, one side less precise), ``year_off_by_one``, ``conflict`` (same year, month or day differs),
    or ``different``."""
    qy, ey = int(query[:4]), int(entry[:4])
    if qy != ey:
        return "year_off_by_one" if abs(qy - ey) == 1 else "different"
    common = min(len(query), len(entry))
    if query[:common] != entry[:common]:
        return "conflict"
    return "exact" if len(query) == len(entry) else "year" if common == 4 else "exact"
