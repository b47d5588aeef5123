"""Typed results of reading an ePassport chip (:class:`ChipReadResult`), JSON-ready without biometrics."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Conventional names of the eMRTD files, as used in results and on disk (``DG1.bin``, ``EF_SOD.bin``).
FILE_NAMES = {0x011E: "EF.COM", 0x011D: "EF.SOD", 0x011C: "EF.CardAccess"}
FILE_NAMES.update({0x0100 + n: f"DG{n}" for n in range(1, 17)})
FILE_IDS = {name: fid for fid, name in FILE_NAMES.items()}


def disk_name(name: str) -> str:
    """``EF.COM`` → ``EF_COM.bin``, ``DG2`` → ``DG2.bin``."""
    return name.replace(".", "_") + ".bin"


@dataclass(frozen=True)
class FacePortrait:
    """The first face of DG2. ``image`` is biometric data: it stays in memory and out of ``as_dict``."""

    format: str  # "JPEG2000" or "JPEG"
    width: int | None
    height: int | None
    image: bytes = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "width": self.width, "height": self.height, "size": len(self.image)}


@dataclass(frozen=True)
class AuthOutcome:
    """Active or chip authentication: whether it was carried out and whether the chip proved its key."""

    performed: bool
    valid: bool | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"performed": self.performed, "valid": self.valid, "detail": self.detail}


NOT_PERFORMED = AuthOutcome(False, None, "")

# What a read can find, by code, and its kind: "attack" (a suspected attack: not verified), "failure" (the
# document is not verified), "quirk" (an issuer's or chip's deviation the reader took; no failure by itself),
# "notice" (reported, no failure by itself). The gate controller acts on the codes; docs/chip-reading.md
# lists them with their reasons.
PROBLEM_KINDS: dict[str, str] = {
    "pace_check_failed": "attack",  # PACE token, mapping or key check failed: read ended, no BAC
    "sm_mac_failures": "attack",  # more responses failed their MAC than MAX_SM_MAC_FAILURES: read ended
    "chip_auth_failed": "attack",  # the chip did not prove the DG14 key: clone suspected
    "active_auth_failed": "attack",  # the chip did not prove the DG15 key: clone suspected
    "passive_auth_not_performed": "failure",  # no trust store: the signature was not checked
    "passive_auth_failed": "failure",
    "required_file_missing": "failure",  # EF.SOD, DG1, DG2, or DG14/DG15 listed in EF.SOD, absent or unreadable
    "sod_lacks_required_dg": "failure",  # EF.SOD does not list DG1 or DG2
    "sod_unparsable": "failure",  # EF.SOD cannot be decoded: what to read came from EF.COM
    "chip_auth_not_performed": "failure",  # DG14 listed in EF.SOD, but chip authentication not carried out
    "active_auth_not_performed": "failure",  # DG15 listed (no DG14), but active authentication not carried out
    "dg_malformed": "failure",  # DG1 or DG2 could not be decoded
    "pace_downgrade": "failure",  # BAC used although the signed DG14 lists PACE parameters this system supports
    "sm_mac_failure": "notice",  # a response failed its MAC; the session was re-established (counted)
    "sm_session_restarted": "notice",  # the chip dropped secure messaging (6987/6988); re-established
    "bac_fallback": "notice",  # BAC used instead of PACE, with the reason
    "no_clone_check": "notice",  # EF.SOD lists neither DG14 nor DG15: the chip cannot prove itself
    "com_mismatch": "quirk",  # EF.COM lists other data groups than EF.SOD
    "com_unreadable": "quirk",  # EF.COM absent or malformed (it decides nothing)
    "listed_file_absent": "quirk",  # an optional data group listed in EF.SOD is not on the chip
    "optional_file_unreadable": "quirk",  # an optional data group could not be read (error status, malformed)
    "sfi_unsupported": "quirk",  # READ BINARY with a short EF identifier refused: SELECT used instead
    "sm_trailer_mismatch": "quirk",  # plain status word differs from the protected DO'99' (DO'99' believed)
    "dg2_consumer_failed": "notice",  # the on_dg2 callback raised
}
FATAL_KINDS = ("attack", "failure")


@dataclass(frozen=True)
class Problem:
    """One finding of a read: ``code`` from :data:`PROBLEM_KINDS`, its ``kind``, and a detail without
    personal data."""

    code: str
    detail: str = ""

    @property
    def kind(self) -> str:
        return PROBLEM_KINDS.get(self.code, "failure")

    @property
    def fatal(self) -> bool:
        return self.kind in FATAL_KINDS

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "detail": self.detail}


@dataclass
class ChipReadResult:
    """Everything one read of a chip produced.

    ``files`` holds the raw bytes by name (``"DG1"``, ``"EF.SOD"``); ``files_read`` lists them in reading
    order; ``access_protected`` names files the chip refused for lack of terminal authentication (DG3/DG4),
    which is expected and not an error. ``bytes`` counts command and response bytes on the wire.
    ``findings`` lists everything the read found, by code (:data:`PROBLEM_KINDS`), with kind and detail;
    ``problems`` is the codes of those that are attacks or failures. ``verified`` is true only when passive
    authentication ran and passed and ``problems`` is empty.
    """

    access: str | None = None  # "PACE" or "BAC"
    files_read: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    access_protected: list[str] = field(default_factory=list)
    mrz: Any = None  # passport.mrz.MRZ
    face: FacePortrait | None = None
    passive_auth: Any = None  # passport.passive_auth.PassiveAuthResult
    active_auth: AuthOutcome = NOT_PERFORMED
    chip_auth: AuthOutcome = NOT_PERFORMED
    apdus: int = 0
    bytes: int = 0
    seconds: float = 0.0
    extended_length: bool = False
    sessions: int = 0  # secure-messaging sessions opened (more than 1 after a re-establishment)
    sm_mac_failures: int = 0  # protected responses whose MAC did not verify
    data_groups_in_sod: list[int] = field(default_factory=list)  # what the signed EF.SOD lists
    findings: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_problem(self, code: str, detail: str = "") -> None:
        """Record a finding (once per code and detail)."""
        problem = Problem(code, detail)
        if problem not in self.findings:
            self.findings.append(problem)

    @property
    def finding_codes(self) -> list[str]:
        """Every finding's code (quirks and notices too), once each, in the order found."""
        return list(dict.fromkeys(p.code for p in self.findings))

    @property
    def problems(self) -> list[str]:
        """Codes of the findings that keep the document from being verified (attacks and failures)."""
        return list(dict.fromkeys(p.code for p in self.findings if p.fatal))

    @property
    def clone_suspected(self) -> bool:
        """The chip failed to prove its private key (CA or AA), so the data may have been copied."""
        return (self.chip_auth.performed and self.chip_auth.valid is False) or (
            self.active_auth.performed and self.active_auth.valid is False
        )

    @property
    def passive_auth_valid(self) -> bool | None:
        pa = self.passive_auth
        return None if pa is None else bool(getattr(pa, "valid", False))

    @property
    def attack_suspected(self) -> bool:
        return any(p.kind == "attack" for p in self.findings)

    @property
    def verified(self) -> bool:
        """Passive authentication ran and passed, the required authentication of the chip succeeded, and no
        finding is an attack or a failure."""
        return (
            not self.errors
            and self.passive_auth_valid is True
            and not self.clone_suspected
            and not self.problems
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: no raw files, no face image."""
        return {
            "access": self.access,
            "files_read": list(self.files_read),
            "access_protected": list(self.access_protected),
            "mrz": mrz_dict(self.mrz),
            "face": self.face.as_dict() if self.face else None,
            "passive_auth": passive_auth_dict(self.passive_auth),
            "active_auth": self.active_auth.as_dict(),
            "chip_auth": self.chip_auth.as_dict(),
            "clone_suspected": self.clone_suspected,
            "verified": self.verified,
            "attack_suspected": self.attack_suspected,
            "problems": self.problems,
            "findings": [p.as_dict() for p in self.findings],
            "data_groups_in_sod": list(self.data_groups_in_sod),
            "sm_mac_failures": self.sm_mac_failures,
            "apdus": self.apdus,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "extended_length": self.extended_length,
            "sessions": self.sessions,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def mrz_dict(mrz: Any) -> dict[str, Any] | None:
    if mrz is None:
        return None
    keys = (
        "layout", "document_code", "issuing_state", "document_number", "surname", "given_names",
        "nationality", "birth_date", "sex", "expiry_date", "optional_data",
    )
    out = {k: getattr(mrz, k, None) for k in keys}
    out["valid"] = bool(getattr(mrz, "valid", False))
    return out


PASSIVE_AUTH_FIELDS = (
    "sod_signature_valid", "chain_valid", "signer_country", "issuer_matches", "dg_hashes_valid", "errors",
)


def passive_auth_dict(result: Any) -> dict[str, Any] | None:
    """The passive-authentication result as JSON; the fields named in PASSIVE_AUTH_FIELDS always appear."""
    if result is None:
        return None
    if hasattr(result, "as_dict"):
        out = dict(result.as_dict())
    elif dataclasses.is_dataclass(result):
        out = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    else:
        out = {}
    for key in PASSIVE_AUTH_FIELDS:
        out.setdefault(key, getattr(result, key, None))
    out.setdefault("valid", getattr(result, "valid", None))
    return {k: _jsonable(v) for k, v in out.items()}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)
