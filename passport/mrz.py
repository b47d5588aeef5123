"""Machine readable zone (ICAO Doc 9303 Parts 3-7 and 11): check digits, parsing, formatting, BAC/PACE key seed.

Layouts: TD1 (3 lines of 30, ID cards, Part 5), TD2 (2 x 36, Part 6), TD3 (2 x 44, passports, Part 4),
MRV-A (2 x 44) and MRV-B (2 x 36) visas (Part 7). TD1 and TD2 document numbers longer than nine characters
continue in the optional data: the check-digit position holds '<' and the remaining characters, followed by
the number's check digit, open the optional data field (Part 5 §4.2.4, Part 6 §4.2.4).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from passport.errors import MRZError

__all__ = [
    "MRZ",
    "CheckDigit",
    "MRZError",
    "check_digit",
    "format_mrv_a",
    "format_mrv_b",
    "format_name",
    "format_td1",
    "format_td2",
    "format_td3",
    "mrz_date_to_date",
    "mrz_information",
    "mrz_key_seed",
    "mrz_pace_password",
    "parse_mrz",
    "transliterate",
]

FILLER = "<"
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_WEIGHTS = (7, 3, 1)
_SEXES = frozenset("MFX<")

# (line count, line length) -> layout when the first character is not 'V', and when it is.
_LAYOUTS: dict[tuple[int, int], tuple[str, str | None]] = {
    (3, 30): ("TD1", None),
    (2, 36): ("TD2", "MRV-B"),
    (2, 44): ("TD3", "MRV-A"),
}


def _char_value(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    if ch == FILLER:
        return 0
    raise MRZError("a character outside A-Z, 0-9 and '<' is not allowed in an MRZ")


def check_digit(data: str) -> str:
    """The Doc 9303 Part 3 §4.9 check digit of ``data``: weights 7-3-1, '<' = 0, A-Z = 10..35, sum mod 10."""
    total = sum(_char_value(ch) * _WEIGHTS[i % 3] for i, ch in enumerate(data))
    return str(total % 10)


# --- transliteration and names (Part 3 §4.6 and §6) -------------------------------------------------

# Part 3 §6.A, recommended transliterations of multinational Latin-based characters that do not reduce to
# their base letter by simply dropping the diacritic. Anything else is decomposed (NFKD) and stripped.
_TRANSLITERATIONS = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ĳ": "IJ", "Ö": "OE", "Ø": "OE", "Œ": "OE", "Ü": "UE",
    "ß": "SS", "ẞ": "SS", "Þ": "TH", "Ð": "D", "Đ": "D", "Ħ": "H", "Ł": "L", "Ŀ": "L", "ı": "I",
    "ĸ": "K", "Ŋ": "N", "Ŧ": "T",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Upper-case MRZ form of a name or text: diacritics transliterated (Ä→AE, ß→SS, É→E, ...), spaces and
    hyphens become '<', apostrophes and other punctuation are dropped. Characters that have no Latin
    equivalent raise MRZError: they need a national transliteration the caller must apply."""
    out: list[str] = []
    for ch in text:
        up = ch.upper() if ch != "ß" else ch
        if up in _TRANSLITERATIONS:
            out.append(_TRANSLITERATIONS[up])
            continue
        for base in unicodedata.normalize("NFKD", up):
            if unicodedata.combining(base):
                continue
            base = base.upper()
            if base in _TRANSLITERATIONS:
                out.append(_TRANSLITERATIONS[base])
            elif base in _ALLOWED:
                out.append(base)
            elif base.isspace() or base in "-‐‑‒–—,":
                out.append(FILLER)
            elif unicodedata.category(base).startswith(("P", "S")):
                continue  # apostrophes, full stops and other punctuation are omitted
            else:
                raise MRZError(
                    f"a character of category {unicodedata.category(ch)} has no MRZ transliteration"
                )
    return "".join(out)


def _name_parts(name: str) -> list[str]:
    return [part for part in transliterate(name).split(FILLER) if part]


