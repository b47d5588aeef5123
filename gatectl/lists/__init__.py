"""Stolen and lost travel documents, watchlists and trusted travellers in one SQLite store (docs/lists.md).

Modules: ``store`` (schema, imports as versions, screening), ``importers`` and ``ftm`` (file formats),
``names`` (ICAO 9303 Part 3 transliteration, MRZ name fields), ``matching`` (blocking keys and scoring),
``countries`` and ``dates`` (codes and partial dates), ``evaluation`` (the benchmark's data).
"""

from gatectl.lists.matching import ALGORITHM, DEFAULT_THRESHOLD
from gatectl.lists.records import (
    LIST_KINDS,
    ImportReport,
    ListImportError,
    Screening,
    WatchlistHit,
    WatchlistRecord,
)
from gatectl.lists.store import ListStore

__all__ = [
    "ALGORITHM",
    "DEFAULT_THRESHOLD",
    "LIST_KINDS",
    "ImportReport",
    "ListImportError",
    "ListStore",
    "Screening",
    "WatchlistHit",
    "WatchlistRecord",
]
