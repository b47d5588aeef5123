"""MRZ parsing, formatting and key material against the ICAO Doc 9303 specimens and Part 11 Appendix D.2."""

from __future__ import annotations

import contextlib
import hashlib
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from passport.errors import MRZError, PassportError
from passport.mrz import (
    check_digit,
    format_mrv_a,
    format_mrv_b,
    format_name,
    format_td1,
    format_td2,
    format_td3,
    mrz_date_to_date,
    mrz_information,
    mrz_key_seed,
    mrz_pace_password,
    parse_mrz,
    transliterate,
)

# Doc 9303 Part 4 (TD3), Part 5 (TD1), Part 6 (TD2) and Part 7 (MRV-A, MRV-B) specimens.
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
MRV_A = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
MRV_B = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")
# Part 5 §4.2.4 example of a TD1 document number longer than nine characters (D23145890734, check digit 9).
TD1_LONG = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


def test_check_digit_values() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"
    assert check_digit("D23145890734") == "9"
    assert check_digit("<<<<<<<<<") == "0"
    with pytest.raises(MRZError):
        check_digit("abc")


def test_part11_appendix_d2_key_seed() -> None:
    assert mrz_information("L898902C<", "690806", "940623") == "L898902C<369080619406236"
    assert mrz_information("L898902C", date(1969, 8, 6), date(1994, 6, 23)) == "L898902C<369080619406236"
    assert mrz_key_seed("L898902C", "690806", "940623").hex().upper() == "239AB9CB282DAF66231DC5A4DF6BFBAE"
    # PACE uses the whole SHA-1 of the same string; K_seed is its first 16 bytes.
    password = mrz_pace_password("L898902C", "690806", "940623")
    assert password == hashlib.sha1(b"L898902C<369080619406236").digest()
    assert password[:16] == mrz_key_seed("L898902C", "690806", "940623")


def test_long_document_number_key_material_uses_full_number() -> None:
    assert mrz_information("D23145890734", "740812", "120415") == "D23145890734" + "9" + "7408122" + "1204159"
    assert parse_mrz(TD1_LONG).mrz_information() == "D2314589073497408122" + "1204159"


def test_td3_specimen() -> None:
    mrz = parse_mrz(TD3)
    assert mrz.layout == "TD3"
    assert mrz.document_code == "P<" and mrz.document_type == "P"
    assert mrz.issuing_state == "UTO" and mrz.nationality == "UTO"
    assert mrz.document_number == "L898902C3"
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (mrz.birth_date, mrz.sex, mrz.expiry_date) == ("740812", "F", "120415")
    assert mrz.optional_data == "ZE184226B<<<<<"
    assert mrz.valid and [c.name for c in mrz.checks] == [
        "document_number",
        "birth_date",
        "expiry_date",
        "optional_data",
        "composite",
    ]
    assert mrz.birth(date(2026, 1, 1)) == date(1974, 8, 12)
    assert mrz.expiry(date(2026, 1, 1)) == date(2012, 4, 15)
    assert not mrz.name_possibly_truncated
    assert mrz.lines == TD3


def test_td1_specimen() -> None:
    mrz = parse_mrz("\n".join(TD1) + "\n")
    assert mrz.layout == "TD1" and mrz.document_type == "I"
    assert mrz.document_number == "D23145890"
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (mrz.birth_date, mrz.sex, mrz.expiry_date, mrz.nationality) == ("740812", "F", "120415", "UTO")
    assert mrz.optional_data == "<" * 15 and mrz.optional_data2 == "<" * 11
    assert mrz.valid and [c.name for c in mrz.checks][-1] == "composite"


def test_td1_long_document_number() -> None:
    mrz = parse_mrz(TD1_LONG)
    assert mrz.document_number == "D23145890734"
    number_check = mrz.checks[0]
    assert (number_check.line, number_check.position, number_check.found) == (1, 19, "9")
    assert mrz.optional_data == "<" * 10