def format_name(surname: str, given_names: str, width: int) -> str:
    """The name field: primary identifier, '<<', secondary identifier, filled with '<' to ``width``.

    Names too long for the field are truncated following Part 3 §4.6.5: the secondary identifier is cut
    first, character by character from its end, but every name component keeps at least its initial when
    there is room; only if the primary identifier alone does not fit is it cut as well. A truncated field
    ends with a letter (no trailing '<'), which is how a reader recognises possible truncation.
    """
    primary = FILLER.join(_name_parts(surname))
    secondary_parts = _name_parts(given_names)
    secondary = FILLER.join(secondary_parts)
    full = primary + (FILLER * 2 + secondary if secondary else "")
    if len(full) <= width:
        return full.ljust(width, FILLER)
    if not secondary or len(primary) + 3 > width:
        # The primary identifier alone fills the field; keep an initial of the secondary if it fits.
        if secondary and len(primary) + 3 > width:
            cut = primary[: width - 3].rstrip(FILLER)
            return (cut + FILLER * 2 + secondary[0]).ljust(width, FILLER)
        return primary[:width].rstrip(FILLER).ljust(width, FILLER)
    room = width - len(primary) - 2
    # Keep whole components while they fit with at least the initials of the rest; cut the first that does not.
    kept: list[str] = []
    for i, part in enumerate(secondary_parts):
        rest_initials = [p[0] for p in secondary_parts[i + 1 :]]
        candidate = FILLER.join([*kept, part, *rest_initials])
        if len(candidate) <= room:
            kept.append(part)
            continue
        minimal = FILLER.join([*kept, part[0], *rest_initials])
        if len(minimal) <= room:
            extra = room - len(minimal)
            kept.append(part[: 1 + extra])
            kept.extend(rest_initials)
        else:
            # Not even the initials fit: keep as many initials as fit.
            for initial in [part[0], *rest_initials]:
                if len(FILLER.join([*kept, initial])) <= room:
                    kept.append(initial)
                else:
                    break
        break
    secondary_cut = FILLER.join(kept)[:room].rstrip(FILLER)
    return (primary + FILLER * 2 + secondary_cut).ljust(width, FILLER)


def _parse_name(field: str) -> tuple[str, str]:
    primary, sep, secondary = field.partition(FILLER * 2)
    surname = " ".join(part for part in primary.split(FILLER) if part)
    given = " ".join(part for part in secondary.split(FILLER) if part) if sep else ""
    return surname, given


# --- dates ------------------------------------------------------------------------------------------


def mrz_date_to_date(yymmdd: str, kind: str, today: date | None = None) -> date | None:
    """Calendar date of an MRZ date, inferring the century.

    ``kind`` is "birth" (the latest century that does not put the date after ``today``) or "expiry" (the
    century placing the year within 50 years of ``today``). Returns None when the date is partly unknown
    (Part 3 allows '<' for unknown parts of a birth date); raises MRZError for an impossible date.
    """
    if kind not in ("birth", "expiry"):
        raise ValueError(f"kind must be 'birth' or 'expiry', not {kind!r}")
    if len(yymmdd) != 6:
        raise MRZError(f"MRZ {kind} date is not 6 characters")
    if FILLER in yymmdd:
        if not re.fullmatch(r"[0-9<]{6}", yymmdd):
            raise MRZError(f"MRZ {kind} date is not YYMMDD")
        return None
    if not yymmdd.isascii() or not yymmdd.isdigit():
        raise MRZError(f"MRZ {kind} date is not YYMMDD")
    today = today or date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = today.year // 100 * 100 + yy
    if kind == "expiry":
        if year - today.year >= 50:
            year -= 100
        elif today.year - year > 50:
            year += 100
        candidates = [year]
    else:
        candidates = [year, year - 100, year - 200]
    for candidate in candidates:
        try:
            value = date(candidate, mm, dd)
        except ValueError:
            continue
        if kind == "expiry" or value <= today:
            return value
    raise MRZError(f"MRZ {kind} date is not a valid date")


def _date_text(value: str | date, label: str) -> str:
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    if not isinstance(value, str) or not re.fullmatch(r"[0-9<]{6}", value):
        raise MRZError(f"{label} is not YYMMDD")
    return value


# --- the parsed MRZ ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckDigit:
    """One check digit of an MRZ: what it covers, where it is, what it holds and what it should hold."""

    name: str  # "document_number", "birth_date", "expiry_date", "optional_data" or "composite"
    line: int  # 1-based
    position: int  # 1-based
    found: str
    expected: str
    valid: bool

    def describe(self) -> str:
        return (
            f"{self.name.replace('_', ' ')} check digit (line {self.line}, position {self.position}) "
            "does not match its field"
        )


