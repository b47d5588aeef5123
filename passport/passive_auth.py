"""Passive authentication (Doc 9303-11 §5.1): EF.SOD signature, DSC → CSCA chain, data-group hashes.

Every check is carried out and reported separately; `PassiveAuthResult.valid` is the conjunction the
gate's policy normally wants. Nothing here raises for a document that merely fails a check; a malformed
EF.SOD is reported in `errors` as well.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

from passport.errors import LDSError
from passport.lds.public_key import hash_bytes
from passport.lds.sod import SOD, decode_sod
from passport.pki import TrustStore, cert_country, check_signed_data

# MRZ issuing-state codes that differ from the ISO 3166-1 alpha-2 country of the signing certificate
# beyond the usual alpha-3 → alpha-2 mapping (Doc 9303-3 §5: "D" is Germany).
_MRZ_SPECIAL = {"D": "DE", "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB", "UNO": None,
                "UNA": None, "UNK": "XK", "EUE": "EU", "RKS": "XK",
                # Utopia, ICAO 9303's specimen state, used by test documents
                "UTO": "UT"}  # fmt: skip


def _alpha3_to_alpha2() -> dict[str, str]:
    return {
        "AFG": "AF", "ALB": "AL", "DZA": "DZ", "AND": "AD", "AGO": "AO", "ARG": "AR", "ARM": "AM",
        "AUS": "AU", "AUT": "AT", "AZE": "AZ", "BHS": "BS", "BHR": "BH", "BGD": "BD", "BRB": "BB",
        "BLR": "BY", "BEL": "BE", "BLZ": "BZ", "BEN": "BJ", "BTN": "BT", "BOL": "BO", "BIH": "BA",
        "BWA": "BW", "BRA": "BR", "BRN": "BN", "BGR": "BG", "BFA": "BF", "BDI": "BI", "KHM": "KH",
        "CMR": "CM", "CAN": "CA", "CPV": "CV", "CAF": "CF", "TCD": "TD", "CHL": "CL", "CHN": "CN",
        "COL": "CO", "COM": "KM", "COG": "CG", "COD": "CD", "CRI": "CR", "CIV": "CI", "HRV": "HR",
        "CUB": "CU", "CYP": "CY", "CZE": "CZ", "DNK": "DK", "DJI": "DJ", "DMA": "DM", "DOM": "DO",
        "ECU": "EC", "EGY": "EG", "SLV": "SV", "GNQ": "GQ", "ERI": "ER", "EST": "EE", "ETH": "ET",
        "FJI": "FJ", "FIN": "FI", "FRA": "FR", "GAB": "GA", "GMB": "GM", "GEO": "GE", "DEU": "DE",
        "GHA": "GH", "GRC": "GR", "GRD": "GD", "GTM": "GT", "GIN": "GN", "GNB": "GW", "GUY": "GY",
        "HTI": "HT", "HND": "HN", "HKG": "HK", "HUN": "HU", "ISL": "IS", "IND": "IN", "IDN": "ID",
        "IRN": "IR", "IRQ": "IQ", "IRL": "IE", "ISR": "IL", "ITA": "IT", "JAM": "JM", "JPN": "JP",
        "JOR": "JO", "KAZ": "KZ", "KEN": "KE", "KIR": "KI", "PRK": "KP", "KOR": "KR", "KWT": "KW",
        "KGZ": "KG", "LAO": "LA", "LVA": "LV", "LBN": "LB", "LSO": "LS", "LBR": "LR", "LBY": "LY",
        "LIE": "LI", "LTU": "LT", "LUX": "LU", "MAC": "MO", "MKD": "MK", "MDG": "MG", "MWI": "MW",
        "MYS": "MY", "MDV": "MV", "MLI": "ML", "MLT": "MT", "MHL": "MH", "MRT": "MR", "MUS": "MU",
        "MEX": "MX", "FSM": "FM", "MDA": "MD", "MCO": "MC", "MNG": "MN", "MNE": "ME", "MAR": "MA",
        "MOZ": "MZ", "MMR": "MM", "NAM": "NA", "NRU": "NR", "NPL": "NP", "NLD": "NL", "NZL": "NZ",
        "NIC": "NI", "NER": "NE", "NGA": "NG", "NOR": "NO", "OMN": "OM", "PAK": "PK", "PLW": "PW",
        "PSE": "PS", "PAN": "PA", "PNG": "PG", "PRY": "PY", "PER": "PE", "PHL": "PH", "POL": "PL",
        "PRT": "PT", "QAT": "QA", "ROU": "RO", "RUS": "RU", "RWA": "RW", "KNA": "KN", "LCA": "LC",
        "VCT": "VC", "WSM": "WS", "SMR": "SM", "STP": "ST", "SAU": "SA", "SEN": "SN", "SRB": "RS",
        "SYC": "SC", "SLE": "SL", "SGP": "SG", "SVK": "SK", "SVN": "SI", "SLB": "SB", "SOM": "SO",
        "ZAF": "ZA", "SSD": "SS", "ESP": "ES", "LKA": "LK", "SDN": "SD", "SUR": "SR", "SWZ": "SZ",
        "SWE": "SE", "CHE": "CH", "SYR": "SY", "TWN": "TW", "TJK": "TJ", "TZA": "TZ", "THA": "TH",
        "TLS": "TL", "TGO": "TG", "TON": "TO", "TTO": "TT", "TUN": "TN", "TUR": "TR", "TKM": "TM",
        "TUV": "TV", "UGA": "UG", "UKR": "UA", "ARE": "AE", "GBR": "GB", "USA": "US", "URY": "UY",
        "UZB": "UZ", "VUT": "VU", "VAT": "VA", "VEN": "VE", "VNM": "VN", "YEM": "YE", "ZMB": "ZM",
        "ZWE": "ZW", "ABW": "AW", "CUW": "CW", "SXM": "SX", "BMU": "BM", "CYM": "KY", "GIB": "GI",
    }  # fmt: skip


_ALPHA3 = _alpha3_to_alpha2()


def mrz_state_to_alpha2(code: str) -> str | None:
    """ISO 3166-1 alpha-2 country of an MRZ issuing-state code ('D<<' → 'DE', 'NLD' → 'NL')."""
    code = code.replace("<", "").upper()
    if code in _MRZ_SPECIAL:
        return _MRZ_SPECIAL[code]
    return _ALPHA3.get(code)


@dataclass(frozen=True)
class DGHashCheck:
    number: int
    status: str  # "valid", "mismatch", "not read" (in EF.SOD but not given), "not in SOD"
    expected: bytes | None = None
    actual: bytes | None = None


@dataclass
class PassiveAuthResult:
    sod_signature_valid: bool = False
    chain_valid: bool = False
    chain_detail: str = ""
    signer_country: str | None = None
    signer_subject: str | None = None
    issuer_matches: bool | None = None  # None: no MRZ issuer given, or the DSC names no country
    dg_hashes_valid: bool = False  # every data group given and listed in EF.SOD hashes correctly
    dg_checks: dict[int, DGHashCheck] = field(default_factory=dict)
    dsc_revoked: bool | None = None  # None: no CRL for the DSC's issuer loaded
    hash_algorithm: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return (
            self.sod_signature_valid
            and self.chain_valid
            and self.dg_hashes_valid
            and self.issuer_matches is not False
            and self.dsc_revoked is not True
        )


def check_dg_hashes(sod: SOD, dg_bytes: dict[int, bytes]) -> dict[int, DGHashCheck]:
    """Hash each data group exactly as read and compare with EF.SOD (constant-time comparison)."""
    checks: dict[int, DGHashCheck] = {}
    for n, expected in sorted(sod.dg_hashes.items()):
        if n not in dg_bytes:
            checks[n] = DGHashCheck(n, "not read", expected)
            continue
        actual = hash_bytes(sod.hash_algorithm, dg_bytes[n])
        status = "valid" if hmac.compare_digest(actual, expected) else "mismatch"
        checks[n] = DGHashCheck(n, status, expected, actual)
    for n in sorted(set(dg_bytes) - set(sod.dg_hashes)):
        checks[n] = DGHashCheck(n, "not in SOD", None, hash_bytes(sod.hash_algorithm, dg_bytes[n]))
    return checks


def verify_sod(
    sod_bytes: bytes,
    dg_bytes: dict[int, bytes],
    trust: TrustStore,
    mrz_issuer: str | None = None,
    at: datetime | None = None,
) -> PassiveAuthResult:
    """Run passive authentication on EF.SOD and the data groups as read (raw file bytes by DG number)."""
    result = PassiveAuthResult()
    at = at or datetime.now(UTC)
    try:
        sod = decode_sod(sod_bytes)
    except LDSError as exc:
        result.errors.append(str(exc))
        return result
    result.hash_algorithm = sod.hash_algorithm

    # data-group hashes
    result.dg_checks = check_dg_hashes(sod, dg_bytes)
    given = [c for c in result.dg_checks.values() if c.status in ("valid", "mismatch")]
    result.dg_hashes_valid = bool(given) and all(c.status == "valid" for c in given)
    for c in result.dg_checks.values():
        if c.status == "mismatch":
            result.errors.append(f"DG{c.number} hash does not match EF.SOD")
        elif c.status == "not in SOD":
            result.errors.append(f"DG{c.number} is not covered by EF.SOD")
    if any(c.status == "not in SOD" for c in result.dg_checks.values()):
        result.dg_hashes_valid = False

    # SOD signature
    try:
        check = check_signed_data(sod.signed_data)
    except LDSError as exc:
        result.errors.append(f"EF.SOD signature: {exc}")
        return result
    result.sod_signature_valid = check.signature_valid
    result.errors.extend(f"EF.SOD: {e}" for e in check.errors)
    dsc = check.signer_cert
    if dsc is None:
        result.chain_detail = "no document signer certificate in EF.SOD"
        return result
    result.signer_subject = dsc.subject.human_friendly
    result.signer_country = cert_country(dsc)

    # issuer vs MRZ
    if mrz_issuer is not None and result.signer_country is not None:
        expected = mrz_state_to_alpha2(mrz_issuer)
        result.issuer_matches = expected is not None and expected == result.signer_country.upper()
        if not result.issuer_matches:
            result.errors.append(
                f"DSC country {result.signer_country} does not match MRZ issuing state {mrz_issuer}"
            )

    # chain and revocation
    chain = trust.verify_chain(dsc, at)
    result.chain_valid = chain.valid
    result.chain_detail = chain.detail
    if not chain.valid:
        result.errors.append(chain.detail)
    result.dsc_revoked = trust.is_revoked(dsc)
    if result.dsc_revoked:
        result.errors.append("document signer certificate is revoked")
    return result
