"""The controller's steps turn every failure of the chip read into a problem code, never a traceback."""

from __future__ import annotations

import pytest

from gatectl import steps
from passport.errors import AccessControlError, AttackSuspected, PaceCheckFailed, PassportError


class _Reader:
    """Only the connect/disconnect the step calls around the read sequence, which is replaced here."""

    disconnected = False

    def connect(self) -> None:
        pass

    def disconnect(self, reset: bool = False) -> None:
        self.disconnected = True


@pytest.mark.parametrize(
    ("exc", "problem"),
    [
        (AttackSuspected("token", code="pace_check_failed"), steps.ATTACK_SUSPECTED),
        (PaceCheckFailed("PACE failed: the chip's authentication token does not verify"), steps.ATTACK_SUSPECTED),
        (AccessControlError("PACE failed: wrong password?"), "access_denied"),
        (PassportError("garbage"), "chip_error"),
    ],
)
def test_chip_read_failures_become_problem_codes(monkeypatch: pytest.MonkeyPatch, exc: Exception,
                                                problem: str) -> None:
    import passport.reader

    def read_passport(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(passport.reader, "read_passport", read_passport)
    reader = _Reader()
    with pytest.raises(steps.StepFailed) as failed:
        steps.read_chip(reader, mrz=None, trust=None, on_dg2=None)
    assert failed.value.problem == problem and reader.disconnected


def test_a_name_without_letters_is_not_screened_clean() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from gatectl.policy import Policy, PolicySettings

    class Store:
        def stale_kinds(self, max_age_h: float) -> list[str]:
            return []

        def screen_traveller(self, **kwargs: object) -> object:
            return SimpleNamespace(sltd_hit=False, watchlist_hits=[], trusted=False,
                                   versions={"sltd": "s@1", "watchlist": "w@1", "trusted": "t@1"})

    mrz = SimpleNamespace(name_field="<<<<<<", document_type="P", issuing_state="UTO", nationality="UTO",
                          document_number="L898902C3", birth=lambda today: dt.date(1974, 8, 12),
                          expiry=lambda: dt.date(2030, 1, 1))
    decision, evidence, checks = steps.decide(Policy(PolicySettings()), Store(), mrz, None, None,
                                              dt.date(2026, 12, 1), 24)
    assert checks["watchlist_hits"] is None and decision.outcome != "admit"
