"""Passive authentication (Doc 9303-11 §5.1): EF.SOD signature, DSC → CSCA chain, data-group hashes.

Every check is carried out and reported separately; `PassiveAuthResult.valid` is the conjunction the
gate's policy normally wants. Nothing here raises for a document that merely fails a check; a malformed
or hostile EF.SOD is reported in `errors` as well. Encodings that real issuers produce and that deviate
from Doc 9303-10 (a bare ContentInfo, id-data as content type, BER, a signer named differently) are
accepted and listed in `quirks`; the checks that refuse a document are in docs/chip-reading.md.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import x509

from passport.cert_profile import describe, outside_key_usage_period, subject_country
from passport.errors import LDSError
from passport.issuing_state import issuer_matches, mrz_state_to_alpha2
from passport.lds.public_key import hash_bytes
from passport.lds.sod import SOD, decode_sod
from passport.pki import TrustStore, check_signed_data

__all__ = ["DGHashCheck", "PassiveAuthResult", "check_dg_hashes", "mrz_state_to_alpha2", "verify_sod"]

# A signing time this far ahead of the check is a forged or misconfigured signer clock, not a time zone.
SIGNING_TIME_SKEW = timedelta(days=1)


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
    issuer_matches: bool | None = None  # None: no MRZ issuer, no DSC country, or a code not comparable
    dg_hashes_valid: bool = False  # every data group given and listed in EF.SOD hashes correctly
    dg_checks: dict[int, DGHashCheck] = field(default_factory=dict)
    dsc_revoked: bool | None = None  # None: no fresh CRL of the DSC's issuer says either way
    revocation: str = "no crl"  # "not revoked", "revoked", "stale crl", "no crl"
    hash_algorithm: str | None = None
    signing_time: str | None = None  # the SOD's signingTime attribute (ISO 8601), when present
    quirks: list[str] = field(default_factory=list)  # accepted deviations (codes, docs/chip-reading.md)
    notes: list[str] = field(default_factory=list)  # checks that could not be made, stale CRLs, ...
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


def _hashes(result: PassiveAuthResult, sod: SOD, dg_bytes: dict[int, bytes]) -> None:
    result.hash_algorithm = sod.hash_algorithm
    result.dg_checks = check_dg_hashes(sod, dg_bytes)
    statuses = [c.status for c in result.dg_checks.values()]
    given = [s for s in statuses if s in ("valid", "mismatch")]
    result.dg_hashes_valid = bool(given) and all(s == "valid" for s in given) and "not in SOD" not in statuses
    for c in result.dg_checks.values():
        if c.status == "mismatch":
            result.errors.append(f"DG{c.number} hash does not match EF.SOD")
        elif c.status == "not in SOD":
            result.errors.append(f"DG{c.number} is not covered by EF.SOD")


def _issuer(result: PassiveAuthResult, mrz_issuer: str | None) -> None:
    if mrz_issuer is None or result.signer_country is None:
        return
    result.issuer_matches = issuer_matches(mrz_issuer, result.signer_country)
    state = mrz_issuer.replace("<", "")
    if result.issuer_matches is None:
        result.notes.append(f"issuing state {state} names no country a signer certificate could carry: "
                            "not compared")
    elif not result.issuer_matches:
        result.errors.append(f"DSC country {result.signer_country} does not match MRZ issuing state {state}")


def _signing_time(result: PassiveAuthResult, when: datetime | None, at: datetime) -> bool:
    """Record the signing time; False (with an error) when it lies in the future."""
    if when is None:
        result.notes.append("EF.SOD has no signing time: the DSC is checked at the time of the check")
        return True
    result.signing_time = when.isoformat()
    if when > at + SIGNING_TIME_SKEW:
        result.errors.append(f"EF.SOD signing time {when.isoformat()} lies after the time of the check")
        return False
    return True


def _chain(result: PassiveAuthResult, trust: TrustStore, dsc: x509.Certificate, at: datetime,
           signing_time: datetime | None) -> None:
    chain = trust.verify_chain(dsc, at, signing_time)
    usage_note = outside_key_usage_period(dsc, signing_time) if signing_time else None
    result.notes += [usage_note] if usage_note else []
    result.chain_valid = chain.valid
    result.chain_detail = chain.detail
    result.quirks += chain.notes
    if not chain.valid:
        result.errors.append(chain.detail)
    revocation = trust.revocation(dsc, at)
    result.revocation, result.dsc_revoked = revocation.status, revocation.revoked
    result.notes += revocation.details
    if result.dsc_revoked:
        result.errors.append("document signer certificate is revoked")


def _verify(result: PassiveAuthResult, sod_bytes: bytes, dg_bytes: dict[int, bytes], trust: TrustStore,
            mrz_issuer: str | None, at: datetime) -> None:
    sod = decode_sod(sod_bytes)
    result.quirks += sod.quirks
    _hashes(result, sod, dg_bytes)
    try:
        check = check_signed_data(sod.signed_data, trust.document_signers)
    except LDSError as exc:
        raise LDSError(f"EF.SOD signature: {exc}") from None
    result.sod_signature_valid = check.signature_valid
    result.quirks += check.quirks
    result.errors.extend(f"EF.SOD: {e}" for e in check.errors)
    dsc = check.signer_cert
    if dsc is None:
        result.chain_detail = "no document signer certificate in EF.SOD or the trust store"
        return
    result.signer_subject = describe(dsc)
    result.signer_country = subject_country(dsc)
    _issuer(result, mrz_issuer)
    if _signing_time(result, check.signing_time, at):
        _chain(result, trust, dsc, at, check.signing_time)


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
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        _verify(result, sod_bytes, dg_bytes, trust, mrz_issuer, at)
    except LDSError as exc:
        result.errors.append(str(exc))
    return result
