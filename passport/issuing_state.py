"""MRZ issuing-state codes (ICAO Doc 9303-3 §5) and the countries a document signer of each may name.

The table is ISO 3166-1 (current and withdrawn codes) from `pycountry`, plus ICAO's own codes. A code
that names no state (stateless persons, refugees, unspecified nationality) or an organisation whose
certificates' country is not known here yields ``None``: the issuing state is then not compared, which
is reported, never a failure. A genuine document of any issuer must not fail for a missing table entry.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

# ICAO Doc 9303-3 §5 codes that are not ISO 3166-1 alpha-3, with the C= values seen on their signers'
# certificates. British codes: the UK and, for GBD, the overseas territories whose governors issue.
_BRITISH_TERRITORIES = frozenset({"GB", "AI", "BM", "IO", "VG", "KY", "FK", "GI", "MS", "PN", "SH", "TC", "GS"})
ICAO_SPECIAL: dict[str, frozenset[str] | None] = {
    "D": frozenset({"DE"}),
    "GBD": _BRITISH_TERRITORIES,
    "GBN": frozenset({"GB"}),
    "GBO": frozenset({"GB"}),
    "GBP": frozenset({"GB"}),
    "GBS": frozenset({"GB"}),
    "EUE": frozenset({"EU"}),  # European Union laissez-passer
    "UNO": frozenset({"UN"}),  # United Nations organisation
    "UNA": frozenset({"UN"}),  # specialised agency of the UN
    "UNK": frozenset({"UN", "XK", "KS"}),  # UNMIK, Kosovo
    "RKS": frozenset({"XK", "KS"}),  # Kosovo: its CSCA names C=KS (ICAO master lists), XK is common usage
    "XOM": None,  # Sovereign Military Order of Malta
    "XPO": None,  # Interpol
    "XXA": None,  # stateless person
    "XXB": None,  # refugee (1951 Convention)
    "XXC": None,  # refugee (other)
    "XXX": None,  # unspecified nationality
    "UTO": frozenset({"UT"}),  # Utopia, ICAO 9303's specimen state, used by test documents
}


@lru_cache(maxsize=1)
def _iso_alpha3() -> dict[str, str]:
    table = {c.alpha_3: c.alpha_2 for c in pycountry.historic_countries if hasattr(c, "alpha_2")}
    table.update({c.alpha_3: c.alpha_2 for c in pycountry.countries})
    return table


def signer_countries(code: str) -> frozenset[str] | None:
    """Countries (ISO alpha-2, upper case) a document signer of issuing state ``code`` may name.

    ``None`` when the code names no state or one whose certificates' country is unknown. Unknown codes
    that begin with X (ICAO reserves them for organisations) and any other unknown code also give None.
    """
    code = code.replace("<", "").strip().upper()
    if code in ICAO_SPECIAL:
        return ICAO_SPECIAL[code]
    alpha2 = _iso_alpha3().get(code)
    return frozenset({alpha2}) if alpha2 else None


def mrz_state_to_alpha2(code: str) -> str | None:
    """The principal ISO 3166-1 alpha-2 country of an MRZ issuing-state code ('D<<' → 'DE', 'NLD' → 'NL')."""
    countries = signer_countries(code)
    if not countries:
        return None
    if len(countries) == 1:
        return next(iter(countries))
    return "GB" if "GB" in countries else sorted(countries)[0]


def issuer_matches(code: str, signer_country: str) -> bool | None:
    """True/False when the signer's country can be compared with the issuing state, None when it cannot."""
    countries = signer_countries(code)
    if countries is None:
        return None
    return signer_country.strip().upper() in countries
