"""eMRTD PKI: a trust store of CSCA certificates (from master lists, certificate files and CRLs) and the
document signer → CSCA chain check.

A CSCA master list is a CMS SignedData whose content (OID 2.23.136.1.1.2) is
``CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }``. Its own signature is
verified against the signer certificate it carries, and that signer must be issued by a CSCA already
trusted (loaded from a certificate file before the list). A list that fails either check contributes
nothing, unless the operator allows that very file (``TrustStore(allow_unverified=[path])``); the reason
is in :attr:`TrustStore.master_lists` and the log.

Certificates are checked against ICAO Doc 9303-12's profile (:mod:`passport.cert_profile`) when a chain is
built; CRLs count only when a proper CSCA of their issuer signed them, and a CRL past its nextUpdate is
reported as stale rather than taken for fresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import core, crl, pem, x509

from passport.asn1_guard import parse_guarded, scan_encoding
from passport.cert_profile import csca_problems, describe, dsc_problems, valid_at, validity
from passport.errors import LDSError
from passport.lds.public_key import load_public_key
from passport.signature import UnsupportedAlgorithm, verify_signature
from passport.signed_data import SignedDataCheck, check_signed_data, load_signed_data

__all__ = [  # the CMS and signature helpers are re-exported: callers import them from here
    "ChainResult", "MasterListInfo", "Revocation", "SignedDataCheck", "TrustStore", "UnsupportedAlgorithm",
    "check_signed_data", "load_signed_data", "verify_certificate_signature", "verify_signature",
]  # fmt: skip

log = logging.getLogger(__name__)

OID_MASTER_LIST = "2.23.136.1.1.2"
MAX_FILE_BYTES = 16 * 1024 * 1024
CERT_SUFFIXES = {".cer", ".crt", ".der", ".pem"}
CRL_SUFFIXES = {".crl"}
ML_SUFFIXES = {".ml"}
QUIRK_DSC_EXPIRED_SINCE_SIGNING = "dsc_expired_since_signing"


class SetOfCertificates(core.SetOf):
    _child_spec = x509.Certificate


class CscaMasterList(core.Sequence):
    _fields = [("version", core.Integer), ("cert_list", SetOfCertificates)]


def verify_certificate_signature(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when issuer's key verifies cert's signature; LDSError if it cannot be checked at all."""
    key = load_public_key(issuer["tbs_certificate"]["subject_public_key_info"])
    return verify_signature(
        key, cert["signature_algorithm"], cert["tbs_certificate"].dump(), cert["signature_value"].native
    )


def _aware(at: datetime) -> datetime:
    """Naive datetimes are taken as UTC (certificate times are UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _load_der(data: bytes | object, spec: type, what: str):
    """Parse a certificate or CRL (DER or PEM) fully, nesting bounded; LDSError otherwise."""
    if not isinstance(data, bytes):
        parse_guarded(lambda: data.native, what)
        return data
    if pem.detect(data):
        _, _, data = parse_guarded(lambda: pem.unarmor(data), what)
    scan_encoding(data)

    def parse():
        value = spec.load(data, strict=True)
        value.native  # noqa: B018 - parse fully so malformed inner structures fail here
        return value

    return parse_guarded(parse, what)


def _master_list_certificates(content: bytes, source: str) -> list[x509.Certificate]:
    def parse() -> list[x509.Certificate]:
        certs = list(CscaMasterList.load(content, strict=True)["cert_list"])
        for c in certs:
            c.native  # noqa: B018
        return certs

    try:
        return parse_guarded(parse, "master list content")
    except LDSError as exc:
        raise LDSError(f"{source}: {exc}") from None


# ---------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class MasterListInfo:
    """What loading one master list gave."""

    source: str
    csca_count: int  # certificates in the list
    signer: str | None
    signature_valid: bool
    signer_trusted: bool | None  # signer issued by a CSCA trusted beforehand (None: no signer certificate)
    signer_issuer: str | None = None
    errors: tuple[str, ...] = ()
    accepted: bool = False  # its CSCAs are in the trust store
    allowed_unverified: bool = False  # accepted only because the operator allowed this file

    @property
    def verified(self) -> bool:
        return self.signature_valid and self.signer_trusted is True

    @property
    def status(self) -> str:
        """One line for operators: used, used unverified, or refused with the reason."""
        if self.verified:
            return f"master list {self.source}: {self.csca_count} CSCAs, verified (signer issued by "\
                f"'{self.signer_issuer}')"
        reason = "; ".join(self.errors) or "not verified"
        if self.accepted:
            return f"master list {self.source}: {self.csca_count} CSCAs used UNVERIFIED (allowed by the "\
                f"operator): {reason}"
        return f"master list {self.source}: refused, its {self.csca_count} CSCAs are not used: {reason}"


@dataclass(frozen=True)
class ChainResult:
    valid: bool
    csca: x509.Certificate | None
    detail: str
    notes: tuple[str, ...] = ()  # quirk codes of an accepted chain (dsc_expired_since_signing)


@dataclass(frozen=True)
class Revocation:
    """A document signer's revocation state from the CRLs of its issuer."""

    status: str  # "not revoked" (a fresh CRL), "revoked", "stale crl" (only stale CRLs), "no crl"
    details: tuple[str, ...] = ()  # stale, unsigned or wrongly signed CRLs

    @property
    def revoked(self) -> bool | None:
        return {"revoked": True, "not revoked": False}.get(self.status)