@dataclass(frozen=True)
class MRZ:
    """A parsed machine readable zone. Dates are the raw YYMMDD strings; see :meth:`birth` / :meth:`expiry`."""

    layout: str  # "TD1", "TD2", "TD3", "MRV-A", "MRV-B"
    document_code: str  # the two characters as printed, e.g. "P<", "ID", "V<"
    issuing_state: str  # three letters, fillers kept (e.g. "D<<")
    document_number: str  # without padding fillers, including any continuation from the optional data
    surname: str  # primary identifier, components separated by spaces
    given_names: str  # secondary identifier, components separated by spaces
    nationality: str
    birth_date: str  # YYMMDD; may contain '<' for unknown parts
    sex: str  # "M", "F", "X" or "<"
    expiry_date: str  # YYMMDD
    optional_data: str  # TD2/TD3/MRV optional data, TD1 line 1 optional data; document-number part excluded
    optional_data2: str  # TD1 line 2 optional data; "" for other layouts
    name_field: str  # the raw name field, for truncation checks
    lines: tuple[str, ...]
    checks: tuple[CheckDigit, ...]

    @property
    def document_type(self) -> str:
        """The document code without fillers, e.g. "P", "I", "ID", "V"."""
        return self.document_code.replace(FILLER, "")

    @property
    def valid(self) -> bool:
        """Whether every check digit verifies."""
        return all(check.valid for check in self.checks)

    @property
    def failed_checks(self) -> tuple[CheckDigit, ...]:
        return tuple(check for check in self.checks if not check.valid)

    @property
    def name_possibly_truncated(self) -> bool:
        """A name field ending in a letter instead of '<' may have been truncated (Part 3 §4.6.5)."""
        return not self.name_field.endswith(FILLER)

    def birth(self, today: date | None = None) -> date | None:
        """Date of birth with the century inferred (never in the future); None if partly unknown."""
        return mrz_date_to_date(self.birth_date, "birth", today)

    def expiry(self, today: date | None = None) -> date | None:
        """Date of expiry with the century inferred (within 50 years of today)."""
        return mrz_date_to_date(self.expiry_date, "expiry", today)

    def mrz_information(self) -> str:
        """The BAC / PACE-MRZ key material string (Part 11 §9.7.2)."""
        return mrz_information(self.document_number, self.birth_date, self.expiry_date)

    def pace_password(self) -> bytes:
        """The PACE password for an MRZ-derived key (Part 11 §4.4.3.3)."""
        return mrz_pace_password(self.document_number, self.birth_date, self.expiry_date)

    def key_seed(self) -> bytes:
        """K_seed for BAC (Part 11 §9.7.2)."""
        return mrz_key_seed(self.document_number, self.birth_date, self.expiry_date)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _normalise_input(text_or_lines: str | bytes | Sequence[str], strict: bool) -> list[str]:
    if isinstance(text_or_lines, (bytes, bytearray)):
        try:
            text_or_lines = bytes(text_or_lines).decode("ascii")
        except UnicodeDecodeError as exc:
            raise MRZError(f"MRZ contains a non-ASCII byte at offset {exc.start}") from None
    if isinstance(text_or_lines, str):
        raw = text_or_lines.splitlines()
    elif isinstance(text_or_lines, Sequence):
        raw = []
        for item in text_or_lines:
            if not isinstance(item, str):
                raise MRZError(f"MRZ lines must be strings, got {type(item).__name__}")
            raw.extend(item.splitlines() or [""])
    else:
        raise MRZError(f"MRZ must be text or a sequence of lines, got {type(text_or_lines).__name__}")
    lines = [line.strip() for line in raw]
    lines = [line for line in lines if line]
    if not strict:
        lines = [line.upper().replace(" ", "") for line in lines]
    if len(lines) == 1 and len(lines[0]) in (90, 72, 88):
        single = lines[0]
        width = 30 if len(single) == 90 else len(single) // 2
        lines = [single[i : i + width] for i in range(0, len(single), width)]
    return lines


def _layout_of(lines: list[str]) -> str:
    lengths = [len(line) for line in lines]
    if not lines:
        raise MRZError("MRZ is empty")
    key = (len(lines), lengths[0])
    if key not in _LAYOUTS or any(n != lengths[0] for n in lengths):
        raise MRZError(
            f"MRZ has {len(lines)} line(s) of length {'/'.join(map(str, lengths))}; expected 3 x 30 (TD1), "
            "2 x 36 (TD2, MRV-B) or 2 x 44 (TD3, MRV-A)"
        )
    plain, visa = _LAYOUTS[key]
    return visa if visa is not None and lines[0][0] == "V" else plain