def test_td2_specimen_and_long_number() -> None:
    mrz = parse_mrz(TD2)
    assert mrz.layout == "TD2" and mrz.document_number == "D23145890" and mrz.valid
    lines = format_td2(
        issuing_state="UTO",
        surname="Eriksson",
        given_names="Anna Maria",
        document_number="D23145890734",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="120415",
    )
    assert lines[1][:10] == "D23145890<" and lines[1][28:33] == "7349<"
    assert parse_mrz(lines).document_number == "D23145890734"


def test_visa_specimens() -> None:
    a, b = parse_mrz(MRV_A), parse_mrz(MRV_B)
    assert (a.layout, b.layout) == ("MRV-A", "MRV-B")
    assert a.document_number == b.document_number == "L8988901C"
    assert a.nationality == "XXX" and a.birth(date(2026, 1, 1)) == date(1940, 9, 7)
    assert a.optional_data == "6ZE184226B<<<<<<"
    assert a.valid and len(a.checks) == 3  # visas carry no composite check digit


def test_format_reproduces_specimens() -> None:
    common = dict(
        issuing_state="UTO",
        surname="Eriksson",
        given_names="Anna María",
        nationality="UTO",
        birth_date=date(1974, 8, 12),
        sex="F",
        expiry_date="120415",
    )
    assert format_td3(document_number="L898902C3", optional_data="ZE184226B", **common) == TD3
    assert format_td1(document_number="D23145890", **common) == TD1
    assert format_td1(document_number="D23145890734", **common) == TD1_LONG
    assert format_td2(document_number="D23145890", **common) == TD2
    visa = dict(
        common, nationality="XXX", birth_date="400907", expiry_date="961210", document_number="L8988901C"
    )
    assert format_mrv_a(optional_data="6ZE184226B", **visa) == MRV_A
    assert format_mrv_b(**visa) == MRV_B


def test_td3_empty_personal_number_check_digit_may_be_filler_or_zero() -> None:
    line2 = TD3[1][:28] + "<" * 14 + "<"
    for cd in ("<", "0"):
        body = line2[:42] + cd
        composite = check_digit(body[0:10] + body[13:20] + body[21:43])
        assert parse_mrz([TD3[0], body + composite]).valid


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            (TD3[0], TD3[1][:9] + "7" + TD3[1][10:]),
            "document number check digit (line 2, position 10) does not match its field",
        ),
        (
            (TD3[0], TD3[1][:19] + "3" + TD3[1][20:]),
            "birth date check digit (line 2, position 20) does not match its field",
        ),
        (
            (TD3[0], TD3[1][:27] + "0" + TD3[1][28:]),
            "expiry date check digit (line 2, position 28) does not match its field",
        ),
        ((TD3[0], TD3[1][:43] + "1"), "composite check digit (line 2, position 44) does not match its field"),
        ((TD1[0], TD1[1][:29] + "5", TD1[2]), "composite check digit (line 2, position 30)"),
    ],
)
def test_failed_check_digit_is_named(lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(MRZError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_mrz(lines)
    lenient = parse_mrz(lines, strict=False)
    assert not lenient.valid and lenient.failed_checks


def test_ocr_confusion_is_caught() -> None:
    noisy = (TD3[0], TD3[1].replace("L898902C3", "L8989O2C3"))
    with pytest.raises(MRZError, match="document number check digit"):
        parse_mrz(noisy)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        (TD3[0], "1 line"),
        ((TD3[0], TD3[1][:-1]), "length 44/43"),
        ((TD3[0], TD3[1], TD3[1]), "3 line"),
        ((TD3[0].replace("ANNA", "AnNA"), TD3[1]), "line 1, position 17: a character outside"),
        ((TD3[0], TD3[1].replace("ZE18", "ZE 8")), "line 2, position 31"),
        (b"\xff\xfe", "non-ASCII"),
        (42, "must be text"),
        ([1, 2], "must be strings"),
    ],
)
def test_structural_errors(value: object, message: str) -> None:
    with pytest.raises(MRZError, match=message):
        parse_mrz(value)  # type: ignore[arg-type]


