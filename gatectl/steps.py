"""The work of one transaction's steps, run in worker threads: each takes plain inputs and returns a result
the controller feeds back to the state machine. Nothing here touches the machine, the doors or the audit.

Every failure becomes a :class:`StepFailed` with a problem code (``card_removed``, ``access_denied``, ...)
and a message without personal data, so bad input (a garbage MRZ, a chip that lies, broken frames) gives a
clear reason and never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from devices.base import DeviceError
from devices.pcsc_errors import CardRemovedError, NoCardError
from passport.errors import AccessControlError, AttackSuspected, PassportError, TransportError

log = logging.getLogger(__name__)

PORTRAIT_WAIT_S = 30.0
ATTACK_SUSPECTED = "chip_attack_suspected"  # the one chip-read problem that is referred at once, not retried


class StepFailed(Exception):
    """A step could not be completed; ``problem`` is a short code for the audit, officer and kiosk."""

    def __init__(self, problem: str, message: str):
        super().__init__(message)
        self.problem = problem


# -- chip -------------------------------------------------------------------------------------------------


def read_chip(reader: Any, mrz: Any, trust: Any, on_dg2: Any) -> Any:
    """Connect to the card and run the read sequence (PACE, BAC fallback) with the optically read MRZ."""
    from passport.reader import read_passport

    try:
        reader.connect()
        try:
            return read_passport(reader, mrz, trust=trust, on_dg2=on_dg2)
        finally:
            reader.disconnect(reset=True)
    except (CardRemovedError, NoCardError) as exc:
        raise StepFailed("card_removed", f"the passport left the reader: {exc}") from None
    except AttackSuspected as exc:  # before AccessControlError: a failed PACE check (PaceCheckFailed) is both
        # a failed cryptographic check (PACE token or mapping, response MACs): no retry, no fallback
        raise StepFailed(ATTACK_SUSPECTED, f"the chip failed a cryptographic check ({exc.code})") from None
    except AccessControlError as exc:
        raise StepFailed("access_denied", f"the chip refused access with the MRZ read optically: {exc}") from None
    except TransportError as exc:
        raise StepFailed("card_removed", f"the link to the chip was lost: {exc}") from None
    except PassportError as exc:
        raise StepFailed("chip_error", f"the chip's answers are unusable: {type(exc).__name__}: {exc}") from None
    except DeviceError as exc:
        raise StepFailed("reader_error", f"the reader failed: {exc}") from None


def read_chip_with_portrait(reader: Any, mrz: Any, trust: Any) -> tuple[Any, Future[Any] | None]:
    """The chip read; the portrait's template starts computing as soon as DG2 is in (it does not wait)."""
    portrait: list[Future[Any]] = []
    chip = read_chip(reader, mrz, trust, lambda dg2: portrait.append(portrait_future(dg2)))
    return chip, (portrait[0] if portrait else None)


@dataclass
class DocumentCheck:
    """What verifying the document found; ``problems`` empty means the document is genuine and consistent."""

    verified: bool
    chip_authenticity: str  # "verified" | "failed" | "not_supported" | "not_run"
    problems: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    passive_auth_ok: bool | None = None  # None: not performed

    @property
    def other_problems(self) -> list[str]:
        """The problems the policy does not already judge from passive and chip authentication."""
        return [p for p in self.problems if p not in _JUDGED_ELSEWHERE]


_JUDGED_ELSEWHERE = ("passive_auth_failed", "passive_auth_not_performed", "clone_suspected")


def check_document(chip: Any, optical_mrz: Any) -> DocumentCheck:
    """Passive authentication, chip authenticity, and the chip's DG1 against the MRZ read optically."""
    problems = list(getattr(chip, "problems", []) or [])  # codes from the read sequence, where it gives them
    pa = chip.passive_auth_valid
    if pa is None:
        problems.append("passive_auth_not_performed")
    elif not pa:
        problems.append("passive_auth_failed")
    if chip.errors:
        problems.append("chip_data_malformed")
    auth = chip.chip_auth if chip.chip_auth.performed else chip.active_auth
    if not auth.performed:
        authenticity = "not_supported"
    elif auth.valid:
        authenticity = "verified"
    else:
        authenticity = "failed"
        problems.append("clone_suspected")
    if chip.mrz is None:
        problems.append("dg1_missing")
    elif tuple(chip.mrz.lines) != tuple(optical_mrz.lines):
        problems.append("dg1_differs_from_printed_mrz")
    if chip.face is None:
        problems.append("no_chip_portrait")
    evidence = {
        "access": chip.access,
        "passive_auth_ok": pa,
        "chip_authenticity": authenticity,
        "files_read_count": len(chip.files_read),
        "read_seconds": round(chip.seconds, 3),
        "warnings_count": len(chip.warnings),
    }
    problems = list(dict.fromkeys(problems))
    return DocumentCheck(not problems, authenticity, problems, evidence, pa)


# -- face -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceOutcome:
    match: bool | None
    distance: float | None
    threshold: float
    pad_attack: bool | None
    pad_score: float | None
    frames: int
    problem: str | None = None
    reasons: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        return {"face_match": self.match, "distance": self.distance, "threshold": self.threshold,
                "pad_attack": self.pad_attack, "pad_score": self.pad_score, "frames_count": self.frames,
                "problem": self.problem}


