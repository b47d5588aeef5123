"""What list imports and screenings return, and the one error an import raises."""

from __future__ import annotations

from dataclasses import dataclass, field

LIST_KINDS = ("sltd", "watchlist", "trusted")
MAX_REPORTED_PROBLEMS = 50


class ListImportError(Exception):
    """An import file was rejected and nothing of it applied. ``problems`` holds (line number, problem) pairs;
    a problem names the column and what is wrong with it, never the value (it may be personal data)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(self.problems)
        lines = [f"line {line}: {problem}" for line, problem in self.problems]
        if more > 0:
            lines.append(f"... and {more} more problems")
        super().__init__("; ".join(lines))


@dataclass(frozen=True)
class WatchlistRecord:
    """One person on a watchlist, validated: the names as written, birth dates as partial ISO dates,
    nationalities as alpha-3 codes."""

    entry_id: str
    full_name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    gender: str = ""


@dataclass(frozen=True)
class DocumentRecord:
    """A document on the stolen-and-lost list (``expiry`` None) or enrolled as a trusted traveller's."""

    issuer: str
    number: str
    document_type: str = ""
    expiry: str | None = None


@dataclass(frozen=True)
class ImportReport:
    kind: str
    name: str
    version: str
    rows: int
    skipped: int = 0  # FollowTheMoney entities that are not persons


@dataclass(frozen=True)
class WatchlistHit:
    entry_id: str
    full_name: str
    date_of_birth: str | None
    score: float
    reasons: list[str] = field(default_factory=list)
    list_name: str = ""


@dataclass
class Screening:
    """The result of screening one traveller against every list. ``versions`` maps each kind to the
    version(s) used, None when that kind was never imported. ``sltd_hit`` is None when the document could
    not be screened (no document number, or an issuer egate does not know): not screened is not clean."""

    sltd_hit: bool | None = None
    watchlist_hits: list[WatchlistHit] = field(default_factory=list)
    trusted: bool = False
    versions: dict[str, str | None] = field(default_factory=dict)