def test_mrz_error_is_a_passport_error_and_value_error() -> None:
    assert issubclass(MRZError, PassportError) and issubclass(MRZError, ValueError)


def test_strict_field_checks() -> None:
    bad_sex = format_td3(
        issuing_state="UTO",
        surname="A",
        given_names="B",
        document_number="X1",
        nationality="UTO",
        birth_date="740812",
        sex="M",
        expiry_date="300101",
    )
    line2 = bad_sex[1][:20] + "Q" + bad_sex[1][21:]
    with pytest.raises(MRZError, match="sex is not"):
        parse_mrz([bad_sex[0], line2])
    assert parse_mrz([bad_sex[0], line2], strict=False).sex == "Q"
    impossible = format_td3(
        issuing_state="UTO",
        surname="A",
        given_names="B",
        document_number="X1",
        nationality="UTO",
        birth_date="741332",
        sex="M",
        expiry_date="300101",
    )
    with pytest.raises(MRZError, match="birth date is not a valid date"):
        parse_mrz(impossible)


def test_lenient_mode_accepts_lower_case_and_single_line() -> None:
    assert parse_mrz("\n".join(TD3).lower(), strict=False).document_number == "L898902C3"
    assert parse_mrz("".join(TD1)).layout == "TD1"


def test_century_inference() -> None:
    today = date(2026, 11, 29)
    assert mrz_date_to_date("261129", "birth", today) == date(2026, 11, 29)
    assert mrz_date_to_date("261130", "birth", today) == date(1926, 11, 30)
    assert mrz_date_to_date("000229", "birth", today) == date(2000, 2, 29)
    assert mrz_date_to_date("740812", "birth", today) == date(1974, 8, 12)
    assert mrz_date_to_date("750101", "expiry", today) == date(2075, 1, 1)
    assert mrz_date_to_date("770101", "expiry", today) == date(1977, 1, 1)
    assert mrz_date_to_date("120415", "expiry", today) == date(2012, 4, 15)
    assert mrz_date_to_date("74<<<<", "birth", today) is None
    with pytest.raises(MRZError):
        mrz_date_to_date("741301", "expiry", today)


def test_transliteration() -> None:
    assert transliterate("Müller") == "MUELLER"
    assert transliterate("Ärger Öl Über Straße") == "AERGER<OEL<UEBER<STRASSE"
    assert transliterate("Ångström Søren") == "AANGSTROEM<SOEREN"
    assert transliterate("José Hernández-García") == "JOSE<HERNANDEZ<GARCIA"
    assert transliterate("François Čapek Łukasz") == "FRANCOIS<CAPEK<LUKASZ"
    assert transliterate("O'Brien") == "OBRIEN"
    with pytest.raises(MRZError, match="no MRZ transliteration"):
        transliterate("Иван")


def test_name_truncation() -> None:
    assert format_name("Eriksson", "Anna Maria", 39) == "ERIKSSON<<ANNA<MARIA" + "<" * 19
    cut = format_name("Nilavadhanananda", "Chayapa Dejthamrong Krasuang", 39)
    assert len(cut) == 39 and cut.startswith("NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K") and cut[-1] != "<"
    # Later given names keep their initials when the field is too short for them in full.
    assert (
        format_name("Smith", "Alexander Bartholomew Christopher Donovan", 30)
        == "SMITH<<ALEXANDER<BARTHOLOM<C<D"
    )
    assert (
        format_name("Smith", "Alexanderalexander Bartholomew Christopher", 24) == "SMITH<<ALEXANDERALEX<B<C"
    )
    # A primary identifier that fills the field alone keeps one initial of the secondary identifier.
    assert format_name("A" * 50, "Bob", 30) == "A" * 27 + "<<B"
    assert format_name("A" * 50, "", 30) == "A" * 30
    lines = format_td1(
        issuing_state="UTO",
        surname="Nilavadhanananda",
        given_names="Chayapa Dejthamrong Krasuang",
        document_number="X1",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="300101",
    )
    assert parse_mrz(lines).name_possibly_truncated