def verify_face(portrait: Future[Any] | None, session: Any, settings: Any) -> FaceOutcome:
    """Match the best captured frames against the chip portrait's template; score presentation attacks."""
    from biometrics import pad
    from biometrics.matcher import MatchError, verify

    threshold = float(settings.match_threshold)
    frames = session.best() if session is not None else []
    pad_result = pad.evaluate(list(session.pad_samples), settings.pad_threshold) if session is not None else None
    pad_attack = None if pad_result is None else pad_result.attack
    pad_score = None if pad_result is None else round(float(pad_result.score), 4)
    if portrait is None:
        return FaceOutcome(None, None, threshold, pad_attack, pad_score, len(frames), "no_chip_portrait")
    try:
        reference = portrait.result(timeout=PORTRAIT_WAIT_S)
        probes = [c.template() for c in frames]
        decision = verify(reference, probes, threshold, settings.fusion)
    except MatchError as exc:
        return FaceOutcome(None, None, threshold, pad_attack, pad_score, len(frames), "no_live_face", (str(exc),))
    except Exception as exc:  # noqa: BLE001 - PortraitError, a timeout: the face step has no result
        log.info("face verification without result: %s", type(exc).__name__)
        return FaceOutcome(None, None, threshold, pad_attack, pad_score, len(frames), "portrait_unusable")
    reasons = tuple(decision.reasons()) + (tuple(pad_result.reasons()) if pad_result else ())
    return FaceOutcome(decision.match, round(decision.distance, 4), threshold, pad_attack, pad_score,
                       len(frames), None, reasons)


def portrait_future(dg2: bytes) -> Future[Any]:
    """Start computing the chip portrait's template as soon as DG2 has been read (it does not wait)."""
    from biometrics.portrait import start_portrait_template
    from passport.lds.dg2 import decode_dg2
    from passport.lds.image import decode_image

    faces = decode_dg2(dg2).faces
    if not faces:
        failed: Future[Any] = Future()
        failed.set_exception(StepFailed("no_chip_portrait", "DG2 holds no face image"))
        return failed
    # Chip bytes go through the bounded decoder (header checks, worker with memory and time limits).
    return start_portrait_template(faces[0].image_data, decode=decode_image)


# -- lists and decision -----------------------------------------------------------------------------------


def decide(policy: Any, lists: Any, mrz: Any, document: DocumentCheck | None, face: FaceOutcome | None,
           today: dt.date, max_list_age_h: float | None = None) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Screen the lists and let the policy decide; returns the policy's Decision, the screening evidence and
    the facts as the audit records them (no date of birth, nationality or document number)."""
    from gatectl.policy import TransactionFacts

    screening = None
    stale: list[str] = []
    if lists is not None:
        if max_list_age_h is not None:
            stale = lists.stale_kinds(max_list_age_h)
        screening = lists.screen_traveller(
            name=mrz.name_field.rstrip("<"), birth=_iso(mrz.birth(today)), nationality=mrz.nationality,
            document_number=mrz.document_number, issuer=mrz.issuing_state.replace("<", ""),
            document_type=mrz.document_type, today=today,
        )
    facts = TransactionFacts(
        document_type=mrz.document_type,
        issuer=mrz.issuing_state.replace("<", ""),
        nationality=mrz.nationality.replace("<", ""),
        date_of_birth=mrz.birth(today),
        expiry=_expiry(mrz),
        today=today,
        document_verified=document.passive_auth_ok if document else None,
        chip_authenticity=document.chip_authenticity if document else "not_run",
        document_problems=document.other_problems if document else ["chip_not_read"],
        face_match=face.match if face else None,
        face_distance=face.distance if face else None,
        face_threshold=face.threshold if face else None,
        pad_attack=face.pad_attack if face else None,
        pad_score=face.pad_score if face else None,
        sltd_hit=None if screening is None else screening.sltd_hit,
        # None: not screened (no store, or a name with no letters to screen)
        watchlist_hits=None if screening is None or not _screenable(mrz.name_field)
        else len(screening.watchlist_hits),
        trusted=bool(screening and screening.trusted),
        list_versions={} if screening is None else dict(screening.versions),
        stale_lists=stale,
    )
    evidence = {
        "sltd_hit": facts.sltd_hit,
        "watchlist_hits_count": facts.watchlist_hits,
        "watchlist_scores": [round(h.score, 3) for h in screening.watchlist_hits] if screening else [],
        "watchlist_entry_ids": [str(h.entry_id) for h in screening.watchlist_hits] if screening else [],
        "trusted": facts.trusted,
        "list_versions": facts.list_versions,
    }
    decision = policy.decide(facts)
    evidence["random_referral"] = bool(decision.random_referral)
    return decision, evidence, facts.audit_summary()


def _screenable(name: str) -> bool:
    return any(c.isalpha() for c in name)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _expiry(mrz: Any) -> dt.date | None:
    try:
        return mrz.expiry()
    except Exception:  # noqa: BLE001 - an unreadable expiry is for the policy to judge (None)
        return None
