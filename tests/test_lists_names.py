"""Name normalisation and matching: ICAO 9303 Part 3 transliteration, MRZ name fields, fuzzy comparison."""

from __future__ import annotations

import pytest

from gatectl.lists import DEFAULT_THRESHOLD
from gatectl.lists.matching import best_name_comparison, blocking_keys, score_entry
from gatectl.lists.names import fold, mrz_name_form, name_forms
from passport.mrz import format_name


def score(a: str, b: str) -> float:
    return best_name_comparison(name_forms(a), name_forms(b)).score


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("MUELLER<<JOERG", "Jörg Müller"),
        ("MUELLER<<JOERG", "Joerg Mueller"),
        ("MUELLER<<JOERG", "Jorg Muller"),  # the umlaut written as its plain letter
        ("MÜLLER, Jörg", "Joerg Mueller"),
        ("ZHUKOV", "Жуков"),
        ("ZHUKOV<<GEORGII<KONSTANTINOVICH", "Жуков Георгий Константинович"),
        ("Χρήστος Παπαδόπουλος", "PAPADOPOULOS<<CHRISTOS"),
        ("STRAUSS<<JOHANN", "Johann Strauß"),
        ("OROURKE<<BETO", "Beto O'Rourke"),
    ],
)
def test_transliterated_and_mrz_names_meet(query: str, listed: str) -> None:
    assert score(query, listed) >= DEFAULT_THRESHOLD
    assert blocking_keys(name_forms(query)[0], query=True) & set().union(
        *(blocking_keys(f) for f in name_forms(listed))
    )


def test_icao_forms() -> None:
    assert name_forms("Jörg Müller")[0].tokens == ("JORG", "MULLER")  # ICAO JOERG MUELLER, folded
    assert name_forms("Жуков")[0].tokens == ("ZHUKOV",)
    assert name_forms("Юлия Щербакова")[0].tokens == ("IULIIA", "SHCHERBAKOVA")  # Part 3 §6.B, not Yuliya
    assert fold("MUELLER") == "MULLER"
    assert name_forms("Donald M. Payne, Jr.")[0].tokens == ("DONALD", "M", "PAYNE")
    assert [f.tokens for f in name_forms("Randy (Duke) Cunningham")] == [
        ("RANDY", "CUNNINGHAM"),
        ("DUKE", "CUNNINGHAM"),
    ]
    assert name_forms("   ") == [] and name_forms("<<<") == []


def test_mrz_field_with_fillers_and_truncation() -> None:
    listed = "Jaime Lynn Alexandrinavna Herrera-Beutler"
    field = format_name("Herrera-Beutler", "Jaime Lynn Alexandrinavna", 39)  # Part 3 §4.6.5 truncation
    assert len(field) == 39 and field.endswith("ALEXANDRINA")
    form = mrz_name_form(field)
    assert form.truncated and form.tokens[-1] == "ALEXANDRINA"
    assert score(field, listed) >= 0.97
    assert not mrz_name_form("MUELLER<<JOERG<<<<<<<<<<<<<<<<<<<<<<<<<").truncated


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Christopher Michael Harrington", "Harrington, Christopher"),  # order, missing middle name
        ("Jason Altmire", "Jason Altmrie"),  # typo
        ("Jennifer L. McClellan", "Дженнифер Макклеллан"),  # Cyrillic transcription of an English name
        ("H. Morgan Griffith", "H. Griffith"),
        ("J. K. Smith", "John Smith"),  # an extra initial is no conflict
    ],
)
def test_real_list_differences_still_match(a: str, b: str) -> None:
    assert score(a, b) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [("John Smith", "James Smith"), ("Daniel Smith", "Daniel S. Goldman"), ("Anna Berg", "Jonas Lind")],
)
def test_different_people_do_not_match(a: str, b: str) -> None:
    assert score(a, b) < DEFAULT_THRESHOLD


def test_birth_date_and_nationality_move_the_score() -> None:
    q, e = name_forms("Joerg Mueller"), name_forms("Jörg Müller")
    exact = score_entry(q, "1961-05-14", "DEU", e, ["1961-05-14"], ["DEU"])
    year_only = score_entry(q, "1961-05-14", None, e, ["1961"], [])
    off_by_one = score_entry(q, "1962-05-14", None, e, ["1961"], [])
    other = score_entry(q, "1990-01-01", "FRA", e, ["1961-05-14"], ["DEU"])
    assert (
        exact.score == 1.0 and "birth date: exact" in exact.reasons and "nationality agrees" in exact.reasons
    )
    assert year_only.score >= DEFAULT_THRESHOLD and "birth date: year" in year_only.reasons
    assert DEFAULT_THRESHOLD <= off_by_one.score < year_only.score
    assert other.score < DEFAULT_THRESHOLD and "nationality differs" in other.reasons