def test_format_rejects_bad_fields() -> None:
    fields = dict(
        issuing_state="UTO",
        surname="A",
        given_names="B",
        nationality="UTO",
        birth_date="740812",
        sex="F",
        expiry_date="300101",
    )
    with pytest.raises(MRZError, match="longer than 9"):
        format_td3(document_number="ABCDEFGHIJ", **fields)
    with pytest.raises(MRZError, match="do not fit"):
        format_td2(document_number="ABCDEFGHIJKLMNOP", **fields)
    with pytest.raises(MRZError, match="sex"):
        format_td3(document_number="A1", **dict(fields, sex="Z"))
    with pytest.raises(MRZError, match="YYMMDD"):
        format_td3(document_number="A1", **dict(fields, birth_date="1974-08-12"))


# --- properties -------------------------------------------------------------------------------------

_word = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=9)
_names = st.lists(_word, min_size=0, max_size=3).map(" ".join)
_surnames = st.lists(_word, min_size=1, max_size=2).map(" ".join)
_dates = st.dates(min_value=date(1930, 1, 1), max_value=date(2025, 12, 31))
_expiries = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
_alnum = string.ascii_uppercase + string.digits
_number9 = st.text(alphabet=_alnum, min_size=1, max_size=9)


@st.composite
def _fields(draw: st.DrawFn, number: st.SearchStrategy[str]) -> dict[str, object]:
    return dict(
        document_code=draw(st.sampled_from(["P", "PD", "I", "ID", "AC", "C"])),
        issuing_state=draw(st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=3)),
        surname=draw(_surnames),
        given_names=draw(_names),
        document_number=draw(number),
        nationality=draw(st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)),
        birth_date=draw(_dates),
        sex=draw(st.sampled_from("MFX<")),
        expiry_date=draw(_expiries),
    )


def _assert_round_trip(mrz, fields: dict[str, object], width: int) -> None:  # type: ignore[no-untyped-def]
    assert mrz.valid
    assert mrz.document_number == fields["document_number"]
    assert mrz.issuing_state.rstrip("<") == fields["issuing_state"]
    assert mrz.nationality == fields["nationality"]
    assert mrz.birth(date(2026, 1, 1)) == fields["birth_date"]
    assert mrz.expiry(date(2026, 1, 1)) == fields["expiry_date"]
    assert mrz.sex == fields["sex"]
    full = str(fields["surname"]) + ("  " + str(fields["given_names"]) if fields["given_names"] else "")
    if len(full) <= width:
        assert (mrz.surname, mrz.given_names) == (fields["surname"], fields["given_names"])


@settings(max_examples=150, deadline=None)
@given(_fields(_number9), st.text(alphabet=_alnum, max_size=14))
def test_td3_round_trip(fields: dict[str, object], optional: str) -> None:
    mrz = parse_mrz(format_td3(optional_data=optional, **fields))  # type: ignore[arg-type]
    _assert_round_trip(mrz, fields, 39)
    assert mrz.optional_data.rstrip("<") == optional


@settings(max_examples=150, deadline=None)
@given(_fields(st.text(alphabet=_alnum, min_size=1, max_size=23)), st.text(alphabet=_alnum, max_size=15))
def test_td1_round_trip(fields: dict[str, object], optional: str) -> None:
    number = str(fields["document_number"])
    assume(
        len(number) <= 9 and len(optional) <= 15 or len(number) - 9 + 2 + len(optional) <= 15 or not optional
    )
    mrz = parse_mrz(format_td1(optional_data=optional, optional_data2="X7", **fields))  # type: ignore[arg-type]
    _assert_round_trip(mrz, fields, 30)
    assert mrz.optional_data.rstrip("<") == optional and mrz.optional_data2 == "X7" + "<" * 9
    assert mrz.key_seed() == mrz_key_seed(str(fields["document_number"]), mrz.birth_date, mrz.expiry_date)


