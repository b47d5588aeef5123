"""List store: validated all-or-nothing imports with versions, SLTD and trusted-traveller look-ups, FtM."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatectl.lists import ListImportError, ListStore
from gatectl.lists.names import name_forms

HEADER = "full_name,first_name,middle_name,last_name,gender,date_of_birth,place_of_birth,nationality\n"
GOOD = HEADER + "Jörg Müller,Jörg,,Müller,male,1961-05-14,Köln,Germany\nЖуков Георгий,,,,,1896,,RU\n"
TODAY = datetime.date(2026, 12, 1)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    s = ListStore(tmp_path / "lists.sqlite")
    s.import_file("watchlist", write(tmp_path, "good.csv", GOOD))
    return s


def screen(store: ListStore, name: str, **kw: object) -> object:
    args = {
        "birth": None,
        "nationality": None,
        "document_number": None,
        "issuer": None,
        "document_type": None,
    }
    args.update(kw)
    return store.screen_traveller(name, today=TODAY, **args)  # type: ignore[arg-type]


def test_watchlist_import_and_screening(store: ListStore) -> None:
    hits = screen(store, "MUELLER<<JOERG", birth="1961-05-14", nationality="D<<").watchlist_hits
    assert [h.full_name for h in hits] == ["Jörg Müller"] and hits[0].score == 1.0
    assert "birth date: exact" in hits[0].reasons and "nationality agrees" in hits[0].reasons
    assert screen(store, "ZHUKOV<<GEORGII", birth="1896-12-01").watchlist_hits[0].date_of_birth == "1896"
    assert screen(store, "SCHMIDT<<ANNA").watchlist_hits == []
    # an MRZ with the primary identifier only meets the longer listed name when the birth year agrees
    assert [h.full_name for h in screen(store, "ZHUKOV<<", birth="1896-12-01").watchlist_hits] == [
        "Жуков Георгий"
    ]
    assert screen(store, "ZHUKOV<<").watchlist_hits == []
    assert (
        screen(store, "MUELLER<<JOERG", birth="61-05-1x").watchlist_hits[0].score == 1.0
    )  # unreadable: unknown
    assert (
        "birth date: exact"
        in screen(store, "MUELLER<<JOERG", birth=datetime.date(1961, 5, 14)).watchlist_hits[0].reasons
    )


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (GOOD + "Anna Schmidt,,,,,1961-13-01,,Germany\n", 4, "date_of_birth"),
        (GOOD + "Anna Schmidt,,,,,1961,,Atlantis\n", 4, "nationality: unknown country"),
        (GOOD.replace("full_name,", "fullname,").replace(",last_name", ",surname"), 1, "missing column"),
        (GOOD + "Anna Schmidt,,,,,1961\n", 4, "columns expected"),
        (GOOD + ",,,,,1961,,Germany\n", 4, "full_name: empty"),
        (GOOD + "Anna Schmidt,,,,,61-01-01,,Germany\n", 4, "date_of_birth"),
        ("id," + GOOD.replace("\n", "\n1,", 1).replace("\nЖуков", "\n\n1,Жуков"), 4, "id: duplicate"),
        ("", 1, "empty"),
        (HEADER, 1, "no entries"),
        (GOOD.encode() + "Ana Sch\xf6n,,,,,1961,,Germany\n".encode("latin-1"), 4, "not UTF-8"),
    ],
)
def test_bad_file_is_rejected_whole_naming_the_line(
    store: ListStore, tmp_path: Path, content: str | bytes, line: int, problem: str
) -> None:
    before = store.versions()
    with pytest.raises(ListImportError) as err:
        store.import_file("watchlist", write(tmp_path, "bad.csv", content))
    assert any(n == line and problem in p for n, p in err.value.problems), err.value.problems
    for personal in ("Anna", "Schmidt", "1961-13-01", "Atlantis", "Sch"):
        assert personal not in str(err.value)
    assert store.versions() == before  # nothing applied: the old list is still the one in force
    assert screen(store, "MUELLER<<JOERG").watchlist_hits


def test_every_import_is_a_version(store: ListStore, tmp_path: Path) -> None:
    first = store.versions()["watchlist"]
    assert first and first.startswith("watchlist@") and store.versions()["sltd"] is None
    report = store.import_file(
        "watchlist", write(tmp_path, "v2.csv", HEADER + "Anna Schmidt,,,,,1970,,DEU\n")
    )
    assert report.rows == 1 and report.version != first and store.versions()["watchlist"] == report.version
    history = store.history()
    assert [h["current"] for h in history] == [0, 1] and len(history[1]["sha256"]) == 64
    assert screen(store, "MUELLER<<JOERG").watchlist_hits == []  # replaced, not appended
    again = store.import_file(
        "watchlist", tmp_path / "v2.csv"
    )  # same file, same second: still its own version
    assert again.version != report.version and len(store.history()) == 3
    report = again
    other = store.import_file("watchlist", write(tmp_path, "eu.csv", GOOD), name="eu")
    result = screen(store, "Joerg Mueller")
    assert result.versions["watchlist"] == f"{other.version};{report.version}"
    assert [h.list_name for h in result.watchlist_hits] == ["eu"]


def test_sltd_exact_match(store: ListStore, tmp_path: Path) -> None:
    store.import_file(
        "sltd", write(tmp_path, "sltd.csv", "issuer,document_type,number\nD,P,C01X00T47\nNLD,ID,SPECI2014\n")
    )
    assert screen(store, "", document_number="c01x 00t47", issuer="D<<", document_type="P").sltd_hit
    assert screen(store, "", document_number="C01X00T47", issuer="DEU").sltd_hit  # any type
    assert not screen(store, "", document_number="C01X00T47", issuer="AUT", document_type="P").sltd_hit
    assert not screen(store, "", document_number="C01X00T48", issuer="DEU", document_type="P").sltd_hit
    assert not screen(store, "", document_number="C01X00T47", issuer="DEU", document_type="I").sltd_hit
    assert screen(store, "", document_number="SPECI2014", issuer="Netherlands", document_type="I").sltd_hit
    assert screen(store, "", document_number="X", issuer="DEU").versions["sltd"].startswith("sltd@")
    # Not screened is not clean: the policy sees sltd_not_run, not a pass.
    assert screen(store, "Joerg Mueller").sltd_hit is None
    assert screen(store, "", document_number="C01X00T47", issuer="Atlantis").sltd_hit is None


def test_sltd_bad_row(store: ListStore, tmp_path: Path) -> None:
    with pytest.raises(ListImportError) as err:
        store.import_file(
            "sltd", write(tmp_path, "s.csv", "issuer,document_type,number\nD,P,C01X00T47\nD,P,12/34\n")
        )
    assert err.value.problems == [(3, "document number: expected 1-20 letters or digits")]
    assert store.versions()["sltd"] is None
    with pytest.raises(ListImportError) as err:
        store.import_file("sltd", write(tmp_path, "s.csv", SLTD_HEADER + ";,P,C01X00T47\nD;NLD,P,C01X00T48\n"))
    assert err.value.problems == [(2, "issuer: empty"), (3, "issuer: expected one country")]

    with pytest.raises(ListImportError) as err:  # int() reads them, but they would never equal "1961"
        store.import_file("watchlist", write(tmp_path, "w.csv", HEADER + "Anna Adler,,,,,\u0661\u0669\u0666\u0661,,\n"))
    assert err.value.problems == [(2, "date_of_birth: expected YYYY, YYYY-MM or YYYY-MM-DD")]


def test_trusted_traveller_expiry(store: ListStore, tmp_path: Path) -> None:
    store.import_file("trusted", write(tmp_path, "t.csv", "issuer,document_number,enrolment_expiry\n"
                                       "NLD,SPECI2014,2026-12-01\nDEU,C01X00T47,2026-11-30\n"))  # fmt: skip
    assert screen(store, "", document_number="SPECI2014", issuer="NLD").trusted  # last valid day
    assert not screen(store, "", document_number="C01X00T47", issuer="DEU").trusted  # enrolment expired
    assert not screen(store, "", document_number="SPECI2014", issuer="DEU").trusted  # other issuer
    with pytest.raises(ListImportError) as err:
        store.import_file(
            "trusted", write(tmp_path, "t2.csv", "issuer,document_number,enrolment_expiry\nNLD,A1,2026\n")
        )
    assert err.value.problems[0][0] == 2


FTM = [
    {"id": "NK-1", "schema": "Person", "properties": {
        "name": ["Георгий Жуков"], "alias": ["Georgy Zhukov"], "birthDate": ["1896-12-01"],
        "nationality": ["ru"], "country": ["suhh"]}},
    {"id": "NK-2", "schema": "Company", "properties": {"name": ["Acme Trading"]}},
    {"id": "NK-3", "schema": "Person", "properties": {"firstName": ["Jörg"], "lastName": ["Müller"],
                                                       "birthDate": ["1961"]}},
]  # fmt: skip


def test_followthemoney_import(store: ListStore, tmp_path: Path) -> None:
    text = "\n".join(json.dumps(e, ensure_ascii=False) for e in FTM) + "\n"
    report = store.import_file("watchlist", write(tmp_path, "entities.ftm.json", text), name="opensanctions")
    assert (report.rows, report.skipped) == (2, 1)
    hits = screen(store, "ZHUKOV<<GEORGII", birth="1896-12-01", nationality="RUS").watchlist_hits
    hit = [h for h in hits if h.list_name == "opensanctions"]
    assert [(h.entry_id, h.date_of_birth) for h in hit] == [("NK-1", "1896-12-01")]
    assert "nationality agrees" in hit[0].reasons  # "suhh" (Soviet Union) left out, "ru" kept
    assert any(h.entry_id == "NK-3" for h in screen(store, "MULLER<<JORG").watchlist_hits)


def test_followthemoney_bad_lines(store: ListStore, tmp_path: Path) -> None:
    lines = [json.dumps(FTM[0]), "{not json", json.dumps({"id": "x", "schema": "Person", "properties": {}}),
             json.dumps({"id": "y", "schema": "Person", "properties": {"name": ["A B"], "birthDate": ["1961-02-30"]}})]  # fmt: skip
    with pytest.raises(ListImportError) as err:
        store.import_file("watchlist", write(tmp_path, "bad.jsonl", "\n".join(lines)), name="opensanctions")
    assert [n for n, _ in err.value.problems] == [2, 3, 4]
    assert "opensanctions" not in (store.versions()["watchlist"] or "")


def test_unknown_kind_and_missing_file(store: ListStore, tmp_path: Path) -> None:
    with pytest.raises(ListImportError):
        store.import_file("interpol", tmp_path / "x.csv")
    with pytest.raises(ListImportError) as err:
        store.import_file("sltd", tmp_path / "absent.csv")
    assert "cannot read" in str(err.value)


SLTD_HEADER = "issuer,document_type,number\n"
TRUSTED_HEADER = "issuer,document_number,enrolment_expiry\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    kind=st.sampled_from(["watchlist", "sltd", "trusted"]),
)
def test_any_file_is_imported_or_rejected_cleanly(
    store: ListStore, tmp_path: Path, data: bytes, kind: str
) -> None:
    before = store.versions()
    header = {"watchlist": HEADER, "sltd": SLTD_HEADER, "trusted": TRUSTED_HEADER}[kind]
    try:
        store.import_file(kind, write(tmp_path, "fuzz.csv", header.encode() + data))
    except ListImportError as exc:
        assert exc.problems and store.versions() == before


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_name_normalises(text: str) -> None:
    for form in name_forms(text):
        assert all(t.isascii() and t.isalpha() and t.isupper() for t in form.tokens)


def test_store_from_an_earlier_version_is_reindexed_on_open(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE watchlist (id INTEGER PRIMARY KEY, list_name TEXT NOT NULL, entry_id TEXT NOT NULL, "
        "full_name TEXT NOT NULL, forms TEXT NOT NULL, birth_dates TEXT NOT NULL, nationalities TEXT NOT NULL, "
        "gender TEXT NOT NULL);"
        "INSERT INTO watchlist VALUES (1, 'watchlist', 'W1', 'Jörg Müller', 'JORG MULLER', '1961', 'DEU', '');"
    )
    db.commit()
    db.close()
    store = ListStore(path)
    hits = screen(store, "MUELLER<<JOERG", birth="1961-05-14").watchlist_hits
    assert [h.entry_id for h in hits] == ["W1"]
    store.import_file("watchlist", write(tmp_path, "new.csv", GOOD))  # the added column sits last: by name
    assert screen(store, "ZHUKOV<<GEORGII", birth="1896").watchlist_hits[0].date_of_birth == "1896"


def test_a_list_older_than_its_maximum_age_is_stale(store: ListStore) -> None:
    now = datetime.datetime.now(datetime.UTC)
    assert store.stale_kinds(24, now) == []
    assert store.stale_kinds(24, now + datetime.timedelta(hours=25)) == ["watchlist"]
