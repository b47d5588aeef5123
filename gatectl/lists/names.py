"""Name normalisation for list screening.

A name arrives written (``Jörg Müller``, ``MÜLLER, Jörg``, ``Жуков``, ``Randy (Duke) Cunningham``) or as the
MRZ name field (``MUELLER<<JOERG<<<<``, truncated at 39 characters). Both become the same thing: a list of
upper-case A-Z tokens.

1. Latin letters follow ICAO Doc 9303 Part 3 §6 through :func:`passport.mrz.transliterate` (Ä→AE, Ü→UE,
   ß→SS, Ø→OE, É→E, ...); Cyrillic follows the Part 3 §6.B table (Ж→ZH, Х→KH, Ц→TS, Щ→SHCH, Ю→IU, Я→IA);
   every other script goes through ``anyascii`` (Greek, Arabic, CJK, Devanagari, ...).
2. The three ICAO umlaut digraphs are then folded (AE→A, OE→O, UE→U) on both sides of every comparison, so
   ``MUELLER``, ``Müller`` and ``Muller`` give one token, ``MULLER``.
3. Generational suffixes (Jr, Sr, II-IV) and punctuation are dropped; a nickname in quotes or parentheses
   makes a second form of the name (``Randy (Duke) Cunningham`` → ``RANDY CUNNINGHAM``, ``DUKE CUNNINGHAM``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from passport.mrz import MRZError, transliterate

MRZ_FILLER = "<"
MRZ_NAME_WIDTH = 39  # TD3 name field (Part 4 §4.2.2); TD1/TD2 are shorter and also end with a letter when cut
GENERATIONAL_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV"})

# Doc 9303 Part 3 §6.B, transliteration of Cyrillic characters (upper case; lower case is upper-cased first).
ICAO_CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z", "И": "I",
    "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y",
    "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA", "Ђ": "D", "Ѓ": "G", "Є": "IE", "Ѕ": "DZ", "І": "I", "Ї": "I",
    "Ј": "J", "Љ": "LJ", "Њ": "NJ", "Ќ": "K", "Ћ": "C", "Ў": "U", "Џ": "DZ", "Ґ": "G",
}  # fmt: skip

_UMLAUT_FOLDS = (("AE", "A"), ("OE", "O"), ("UE", "U"))
_NICKNAME = re.compile(r"\"([^\"]+)\"|\(([^)]+)\)|“([^”]+)”")
_NON_LETTERS = re.compile(r"[^A-Z]+")


@dataclass(frozen=True)
class NameForm:
    """One way of writing a name, as tokens; ``truncated`` when it came from a full-width MRZ field whose last
    token may have been cut (Part 3 §4.6.5), so the last token may be a prefix of the true name."""

    tokens: tuple[str, ...]
    truncated: bool = False

    @property
    def full_tokens(self) -> tuple[str, ...]:
        """Tokens that are more than an initial."""
        return tuple(t for t in self.tokens if len(t) > 1)


@lru_cache(maxsize=65536)
def transliterate_char(ch: str) -> str:
    """Upper-case Latin form of one character ('' for punctuation, ' ' for separators)."""
    up = ch.upper()
    if up in ICAO_CYRILLIC:
        return ICAO_CYRILLIC[up]
    try:
        out = transliterate(ch)
    except MRZError:
        out = anyascii(ch).upper()
    return " " if out == MRZ_FILLER else _NON_LETTERS.sub(" ", out)


def fold(token: str) -> str:
    """The umlaut digraphs of Part 3 §6 folded to their base letter: MUELLER → MULLER, JOERG → JORG."""
    for digraph, letter in _UMLAUT_FOLDS:
        token = token.replace(digraph, letter)
    return token


def tokens_of(text: str) -> tuple[str, ...]:
    """Folded tokens of a written name (no MRZ handling, no nickname handling)."""
    latin = "".join(transliterate_char(ch) for ch in text)
    tokens = [fold(t) for t in latin.split() if t]
    return tuple(t for t in tokens if t not in GENERATIONAL_SUFFIXES)


def is_mrz_name(text: str) -> bool:
    """An MRZ name field: upper-case letters and '<' fillers only, with at least one filler."""
    return MRZ_FILLER in text and re.fullmatch(r"[A-Z<]+", text.strip()) is not None


def mrz_name_form(field: str) -> NameForm:
    """Tokens of an MRZ name field ``PRIMARY<<SECONDARY<NAMES<<<``. A field of full width that ends with a
    letter may be truncated (Part 3 §4.6.5)."""
    field = field.strip()
    truncated = len(field) >= MRZ_NAME_WIDTH and not field.endswith(MRZ_FILLER)
    tokens = tokens_of(field.replace(MRZ_FILLER, " "))
    return NameForm(tokens, truncated)


def name_forms(text: str) -> list[NameForm]:
    """Every form of a name worth comparing: the name itself and, when it carries a nickname in quotes or
    parentheses, the name with the nickname in place of the first given name. Empty when nothing is left."""
    text = text.strip()
    if not text:
        return []
    if is_mrz_name(text):
        form = mrz_name_form(text)
        return [form] if form.tokens else []
    nicknames = [next(g for g in m.groups() if g) for m in _NICKNAME.finditer(text)]
    plain = tokens_of(_NICKNAME.sub(" ", text))
    if not plain:  # the whole name was in quotes or parentheses
        plain, nicknames = tokens_of(text), []
    forms = [NameForm(plain)] if plain else []
    for nick in nicknames:
        nick_tokens = tokens_of(nick)
        if nick_tokens and plain:
            forms.append(NameForm(nick_tokens + plain[-1:]))
    return forms


def spelling_key(token: str) -> str:
    """A token with the spelling differences of transliteration and transcription evened out, vowels kept:
    DZHORDAN/JORDAN → JORDAN, KHAVLEI/HAWLEY → HAVLEI, MKKRERI/MCCRERY → MKRERI, LI/LEE → LI, VUD/WOOD → VUD,
    SHAIN/SHAHEEN → XAIN (a silent H after the first letter and the English ee/oo as a transcriber hears them)."""
    t = token
    for src, dst in (("X", "KS"), ("DZH", "J"), ("SCH", "SH"), ("TCH", "CH"), ("ZH", "J"), ("KH", "H"),
                     ("PH", "F"), ("CK", "K"), ("TH", "T"), ("CH", "X"), ("SH", "X")):  # fmt: skip
        t = t.replace(src, dst)
    t = t[:1] + t[1:].replace("EE", "I").replace("OO", "U").replace("H", "")
    t = t.translate(_SOUND_CLASSES)
    return "".join(ch for i, ch in enumerate(t) if i == 0 or t[i - 1] != ch)


def phonetic_key(token: str) -> str:
    """A coarse sound skeleton of a token (the spelling key without vowels after the first letter) that
    survives transliteration and spelling variants: DZHENNIFER/JENNIFER → JNFR, MCCLELLAN/MKKLELLAN → MKLN,
    KHARRINGTON/HARRINGTON → HRNGTN."""
    t = spelling_key(token)
    skeleton = t[:1] + "".join(ch for ch in t[1:] if ch not in "AEIOUH")
    return "".join(ch for i, ch in enumerate(skeleton) if i == 0 or skeleton[i - 1] != ch)


_SOUND_CLASSES = str.maketrans({"C": "K", "Q": "K", "Z": "S", "W": "V", "Y": "I"})
