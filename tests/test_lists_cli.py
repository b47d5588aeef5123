"""`egate lists` command-line contract: JSON shapes and exit codes on small files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatectl.cli import main

WATCHLIST = (
    "id,full_name,first_name,middle_name,last_name,gender,date_of_birth,place_of_birth,nationality\n"
    "W1,Jörg Müller,,,,male,1961-05-14,,DEU\nW2,Георгий Жуков,,,,male,1896,,Russia\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except json.JSONDecodeError:
        return code, out, err


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "w.csv").write_text(WATCHLIST, encoding="utf-8")
    (tmp_path / "sltd.csv").write_text("issuer,document_type,number\nD,P,C01X00T47\n")
    db = str(tmp_path / "lists.sqlite")
    code, report, _ = run(
        capsys, "lists", "import", "--db", db, "--kind", "watchlist", str(tmp_path / "w.csv"), "--json"
    )
    assert code == 0 and report["rows"] == 2 and report["version"].startswith("watchlist@")
    assert run(capsys, "lists", "import", "--db", db, "--kind", "sltd", str(tmp_path / "sltd.csv"))[0] == 0
    return db


def test_check(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lists", "check", "--db", db, "--name", "MUELLER<<JOERG", "--birth", "610514",
                       "--nationality", "D", "--document", "C01X00T47", "--issuer", "D<<", "--json")  # fmt: skip
    assert code == 0 and out["sltd_hit"] is True and out["trusted"] is False
    assert out["watchlist_hits"][0]["entry_id"] == "W1" and out["watchlist_hits"][0]["score"] == 1.0
    assert set(out["versions"]) == {"sltd", "watchlist", "trusted"} and out["versions"]["trusted"] is None


def test_screen_one_result_per_row_in_order(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "q.csv"
    queries.write_text("full_name,date_of_birth,nationality\nAnna Schmidt,1980-01-01,DEU\nZHUKOV<<GEORGII,1896-12-01,RUS\n"
                       "\"MÜLLER, Jörg\",1961,\n", encoding="utf-8")  # fmt: skip
    code, out, _ = run(capsys, "lists", "screen", "--db", db, "--queries", str(queries), "--json")
    assert code == 0 and out["list_version"].startswith("watchlist@")
    assert [(r["row"], r["hit"]) for r in out["results"]] == [(1, False), (2, True), (3, True)]
    assert out["results"][0]["entry"] is None
    assert out["results"][1]["entry"] == {**out["results"][1]["entry"], "id": "W2", "full_name": "Георгий Жуков",
                                          "date_of_birth": "1896"}  # fmt: skip
    assert 0 < out["results"][1]["score"] <= 1


def test_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "p.csv"
    pairs.write_text(
        "name1,name2\nMUELLER<<JOERG,Jörg Müller\nZHUKOV,Жуков\nJohn Smith,James Smith\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "lists", "compare", "--pairs", str(pairs), "--json")
    assert code == 0 and [r["match"] for r in out["results"]] == [True, True, False]
    assert out["results"][0] == {
        "row": 1,
        "name1": "MUELLER<<JOERG",
        "name2": "Jörg Müller",
        "score": 1.0,
        "match": True,
    }
    strict = run(capsys, "lists", "compare", "--pairs", str(pairs), "--threshold", "0.7", "--json")[1]
    assert strict["threshold"] == 0.7 and strict["results"][2]["match"] is True


def test_bad_import_exits_2_naming_the_line_and_keeps_the_list(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(WATCHLIST + "W3,Anna Schmidt,,,,,1961-02-30,,DEU\n", encoding="utf-8")
    code, _, err = run(capsys, "lists", "import", "--db", db, "--kind", "watchlist", str(bad))
    assert code == 2 and "line 4: date_of_birth" in err and "nothing applied" in err
    assert "Anna" not in err and "Traceback" not in err
    assert run(capsys, "lists", "check", "--db", db, "--name", "Joerg Mueller", "--json")[1]["watchlist_hits"]


@pytest.mark.parametrize(
    "argv",
    [
        ["lists", "check", "--db", "{db}", "--json"],  # nothing to check
        ["lists", "check", "--db", "{db}", "--name", "X", "--birth", "1961-99-99"],
        ["lists", "check", "--db", "{tmp}/absent.sqlite", "--name", "X"],
        ["lists", "check", "--db", "{db}", "--name", "X", "--nationality", "Atlantis"],
        ["lists", "check", "--db", "{db}", "--document", "C01X00T47", "--issuer", "Atlantis"],
        ["lists", "check", "--db", "{db}", "--name", "<<<", "--json"],  # nothing to screen is not "no hit"
        ["lists", "check", "--db", "{db}", "--name", "X", "--birth", "\u0661\u0669\u0666\u0661"],  # Arabic-Indic
        ["lists", "screen", "--db", "{db}", "--queries", "{tmp}/absent.csv"],
        ["lists", "import", "--db", "{db}", "--kind", "trusted", "{tmp}/w.csv"],  # wrong columns
        ["lists", "compare", "--pairs", "{tmp}/w.csv"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *[a.format(db=db, tmp=tmp_path) for a in argv])
    assert code == 2 and err.startswith("egate lists:") and "Traceback" not in err