def _check_charset(lines: list[str]) -> None:
    for n, line in enumerate(lines, 1):
        for pos, ch in enumerate(line, 1):
            if ch not in _ALLOWED:
                raise MRZError(
                    f"line {n}, position {pos}: a character outside A-Z, 0-9, '<' is not allowed in an MRZ"
                )


class _Checker:
    def __init__(self) -> None:
        self.checks: list[CheckDigit] = []

    def add(self, name: str, data: str, line: int, pos: int, found: str, *, filler_ok: bool = False) -> None:
        expected = check_digit(data)
        valid = found == expected or (filler_ok and found == FILLER and set(data) <= {FILLER})
        self.checks.append(CheckDigit(name, line, pos, found, expected, valid))


def _long_number(head: str, cd_char: str, optional: str) -> tuple[str, str, str, int] | None:
    """Document number continued in the optional data (TD1/TD2): (number, check digit, rest, cd offset)."""
    if cd_char != FILLER or head.endswith(FILLER) or not optional or optional[0] == FILLER:
        return None
    end = optional.find(FILLER)
    end = len(optional) if end < 0 else end
    if end < 2:
        return None
    return head + optional[: end - 1], optional[end - 1], optional[end + 1 :], end - 1


def parse_mrz(text_or_lines: str | bytes | Sequence[str], *, strict: bool = True) -> MRZ:
    """Parse an MRZ given as text (lines separated by newlines) or as a sequence of lines.

    With ``strict`` (the default) a failing check digit, an impossible date, an unknown sex code or a
    non-letter in a state code raises MRZError naming the field; with ``strict=False`` these are only
    recorded (see :attr:`MRZ.checks`), lower case is accepted and spaces inside lines are dropped. A wrong
    line count or length, or a character outside A-Z 0-9 '<', always raises.
    """
    lines = _normalise_input(text_or_lines, strict)
    layout = _layout_of(lines)
    _check_charset(lines)
    checker = _Checker()
    optional2 = ""
    if layout == "TD1":
        l1, l2, l3 = lines
        code, state = l1[0:2], l1[2:5]
        number, number_cd, optional = l1[5:14], l1[14], l1[15:30]
        long = _long_number(number, number_cd, optional)
        if long:
            number, number_cd, optional, offset = long
            checker.add("document_number", number, 1, 16 + offset, number_cd)
        else:
            checker.add("document_number", number, 1, 15, number_cd)
        birth, birth_cd, sex = l2[0:6], l2[6], l2[7]
        expiry, expiry_cd, nationality, optional2 = l2[8:14], l2[14], l2[15:18], l2[18:29]
        checker.add("birth_date", birth, 2, 7, birth_cd)
        checker.add("expiry_date", expiry, 2, 15, expiry_cd)
        checker.add("composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], 2, 30, l2[29])
        name_field = l3
    else:
        l1, l2 = lines
        width = len(l1)
        code, state, name_field = l1[0:2], l1[2:5], l1[5:]
        number, number_cd, nationality = l2[0:9], l2[9], l2[10:13]
        birth, birth_cd, sex, expiry, expiry_cd = l2[13:19], l2[19], l2[20], l2[21:27], l2[27]
        if layout == "TD3":
            optional = l2[28:42]
            checker.add("document_number", number, 2, 10, number_cd)
            checker.add("birth_date", birth, 2, 20, birth_cd)
            checker.add("expiry_date", expiry, 2, 28, expiry_cd)
            checker.add("optional_data", optional, 2, 43, l2[42], filler_ok=True)
            checker.add("composite", l2[0:10] + l2[13:20] + l2[21:43], 2, 44, l2[43])
        elif layout == "TD2":
            optional = l2[28:35]
            long = _long_number(number, number_cd, optional)
            if long:
                number, number_cd, optional, offset = long
                checker.add("document_number", number, 2, 29 + offset, number_cd)
            else:
                checker.add("document_number", number, 2, 10, number_cd)
            checker.add("birth_date", birth, 2, 20, birth_cd)
            checker.add("expiry_date", expiry, 2, 28, expiry_cd)
            checker.add("composite", l2[0:10] + l2[13:20] + l2[21:35], 2, 36, l2[35])
        else:  # MRV-A / MRV-B: no composite check digit
            optional = l2[28:width]
            checker.add("document_number", number, 2, 10, number_cd)
            checker.add("birth_date", birth, 2, 20, birth_cd)
            checker.add("expiry_date", expiry, 2, 28, expiry_cd)
    surname, given = _parse_name(name_field)
    mrz = MRZ(
        layout=layout,
        document_code=code,
        issuing_state=state,
        document_number=number.rstrip(FILLER),
        surname=surname,
        given_names=given,
        nationality=nationality,
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
        optional_data=optional,
        optional_data2=optional2,
        name_field=name_field,
        lines=tuple(lines),
        checks=tuple(checker.checks),
    )
    if strict:
        _validate_strict(mrz)
    return mrz


def _validate_strict(mrz: MRZ) -> None:
    failed = mrz.failed_checks
    if failed:
        raise MRZError("; ".join(check.describe() for check in failed))
    if not mrz.document_code[0].isalpha():
        raise MRZError("document code does not start with a letter")
    for label, code in (("issuing state", mrz.issuing_state), ("nationality", mrz.nationality)):
        if not re.fullmatch(r"[A-Z<]{3}", code):
            raise MRZError(f"{label} is not a three-letter code")
    if mrz.sex not in _SEXES:
        raise MRZError("sex is not M, F, X or '<'")
    if not mrz.document_number:
        raise MRZError("document number is empty")
    mrz_date_to_date(mrz.birth_date, "birth")
    if FILLER in mrz.expiry_date:
        raise MRZError("expiry date is not YYMMDD")
    mrz_date_to_date(mrz.expiry_date, "expiry")


# --- formatting -------------------------------------------------------------------------------------


def _code(value: str, width: int, label: str) -> str:
    text = value.upper().replace(" ", FILLER)
    if len(text) > width or not set(text) <= _ALLOWED:
        raise MRZError(f"{label} is not a code of at most {width} characters from A-Z, 0-9, '<'")
    return text.ljust(width, FILLER)


def _sex(value: str) -> str:
    text = (value or FILLER).upper()
    if text not in _SEXES:
        raise MRZError("sex is not M, F, X or '<'")
    return text


def _number(value: str) -> str:
    text = value.upper().replace(" ", "")
    if not text or not set(text) <= _ALLOWED or text.startswith(FILLER):
        raise MRZError("document number must be A-Z, 0-9 and not empty")
    return text


def _number_and_optional(number: str, optional: str, width: int) -> tuple[str, str]:
    """Number field + check digit, and optional data field, for TD1/TD2 (long-number rule)."""
    number = _number(number)
    optional = optional.upper().replace(" ", FILLER)
    if not set(optional) <= _ALLOWED:
        raise MRZError("optional data contains characters outside A-Z, 0-9, '<'")
    if len(number) <= 9:
        return number.ljust(9, FILLER) + check_digit(number.ljust(9, FILLER)), _code(
            optional, width, "optional data"
        )
    if FILLER in number:
        raise MRZError("a document number longer than 9 characters cannot contain '<'")
    continuation = number[9:] + check_digit(number)
    if optional.strip(FILLER) or len(continuation) < width:
        continuation += FILLER  # separates the number's check digit from what follows
    if len(continuation) + len(optional) > width:
        raise MRZError(
            f"document number ({len(number)} characters) and optional data ({len(optional)}) do not fit in {width}"
        )
    return number[:9] + FILLER, (continuation + optional).ljust(width, FILLER)


def format_td3(
    *,
    document_code: str = "P",
    issuing_state: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: str | date,
    sex: str,
    expiry_date: str | date,
    optional_data: str = "",
) -> tuple[str, str]:
    """The two 44-character lines of a passport MRZ (Part 4)."""
    number = _number(document_number)
    if len(number) > 9:
        raise MRZError(
            f"document number of {len(number)} characters is longer than 9 (TD3 has no continuation)"
        )
    number = number.ljust(9, FILLER)
    optional = _code(optional_data, 14, "optional data")
    optional_cd = FILLER if set(optional) == {FILLER} else check_digit(optional)
    birth, expiry = _date_text(birth_date, "birth date"), _date_text(expiry_date, "expiry date")
    line1 = _code(document_code, 2, "document code") + _code(issuing_state, 3, "issuing state")
    line1 += format_name(surname, given_names, 39)
    body = number + check_digit(number) + _code(nationality, 3, "nationality")
    body += birth + check_digit(birth) + _sex(sex) + expiry + check_digit(expiry) + optional + optional_cd
    composite = check_digit(body[0:10] + body[13:20] + body[21:43])
    return line1, body + composite


def format_td2(
    *,
    document_code: str = "I",
    issuing_state: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: str | date,
    sex: str,
    expiry_date: str | date,
    optional_data: str = "",
) -> tuple[str, str]:
    """The two 36-character lines of a TD2 MRZ (Part 6)."""
    number_field, optional = _number_and_optional(document_number, optional_data, 7)
    birth, expiry = _date_text(birth_date, "birth date"), _date_text(expiry_date, "expiry date")
    line1 = _code(document_code, 2, "document code") + _code(issuing_state, 3, "issuing state")
    line1 += format_name(surname, given_names, 31)
    body = number_field + _code(nationality, 3, "nationality")
    body += birth + check_digit(birth) + _sex(sex) + expiry + check_digit(expiry) + optional
    composite = check_digit(body[0:10] + body[13:20] + body[21:35])
    return line1, body + composite


def format_td1(
    *,
    document_code: str = "I",
    issuing_state: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: str | date,
    sex: str,
    expiry_date: str | date,
    optional_data: str = "",
    optional_data2: str = "",
) -> tuple[str, str, str]:
    """The three 30-character lines of a TD1 MRZ (Part 5)."""
    number_field, optional = _number_and_optional(document_number, optional_data, 15)
    birth, expiry = _date_text(birth_date, "birth date"), _date_text(expiry_date, "expiry date")
    line1 = _code(document_code, 2, "document code") + _code(issuing_state, 3, "issuing state")
    line1 += number_field + optional
    line2 = birth + check_digit(birth) + _sex(sex) + expiry + check_digit(expiry)
    line2 += _code(nationality, 3, "nationality") + _code(optional_data2, 11, "optional data 2")
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    return line1, line2, format_name(surname, given_names, 30)


def _format_mrv(width: int, optional_width: int, **fields: object) -> tuple[str, str]:
    number = _number(str(fields["document_number"]))
    if len(number) > 9:
        raise MRZError(f"document number of {len(number)} characters is longer than 9")
    number = number.ljust(9, FILLER)
    birth = _date_text(fields["birth_date"], "birth date")  # type: ignore[arg-type]
    expiry = _date_text(fields["expiry_date"], "expiry date")  # type: ignore[arg-type]
    line1 = _code(str(fields.get("document_code", "V")), 2, "document code")
    line1 += _code(str(fields["issuing_state"]), 3, "issuing state")
    line1 += format_name(str(fields["surname"]), str(fields["given_names"]), width - 5)
    line2 = number + check_digit(number) + _code(str(fields["nationality"]), 3, "nationality")
    line2 += birth + check_digit(birth) + _sex(str(fields["sex"])) + expiry + check_digit(expiry)
    line2 += _code(str(fields.get("optional_data", "")), optional_width, "optional data")
    if not line1.startswith("V"):
        raise MRZError("a visa document code starts with 'V'")
    return line1, line2


def format_mrv_a(**fields: object) -> tuple[str, str]:
    """The two 44-character lines of a type A visa (Part 7); same keyword fields as :func:`format_td3`."""
    return _format_mrv(44, 16, **fields)


def format_mrv_b(**fields: object) -> tuple[str, str]:
    """The two 36-character lines of a type B visa (Part 7); same keyword fields as :func:`format_td3`."""
    return _format_mrv(36, 8, **fields)


# --- key material (Part 11 §9.7.2, Appendix D.2) ----------------------------------------------------


def mrz_information(document_number: str, birth_date: str | date, expiry_date: str | date) -> str:
    """Document number (padded to 9 with '<', or in full if longer) + check digit, date of birth + check
    digit, date of expiry + check digit: the input to BAC's K_seed and to PACE's MRZ password."""
    number = document_number.upper().replace(" ", "")
    if not number or not set(number) <= _ALLOWED:
        raise MRZError("document number must be A-Z, 0-9, '<' and not empty")
    number = number.ljust(9, FILLER)
    birth, expiry = _date_text(birth_date, "birth date"), _date_text(expiry_date, "expiry date")
    return number + check_digit(number) + birth + check_digit(birth) + expiry + check_digit(expiry)


def mrz_key_seed(document_number: str, birth_date: str | date, expiry_date: str | date) -> bytes:
    """BAC K_seed: the first 16 bytes of SHA-1 over :func:`mrz_information`."""
    info = mrz_information(document_number, birth_date, expiry_date)
    return hashlib.sha1(info.encode("ascii")).digest()[:16]


def mrz_pace_password(document_number: str, birth_date: str | date, expiry_date: str | date) -> bytes:
    """The PACE password π for an MRZ-derived key: SHA-1 over :func:`mrz_information` (Part 11 §4.4.3.3)."""
    return hashlib.sha1(mrz_information(document_number, birth_date, expiry_date).encode("ascii")).digest()
