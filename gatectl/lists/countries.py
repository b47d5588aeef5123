"""Nationalities and issuers as ICAO/ISO 3166-1 alpha-3 codes (Doc 9303 Part 3 §5)."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from passport.issuing_state import ICAO_SPECIAL

# Codes of Doc 9303 Part 3 §5 that are not ISO 3166-1 alpha-3 (passport.issuing_state's table, kept as they
# are, plus the organisations' codes it does not list), and common names pycountry does not know.
_SPECIAL = {
    **{code: code for code in ICAO_SPECIAL},
    "D": "DEU",
    "XCC": "XCC", "XES": "XES", "XMP": "XMP", "XCO": "XCO",
    "XK": "RKS", "KOSOVO": "RKS",
    "SOUTH KOREA": "KOR", "NORTH KOREA": "PRK", "RUSSIA": "RUS", "IRAN": "IRN", "SYRIA": "SYR",
    "TAIWAN": "TWN", "VIETNAM": "VNM", "LAOS": "LAO", "BOLIVIA": "BOL", "VENEZUELA": "VEN",
    "TANZANIA": "TZA", "MOLDOVA": "MDA", "CZECH REPUBLIC": "CZE", "TURKEY": "TUR", "IVORY COAST": "CIV",
    "UK": "GBR", "USA": "USA", "UNITED STATES OF AMERICA": "USA", "THE NETHERLANDS": "NLD",
    "BRUNEI": "BRN", "EAST TIMOR": "TLS", "DEMOCRATIC REPUBLIC OF THE CONGO": "COD", "DR CONGO": "COD",
    "REPUBLIC OF THE CONGO": "COG", "CAPE VERDE": "CPV", "SWAZILAND": "SWZ", "MACAU": "MAC",
}  # fmt: skip


class UnknownCountry(ValueError):
    """The text names no country egate knows."""


@lru_cache(maxsize=4096)
def country_code(text: str) -> str:
    """The alpha-3 code of a country given by name, alpha-2, alpha-3 or MRZ code ('D<<' → 'DEU'); the
    Doc 9303 codes that are not ISO (GBD, UNO, XXA, RKS, ...) are kept as they are."""
    key = text.strip().strip("<").upper()
    if not key:
        raise UnknownCountry("empty country")
    if key in _SPECIAL:
        return _SPECIAL[key]
    found = None
    if len(key) == 2:
        found = pycountry.countries.get(alpha_2=key)
    elif len(key) == 3:
        found = pycountry.countries.get(alpha_3=key)
    if found is None:
        try:
            found = pycountry.countries.lookup(text.strip())
        except LookupError:
            found = None
    if found is None:
        raise UnknownCountry("unknown country")
    return found.alpha_3