# ---------------------------------------------------------------------------------------------------------
# Trust store


def _is_document_signer(cert: x509.Certificate) -> bool:
    """A certificate issued by another that cannot issue itself (no cA, no keyCertSign): kept as a document
    signer, not an anchor. Self-issued certificates stay CSCAs, where the profile check reports them."""
    constraints, usage = cert.basic_constraints_value, cert.key_usage_value
    is_ca = constraints is not None and constraints["ca"].native
    can_sign_certs = usage is not None and "key_cert_sign" in usage.native
    return cert.subject != cert.issuer and not is_ca and not can_sign_certs


class TrustStore:
    """CSCA certificates, document signer certificates and CRLs.

    ``allow_unverified`` names master list files whose CSCAs are used even when the list's signature
    fails or its signer does not chain to a CSCA trusted beforehand (reported, never silent).
    """

    def __init__(self, allow_unverified: Iterable[str | Path] = ()) -> None:
        self._cscas: dict[bytes, x509.Certificate] = {}  # by SHA-256 fingerprint
        self._dscs: dict[bytes, x509.Certificate] = {}
        self._crls: list[crl.CertificateList] = []
        self.master_lists: list[MasterListInfo] = []
        self.allow_unverified = {str(Path(p).expanduser().resolve()) for p in allow_unverified}

    def __len__(self) -> int:
        return len(self._cscas)

    @property
    def cscas(self) -> list[x509.Certificate]:
        return list(self._cscas.values())

    @property
    def document_signers(self) -> list[x509.Certificate]:
        """Document signer certificates loaded from files, for EF.SODs that do not carry theirs."""
        return list(self._dscs.values())

    def add_certificate(self, cert: x509.Certificate | bytes) -> x509.Certificate:
        """Add a CSCA (or, for a certificate that cannot issue, a document signer)."""
        cert = _load_der(cert, x509.Certificate, "certificate")
        target = self._dscs if parse_guarded(lambda: _is_document_signer(cert), "certificate") else self._cscas
        target[cert.sha256] = cert
        return cert

    def add_crl(self, data: bytes | crl.CertificateList) -> None:
        self._crls.append(_load_der(data, crl.CertificateList, "CRL"))

    # -- master lists --------------------------------------------------------------------------------

    def _allowed(self, source: str) -> bool:
        try:
            return str(Path(source).expanduser().resolve()) in self.allow_unverified
        except (OSError, RuntimeError, ValueError):
            return False

    def _anchor_signer(self, signer: x509.Certificate, certs: list[x509.Certificate]):
        """(signer_trusted, signer_issuer, errors): is the list signer issued by a CSCA trusted before?"""
        errors: list[str] = []
        anchored = [(c, True) for c in self.find_issuers(signer)]
        in_list = [(c, False) for c in certs if c.subject == signer.issuer]
        for issuer, trusted_before in anchored + in_list:
            try:
                if verify_certificate_signature(signer, issuer):
                    if not trusted_before:
                        errors.append("master list signer is not issued by a CSCA trusted before the list "
                                      "was loaded (only by one inside the list)")
                    return trusted_before, describe(issuer), errors
            except LDSError as exc:
                errors.append(f"signer certificate: {exc}")
        errors.append("master list signer is not issued by a CSCA trusted before the list was loaded")
        return False, None, errors

    def load_master_list(
        self, data: bytes, source: str = "<bytes>", allow_unverified: bool | None = None
    ) -> MasterListInfo:
        """Check a CMS master list and add its CSCAs if it is verified (or allowed unverified)."""
        check = check_signed_data(load_signed_data(data))
        if check.content_type != OID_MASTER_LIST:
            raise LDSError(f"{source}: not a CSCA master list (content type {check.content_type})")
        certs = _master_list_certificates(check.content, source)
        signer_trusted, signer_issuer, errors = None, None, list(check.errors)
        if check.signer_cert is not None:
            signer_trusted, signer_issuer, anchor_errors = self._anchor_signer(check.signer_cert, certs)
            errors += anchor_errors
        verified = check.signature_valid and signer_trusted is True
        allowed = self._allowed(source) if allow_unverified is None else allow_unverified
        if verified or allowed:
            self._cscas.update((c.sha256, c) for c in certs)
        signer = describe(check.signer_cert) if check.signer_cert is not None else None
        info = MasterListInfo(source, len(certs), signer, check.signature_valid, signer_trusted,
                              signer_issuer, tuple(errors), verified or allowed, allowed and not verified)
        self.master_lists.append(info)
        (log.info if verified else log.warning)("%s", info.status)
        return info

    # -- files ---------------------------------------------------------------------------------------

    def _load_file(self, f: Path) -> None:
        if f.stat().st_size > MAX_FILE_BYTES:
            raise LDSError(f"{f}: larger than {MAX_FILE_BYTES} bytes")
        data = f.read_bytes()
        suffix = f.suffix.lower()
        try:
            if suffix in ML_SUFFIXES:
                self.load_master_list(data, str(f))
            elif suffix in CRL_SUFFIXES:
                self.add_crl(data)
            elif pem.detect(data):  # a PEM file may hold a bundle
                for _, _, block in parse_guarded(lambda: list(pem.unarmor(data, multiple=True)), "PEM"):
                    self.add_certificate(block)
            else:
                self.add_certificate(data)
        except LDSError as exc:
            raise LDSError(f"{f}: {exc}") from exc

    def load_paths(self, paths: Iterable[str | Path]) -> None:
        """Load files and folders: certificates first, then master lists (whose signers they anchor), then
        CRLs. Files of other suffixes are skipped."""
        files: list[Path] = []
        for path in map(Path, paths):
            files += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        order = (CERT_SUFFIXES, ML_SUFFIXES, CRL_SUFFIXES)
        for suffixes in order:
            for f in files:
                if f.suffix.lower() in suffixes:
                    self._load_file(f)

    def load_path(self, path: str | Path) -> None:
        """Load a file or every file of a folder: .cer/.crt/.der/.pem certificates, .ml master lists, .crl."""
        self.load_paths([path])

    def problems(self, at: datetime | None = None) -> list[str]:
        """What an operator should know: refused or unverified master lists, bad or stale CRLs."""
        at = _aware(at or datetime.now(UTC))
        out = [m.status for m in self.master_lists if not m.verified]
        for c in self._crls:
            out += [p for p in (self._crl_problem(c), self._crl_staleness(c, at)) if p]
        return out

    def report(self, at: datetime | None = None) -> dict:
        """JSON-ready summary for `egate passport verify` and `egate diag`."""
        return {
            "cscas": len(self._cscas),
            "document_signers": len(self._dscs),
            "crls": len(self._crls),
            "master_lists": [m.status for m in self.master_lists],
            "problems": self.problems(at),
        }

    # -- look-up and chains --------------------------------------------------------------------------

    def find_csca(self, issuer: x509.Name, key_identifier: bytes | None = None) -> list[x509.Certificate]:
        """CSCAs with subject `issuer` and, when given and present in the CSCA, subject key identifier."""
        found = []
        for csca in self._cscas.values():
            if csca.subject != issuer:
                continue
            ski = csca.key_identifier
            if key_identifier is not None and ski is not None and ski != key_identifier:
                continue
            found.append(csca)
        return found

    def find_issuers(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """CSCAs that may have issued cert: by issuer name and authority key identifier."""
        return self.find_csca(cert.issuer, cert.authority_key_identifier)

    def _issuer_problem(self, csca: x509.Certificate, dsc: x509.Certificate) -> str | None:
        """Why csca cannot be the DSC's issuer (profile, signature, validity at issuance), or None."""
        problems = csca_problems(csca)
        if problems:
            return "; ".join(problems)
        try:
            if not verify_certificate_signature(dsc, csca):
                return f"DSC signature does not verify with CSCA '{describe(csca)}'"
        except LDSError as exc:
            return f"DSC signature by CSCA '{describe(csca)}': {exc}"
        issued = validity(dsc)[0]
        if not valid_at(csca, issued):
            return f"CSCA '{describe(csca)}' was not valid when it issued the DSC ({issued.isoformat()})"
        return None

    def verify_chain(
        self, dsc: x509.Certificate, at: datetime | None = None, signing_time: datetime | None = None
    ) -> ChainResult:
        """DSC → CSCA with ICAO's chain model: the DSC's profile, its validity at ``signing_time`` (else at
        ``at``), a CSCA of proper profile that signed it and was valid when it issued it. Every problem
        found is in the detail."""
        at = _aware(at or datetime.now(UTC))
        issuers = self.find_issuers(dsc)
        if not issuers:
            return ChainResult(False, None, f"CSCA not found for issuer '{describe_name(dsc.issuer)}'")
        problems = dsc_problems(dsc)
        when = _aware(signing_time) if signing_time else at
        if not valid_at(dsc, when):
            label = "signing time" if signing_time else "time of the check"
            problems.append(f"DSC not valid at {when.isoformat()} ({label})")
        # Several certificates may hold the issuing key (renewals, link certificates): any proper one will do.
        issuer_problems = [self._issuer_problem(csca, dsc) for csca in issuers]
        good = [csca for csca, problem in zip(issuers, issuer_problems, strict=True) if problem is None]
        if problems or not good:
            return ChainResult(False, None, "; ".join(problems + [p for p in issuer_problems if p]))
        expired = signing_time is not None and validity(dsc)[1] < at
        notes = (QUIRK_DSC_EXPIRED_SINCE_SIGNING,) if expired else ()
        return ChainResult(True, good[0], f"DSC issued by CSCA '{describe(good[0])}'", notes)

    # -- revocation ----------------------------------------------------------------------------------

    def _crl_problem(self, revocation_list: crl.CertificateList) -> str | None:
        """Why a CRL cannot be used (no proper CSCA of its issuer signed it), or None."""
        issuer = describe_name(revocation_list.issuer)
        tbs = revocation_list["tbs_cert_list"]
        aki = revocation_list.authority_key_identifier
        cscas = self.find_csca(revocation_list.issuer, aki)
        if not cscas:
            return f"CRL of '{issuer}': no trusted CSCA of that name, CRL not used"
        for csca in cscas:
            usage = csca.key_usage_value
            if usage is not None and "crl_sign" not in usage.native:
                continue
            try:
                key = load_public_key(csca["tbs_certificate"]["subject_public_key_info"])
                signature = revocation_list["signature"].native
                if verify_signature(key, revocation_list["signature_algorithm"], tbs.dump(), signature):
                    return None
            except LDSError as exc:
                log.warning("CRL of %s: %s", issuer, exc)
        return f"CRL of '{issuer}': signature does not verify with its CSCA, CRL not used"

    def _crl_staleness(self, revocation_list: crl.CertificateList, at: datetime) -> str | None:
        next_update = revocation_list["tbs_cert_list"]["next_update"].native
        if next_update is not None and next_update >= at:
            return None
        issuer = describe_name(revocation_list.issuer)
        return f"CRL of '{issuer}' is stale: nextUpdate {next_update.isoformat() if next_update else 'absent'}"

    def revocation(self, cert: x509.Certificate, at: datetime | None = None) -> Revocation:
        """Revocation state of cert from the CRLs of its issuer: a serial listed on any CRL its CSCA signed
        is revoked (stale or not); "not revoked" needs a CRL that is still fresh at ``at``."""
        at = _aware(at or datetime.now(UTC))
        details: list[str] = []
        fresh = stale = revoked = False
        for c in (c for c in self._crls if c.issuer == cert.issuer):
            problem = self._crl_problem(c)
            if problem:
                details.append(problem)
                continue
            staleness = self._crl_staleness(c, at)
            details += [staleness] if staleness else []
            fresh, stale = fresh or not staleness, stale or bool(staleness)
            entries = c["tbs_cert_list"]["revoked_certificates"] or []
            revoked = revoked or any(e["user_certificate"].native == cert.serial_number for e in entries)
        status = "revoked" if revoked else "not revoked" if fresh else "stale crl" if stale else "no crl"
        return Revocation(status, tuple(details))

    def is_revoked(self, cert: x509.Certificate, at: datetime | None = None) -> bool | None:
        """True if a verified CRL of cert's issuer lists it, False if a fresh one does not, None otherwise."""
        return self.revocation(cert, at).revoked


def describe_name(name: x509.Name) -> str:
    return parse_guarded(lambda: name.human_friendly, "name")
