"""The ICAO Doc 9303-12 certificate profile checks that decide whether a certificate may play its role.

- A CSCA (or link certificate) may issue only with basicConstraints cA=TRUE and keyUsage keyCertSign.
- A document signer must have keyUsage digitalSignature.
- A document signer's subject names one country (C=); two are a malformed certificate, not a choice.
- Validity follows ICAO's chain model: the document signer must have been valid when it signed (the SOD's
  signingTime, when present, else the time of the check) and the CSCA valid when it issued the document
  signer (the DSC's notBefore). A DSC that expired after signing is accepted and noted: ICAO sizes a DSC's
  validity to cover the documents it signs, but issuers are known to cut it shorter. A signing time
  outside the DSC's privateKeyUsagePeriod is noted.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import x509

from passport.asn1_guard import parse_guarded
from passport.errors import LDSError


def _extension(cert: x509.Certificate, name: str):
    return parse_guarded(lambda: getattr(cert, f"{name}_value"), "certificate extension")


def describe(cert: x509.Certificate) -> str:
    return parse_guarded(lambda: cert.subject.human_friendly, "certificate subject")


def csca_problems(cert: x509.Certificate) -> list[str]:
    """Why cert may not issue document signers (empty when it may)."""
    problems = []
    constraints = _extension(cert, "basic_constraints")
    if constraints is None or not constraints["ca"].native:
        problems.append(f"CSCA '{describe(cert)}' lacks basicConstraints cA=TRUE")
    usage = _extension(cert, "key_usage")
    if usage is None or "key_cert_sign" not in usage.native:
        problems.append(f"CSCA '{describe(cert)}' lacks keyUsage keyCertSign")
    return problems


def dsc_problems(cert: x509.Certificate) -> list[str]:
    """Why cert may not sign documents (empty when it may)."""
    usage = _extension(cert, "key_usage")
    if usage is None or "digital_signature" not in usage.native:
        return [f"document signer '{describe(cert)}' lacks keyUsage digitalSignature"]
    return []


def subject_country(cert: x509.Certificate) -> str | None:
    """The subject's single country (C=), upper case; LDSError when it names more than one."""

    def countries() -> list[str]:
        return [
            str(atv["value"].native)
            for rdn in cert.subject.chosen
            for atv in rdn
            if atv["type"].native == "country_name"
        ]

    found = parse_guarded(countries, "certificate subject")
    if len(found) > 1:
        raise LDSError(f"certificate subject '{describe(cert)}' has {len(found)} country (C=) attributes")
    return found[0].strip().upper() if found else None


def validity(cert: x509.Certificate) -> tuple[datetime, datetime]:
    v = cert["tbs_certificate"]["validity"]
    return parse_guarded(lambda: (v["not_before"].native, v["not_after"].native), "certificate validity")


def valid_at(cert: x509.Certificate, at: datetime) -> bool:
    not_before, not_after = validity(cert)
    return not_before <= at <= not_after


def outside_key_usage_period(cert: x509.Certificate, when: datetime) -> str | None:
    """A note when ``when`` (the signing time) lies outside the certificate's privateKeyUsagePeriod.

    A note, not a refusal: issuers fill this optional extension inconsistently (a test DSC of 2008 has a
    usage period of ten years inside a validity of one).
    """
    period = _extension(cert, "private_key_usage_period")
    if period is None:
        return None
    not_before, not_after = parse_guarded(
        lambda: (period["not_before"].native, period["not_after"].native), "private key usage period"
    )
    if (not_before and when < not_before) or (not_after and when > not_after):
        return f"signing time {when.isoformat()} lies outside the DSC's private key usage period"
    return None