@settings(max_examples=150, deadline=None)
@given(_fields(st.text(alphabet=_alnum, min_size=1, max_size=15)))
def test_td2_round_trip(fields: dict[str, object]) -> None:
    mrz = parse_mrz(format_td2(**fields))  # type: ignore[arg-type]
    _assert_round_trip(mrz, fields, 31)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(st.text(), max_size=4), st.binary()), st.booleans())
def test_arbitrary_input_raises_only_mrz_error(value: object, strict: bool) -> None:
    with contextlib.suppress(MRZError):
        parse_mrz(value, strict=strict)  # type: ignore[arg-type]


_mrz_chars = st.sampled_from(sorted(set(_alnum + "<")))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([TD1, TD2, TD3, MRV_A, MRV_B, TD1_LONG]),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 43), _mrz_chars), max_size=6),
    st.booleans(),
)
def test_mutated_mrz_raises_only_mrz_error(
    lines: tuple[str, ...], edits: list[tuple[int, int, str]], strict: bool
) -> None:
    mutable = [list(line) for line in lines]
    for row, col, ch in edits:
        line = mutable[row % len(mutable)]
        line[col % len(line)] = ch
    try:
        mrz = parse_mrz(["".join(line) for line in mutable], strict=strict)
    except MRZError:
        return
    for accessor in (mrz.mrz_information, mrz.birth, mrz.expiry):
        with contextlib.suppress(MRZError):
            accessor()


# --- no personal data in errors ---------------------------------------------------------------------------


def _values_in_message(message: str, lines: list[str]) -> list[str]:
    """The document number, dates, names and nationality of ``lines`` (as far as readable) that ``message``
    quotes; names and codes of fewer than four characters are too short to tell from ordinary words."""
    mrz = parse_mrz(lines, strict=False)
    values = [mrz.document_number, mrz.birth_date, mrz.expiry_date, mrz.nationality]
    values += (mrz.surname + " " + mrz.given_names).split()
    values += ["".join(lines)] + [line[i : i + 6] for line in lines for i in range(0, len(line) - 5, 6)]
    return [v for v in values if len(v) >= 4 and v.strip("<") and v in message]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([TD1, TD2, TD3, MRV_A, MRV_B, TD1_LONG]),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 43), st.sampled_from(sorted(_alnum + "<a é"))),
             min_size=1, max_size=4),
)  # fmt: skip
def test_mrz_errors_name_the_field_never_its_value(lines: tuple[str, ...], edits: list) -> None:  # type: ignore[type-arg]
    mutable = [list(line) for line in lines]
    for row, col, ch in edits:
        line = mutable[row % len(mutable)]
        line[col % len(line)] = ch
    text = ["".join(line) for line in mutable]
    try:
        parse_mrz(text)
    except MRZError as exc:
        readable = [line.upper().replace(" ", "<").replace("É", "E") for line in text]
        assert not _values_in_message(str(exc), readable), str(exc)


def test_impossible_date_and_codes_are_named_without_their_values() -> None:
    fields = dict(issuing_state="UTO", surname="ERIKSSON", given_names="ANNA", document_number="L898902C3",
                  nationality="N7L", birth_date="741332", sex="F", expiry_date="300101")  # fmt: skip
    for field, value, message in [
        ("birth_date", "741332", "birth date is not a valid date"),
        ("nationality", "N7L", "nationality is not a three-letter code"),
    ]:
        good = dict(fields, nationality="UTO", birth_date="740812")
        lines = format_td3(**dict(good, **{field: value}))  # type: ignore[arg-type]
        with pytest.raises(MRZError, match=message) as info:
            parse_mrz(lines)
        assert value not in str(info.value) and "L898902C3" not in str(info.value)
    with pytest.raises(MRZError) as info:
        format_td3(**dict(fields, document_number="L898902C3XYZ"))  # type: ignore[arg-type]
    assert "L898902C3" not in str(info.value)
