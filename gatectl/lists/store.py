"""The list store: one SQLite file with the stolen-and-lost documents (SLTD), the watchlists and the
trusted travellers, each import a version.

An import replaces the list of that kind and name in one transaction: the file is read and validated first,
so a bad file changes nothing, and a failure while writing rolls everything back. Every import is kept in
``list_versions`` (name, time, SHA-256 of the file, rows); the version string ``NAME@YYYYMMDDTHHMMSSZ-SHA12``
is what each screening reports.
"""

from __future__ import annotations

import datetime
import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from gatectl.lists.countries import UnknownCountry, country_code
from gatectl.lists.dates import parse_birth
from gatectl.lists.ftm import read_ftm_jsonl
from gatectl.lists.importers import (
    document_type_code,
    normalise_document_number,
    read_sltd_csv,
    read_trusted_csv,
    read_watchlist_csv,
)
from gatectl.lists.matching import (
    ALGORITHM,
    CANDIDATE_BUDGET,
    DEFAULT_THRESHOLD,
    blocking_keys,
    prefilter,
    score_entry,
    spelling_text,
)
from gatectl.lists.names import NameForm, name_forms
from gatectl.lists.records import (
    LIST_KINDS,
    DocumentRecord,
    ImportReport,
    ListImportError,
    Screening,
    WatchlistHit,
    WatchlistRecord,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS list_versions (
    kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL PRIMARY KEY, sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL, rows INTEGER NOT NULL, file_name TEXT NOT NULL, current INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS watchlist (
    id INTEGER PRIMARY KEY, list_name TEXT NOT NULL, entry_id TEXT NOT NULL, full_name TEXT NOT NULL,
    forms TEXT NOT NULL, spellings TEXT NOT NULL, birth_dates TEXT NOT NULL, nationalities TEXT NOT NULL,
    gender TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS watchlist_by_list ON watchlist (list_name);
CREATE TABLE IF NOT EXISTS watchlist_keys (key INTEGER NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (key, entry)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watchlist_key_counts (key INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL, list_name TEXT NOT NULL, issuer TEXT NOT NULL, number TEXT NOT NULL,
    document_type TEXT NOT NULL, expiry TEXT);
CREATE INDEX IF NOT EXISTS documents_by_number ON documents (number, issuer, kind);
"""
INSERT_CHUNK = 20000
# Version of the blocking keys and columns; a store written with another is re-indexed on open.
INDEX_VERSION = 2


def file_version(name: str, data: bytes, now: datetime.datetime) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    return f"{name}@{now.strftime('%Y%m%dT%H%M%SZ')}-{sha[:12]}", sha


def _encode_forms(forms: Iterable[NameForm]) -> str:
    return "|".join(" ".join(f.tokens) for f in forms)


def _decode_forms(text: str) -> list[NameForm]:
    return [NameForm(tuple(part.split())) for part in text.split("|") if part]


def _known_country(text: str | None) -> bool:
    try:
        return bool(text) and bool(country_code(text))
    except UnknownCountry:
        return False


class ListStore:
    """Lists in one SQLite file (created if absent). Use from one thread at a time."""

    def __init__(self, path: str | Path, threshold: float = DEFAULT_THRESHOLD):
        self.path = Path(path)
        self.threshold = threshold
        # One thread at a time, but not necessarily the one that opened it (the controller hands it over).
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.executescript(SCHEMA)
        if self.db.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:
            self._reindex()

    def close(self) -> None:
        self.db.close()

    # --- imports --------------------------------------------------------------------------------------

    def import_file(self, kind: str, path: str | Path, name: str | None = None) -> ImportReport:
        """Validate ``path`` and replace list ``name`` (default: the kind) with it, all or nothing."""
        if kind not in LIST_KINDS:
            raise ListImportError([(0, f"unknown list kind (expected one of {', '.join(LIST_KINDS)})")])
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ListImportError([(0, f"cannot read the file ({exc.strerror})")]) from None
        name = name or kind
        skipped = 0
        if kind == "watchlist":
            if path.suffix.lower() in (".json", ".jsonl", ".ftm") or data.lstrip()[:1] == b"{":
                records, skipped = read_ftm_jsonl(data)
            else:
                records = read_watchlist_csv(data)
        else:
            records = read_sltd_csv(data) if kind == "sltd" else read_trusted_csv(data)
        return self.apply(kind, name, records, data, path.name, skipped)

    def apply(
        self, kind: str, name: str, records: Sequence, data: bytes, file_name: str, skipped: int = 0
    ) -> ImportReport:
        """Replace list ``name`` of ``kind`` with validated ``records`` in one transaction."""
        version, sha = file_version(name, data, datetime.datetime.now(datetime.UTC))
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if kind == "watchlist":
                self._replace_watchlist(name, records)
            else:
                self._replace_documents(kind, name, records)
            taken = db.execute("SELECT COUNT(*) FROM list_versions WHERE version GLOB ?", (version + "*",))
            version += f"-{taken.fetchone()[0] + 1}" if self._version_taken(version) else ""
            db.execute("UPDATE list_versions SET current = 0 WHERE kind = ? AND name = ?", (kind, name))
            db.execute(
                "INSERT INTO list_versions VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    kind,
                    name,
                    version,
                    sha,
                    datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    len(records),
                    file_name,
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return ImportReport(kind, name, version, len(records), skipped)

    def _replace_watchlist(self, name: str, records: Sequence[WatchlistRecord]) -> None:
        db = self.db
        db.execute(
            "DELETE FROM watchlist_keys WHERE entry IN (SELECT id FROM watchlist WHERE list_name = ?)",
            (name,),
        )
        db.execute("DELETE FROM watchlist WHERE list_name = ?", (name,))
        next_id = (db.execute("SELECT MAX(id) FROM watchlist").fetchone()[0] or 0) + 1
        for start in range(0, len(records), INSERT_CHUNK):
            rows, keys = [], []
            for offset, r in enumerate(records[start : start + INSERT_CHUNK]):
                rowid = next_id + start + offset
                forms = [f for text in (r.full_name, *r.aliases) for f in name_forms(text)]
                rows.append(
                    (
                        rowid,
                        name,
                        r.entry_id,
                        r.full_name,
                        _encode_forms(forms),
                        spelling_text(forms),
                        " ".join(r.birth_dates),
                        " ".join(r.nationalities),
                        r.gender,
                    )
                )
                keys.extend((k, rowid) for k in set().union(*(blocking_keys(f) for f in forms)))
            db.executemany(
                "INSERT INTO watchlist (id, list_name, entry_id, full_name, forms, spellings, birth_dates, nationalities, "
                "gender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            keys.sort()
            db.executemany("INSERT OR IGNORE INTO watchlist_keys VALUES (?, ?)", keys)
        self._count_keys()

    def _version_taken(self, version: str) -> bool:
        """The same file imported under the same name twice within a second."""
        return (
            self.db.execute("SELECT 1 FROM list_versions WHERE version = ?", (version,)).fetchone()
            is not None
        )

    def _replace_documents(self, kind: str, name: str, records: Sequence[DocumentRecord]) -> None:
        self.db.execute("DELETE FROM documents WHERE kind = ? AND list_name = ?", (kind, name))
        self.db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
            [(kind, name, r.issuer, r.number, r.document_type, r.expiry) for r in records],
        )

    def _reindex(self) -> None:
        """Bring a store written by an earlier egate up to this index (columns, blocking keys, key counts),
        from the name forms it stored; the lists and their versions stay as they are."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in db.execute("PRAGMA table_info(watchlist)")}
            if "spellings" not in columns:
                db.execute("ALTER TABLE watchlist ADD COLUMN spellings TEXT NOT NULL DEFAULT ''")
            db.execute("DELETE FROM watchlist_keys")
            for rowid, forms_text in db.execute("SELECT id, forms FROM watchlist").fetchall():
                forms = _decode_forms(forms_text)
                db.execute("UPDATE watchlist SET spellings = ? WHERE id = ?", (spelling_text(forms), rowid))
                db.executemany(
                    "INSERT OR IGNORE INTO watchlist_keys VALUES (?, ?)",
                    [(k, rowid) for k in set().union(set(), *(blocking_keys(f) for f in forms))],
                )
            self._count_keys()
            db.execute(f"PRAGMA user_version = {INDEX_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _count_keys(self) -> None:
        self.db.execute("DELETE FROM watchlist_key_counts")
        self.db.execute(
            "INSERT INTO watchlist_key_counts SELECT key, COUNT(*) FROM watchlist_keys GROUP BY key"
        )

    # --- versions -------------------------------------------------------------------------------------

    def versions(self) -> dict[str, str | None]:
        """Each kind's current version; lists of one kind with several names are joined with ';'."""
        found: dict[str, list[str]] = {k: [] for k in LIST_KINDS}
        for kind, version in self.db.execute(
            "SELECT kind, version FROM list_versions WHERE current = 1 ORDER BY kind, name"
        ):
            found[kind].append(version)
        return {k: ";".join(v) if v else None for k, v in found.items()}

    def stale_kinds(self, max_age_h: float, now: datetime.datetime | None = None) -> list[str]:
        """The kinds whose list in force was imported more than ``max_age_h`` hours ago."""
        now = now or datetime.datetime.now(datetime.UTC)
        stale = set()
        for row in self.history():
            if row["current"] and now - datetime.datetime.fromisoformat(row["imported_at"]) > \
                    datetime.timedelta(hours=max_age_h):
                stale.add(row["kind"])
        return sorted(stale)

    def history(self) -> list[dict]:
        cur = self.db.execute(
            "SELECT kind, name, version, sha256, imported_at, rows, file_name, current FROM list_versions "
            "ORDER BY rowid"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur]

    # --- screening ------------------------------------------------------------------------------------

    def watchlist_candidates(self, forms: Sequence[NameForm]) -> list[tuple]:
        """Entries sharing a blocking key with the query, the rarest keys first (see matching.py)."""
        keys = sorted(set().union(*(blocking_keys(f, query=True) for f in forms))) if forms else []
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        counts = self.db.execute(f"SELECT key, n FROM watchlist_key_counts WHERE key IN ({marks})", keys)
        chosen, total = [], 0
        for key, n in sorted(counts, key=lambda kn: kn[1]):
            if chosen and total + n > CANDIDATE_BUDGET:
                break
            chosen.append(key)
            total += n
        if not chosen:
            return []
        marks = ",".join("?" * len(chosen))
        return self.db.execute(
            "SELECT list_name, entry_id, full_name, forms, birth_dates, nationalities, spellings FROM watchlist "
            f"WHERE id IN (SELECT entry FROM watchlist_keys WHERE key IN ({marks}) LIMIT {CANDIDATE_BUDGET})",
            chosen,
        ).fetchall()

    def score_watchlist(
        self, name: str, birth: str | None = None, nationality: str | None = None
    ) -> list[WatchlistHit]:
        """Every candidate entry scored, best first (hits are those at or above the threshold)."""
        forms = name_forms(name)
        scored = []
        candidates = prefilter(forms, self.watchlist_candidates(forms), spellings_column=6)
        for list_name, entry_id, full_name, forms_text, births, nats, _ in candidates:
            births_list = births.split()
            match = score_entry(
                forms, birth, nationality, _decode_forms(forms_text), births_list, nats.split()
            )
            scored.append(WatchlistHit(entry_id, full_name, births_list[0] if births_list else None,
                                       match.score, match.reasons, list_name))  # fmt: skip
        scored.sort(key=lambda h: (-h.score, h.entry_id))
        return scored

    def watchlist_hits(
        self, name: str, birth: str | None = None, nationality: str | None = None
    ) -> list[WatchlistHit]:
        return [h for h in self.score_watchlist(name, birth, nationality) if h.score >= self.threshold]

    def document_listed(
        self, kind: str, number: str, issuer: str | None, document_type: str | None
    ) -> list[str | None]:
        """Expiry dates (None for SLTD) of the matching documents of ``kind``; exact number and issuer."""
        number = normalise_document_number(number)
        try:
            issuer_code = country_code(issuer) if issuer else None
        except UnknownCountry:
            return []
        rows = self.db.execute(
            "SELECT issuer, document_type, expiry FROM documents WHERE number = ? AND kind = ?",
            (number, kind),
        ).fetchall()
        doc_type = document_type_code(document_type) if document_type else None
        return [
            expiry for iss, typ, expiry in rows
            if iss == issuer_code and (doc_type is None or not typ or typ == doc_type)
        ]  # fmt: skip

    def screen_traveller(
        self,
        name: str,
        birth: str | None,
        nationality: str | None,
        document_number: str | None,
        issuer: str | None,
        document_type: str | None,
        today: datetime.date,
    ) -> Screening:
        """Screen one traveller against every list (see docs/lists.md). A birth date or nationality that
        cannot be read counts as unknown: it neither helps nor hurts a watchlist match."""
        try:
            nationality = country_code(nationality) if nationality else None
        except UnknownCountry:
            nationality = None
        if isinstance(birth, datetime.date):
            birth = birth.isoformat()
        try:
            birth = parse_birth(birth, today) if birth else None
        except ValueError:
            birth = None
        screening = Screening(versions=self.versions())
        screening.watchlist_hits = self.watchlist_hits(name, birth, nationality) if name else []
        if document_number:
            if _known_country(issuer):
                screening.sltd_hit = bool(self.document_listed("sltd", document_number, issuer, document_type))
            expiries = self.document_listed("trusted", document_number, issuer, document_type)
            screening.trusted = any(e is not None and e >= today.isoformat() for e in expiries)
        return screening

    @property
    def algorithm(self) -> str:
        return ALGORITHM
