"""Policy: each failure and rule, the order refuse > refer > admit, the random share, fail-closed handling of
checks that did not run, and the property that a failed required check never admits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gatectl.policy import DEFAULT_ON_FAILURE, Policy, PolicySettings, TransactionFacts

TODAY = dt.date(2026, 12, 1)
GOOD = TransactionFacts(
    document_type="P", issuer="D", nationality="DEU", date_of_birth=dt.date(1980, 5, 17),
    expiry=dt.date(2030, 1, 1), today=TODAY, document_verified=True, chip_authenticity="verified",
    document_problems=[], face_match=True, face_distance=0.41, face_threshold=0.54, pad_attack=False,
    pad_score=0.1, sltd_hit=False, watchlist_hits=0, trusted=False,
    list_versions={"sltd": "2026-12-01.1", "watchlist": "7", "trusted": "3"},
)


def decide(facts: TransactionFacts = GOOD, **policy: object) -> object:
    return Policy(PolicySettings.model_validate(policy), random.Random(0)).decide(facts)


def with_(**changes: object) -> TransactionFacts:
    return dataclasses.replace(GOOD, **changes)


def codes(decision: object) -> list[str]:
    return [r.code for r in decision.reasons]


def test_good_traveller_is_admitted_with_a_reason() -> None:
    d = decide()
    assert (d.outcome, codes(d), d.random_referral) == ("admit", ["cleared"], False)


@pytest.mark.parametrize(("changes", "code", "outcome"), [
    ({"document_type": "ID"}, "document_type_not_eligible", "refuse"),
    ({"issuer": "XYZ"}, "issuer_not_eligible", "admit"),  # no allow list: every issuer
    ({"expiry": TODAY - dt.timedelta(days=1)}, "document_expired", "refuse"),
    ({"expiry": None}, "expiry_unknown", "refer"),
    ({"date_of_birth": dt.date(2010, 1, 1)}, "minor", "refer"),
    ({"date_of_birth": None}, "age_unknown", "refer"),
    ({"document_verified": False}, "document_not_verified", "refer"),
    ({"document_problems": ["dg1_mrz_mismatch"]}, "document_problem", "refer"),
    ({"chip_authenticity": "failed"}, "chip_authenticity_failed", "refer"),
    ({"chip_authenticity": "not_supported"}, "chip_authenticity_not_supported", "refer"),
    ({"face_match": False, "face_distance": 0.61}, "face_mismatch", "refer"),
    ({"face_distance": 0.60}, "face_mismatch", "refer"),  # "match" contradicted by its own figures
    ({"face_distance": float("nan")}, "face_mismatch", "refer"),  # a "match" whose distance is no number
    ({"pad_attack": True, "pad_score": 0.93}, "presentation_attack", "refer"),
    ({"sltd_hit": True}, "sltd_hit", "refer"),
    ({"watchlist_hits": 2}, "watchlist_hit", "refer"),
    ({"list_versions": {"sltd": None, "watchlist": "7"}}, "sltd_unavailable", "refer"),
    ({"stale_lists": ["watchlist"]}, "watchlist_stale", "refer"),
])
def test_each_failure_with_its_default_action(changes: dict, code: str, outcome: str) -> None:
    d = decide(with_(**changes))
    assert d.outcome == outcome
    if outcome != "admit":
        assert codes(d) == [code] and d.reasons[0].rule.startswith("on_failure.")


def test_expiry_on_the_day_is_valid_and_minimum_validity() -> None:
    assert decide(with_(expiry=TODAY)).outcome == "admit"
    d = decide(with_(expiry=TODAY + dt.timedelta(days=30)), min_validity_days=90)
    assert codes(d) == ["validity_too_short"] and d.outcome == "refer"


def test_birthday_decides_minority() -> None:
    assert decide(with_(date_of_birth=dt.date(2008, 12, 1))).outcome == "admit"  # 18 today
    assert decide(with_(date_of_birth=dt.date(2008, 12, 2))).outcome == "refer"
    assert decide(with_(date_of_birth=dt.date(2010, 1, 1)), minimum_age=0).outcome == "admit"


def test_on_failure_table_turns_refer_into_refuse_and_back() -> None:
    assert decide(with_(face_match=False), on_failure={"face_mismatch": "refuse"}).outcome == "refuse"
    assert decide(with_(expiry=TODAY - dt.timedelta(days=1)), on_failure={"document_expired": "refer"}).outcome == "refer"
    assert PolicySettings().on_failure == DEFAULT_ON_FAILURE


def test_document_type_and_issuer_lists() -> None:
    assert decide(with_(document_type="PD")).outcome == "admit"  # "P" covers every passport code
    assert codes(decide(with_(document_type="PD"), denied_document_types=["PD"])) == ["document_type_not_eligible"]
    assert decide(with_(document_type="I<"), document_types=["P", "I"]).outcome == "admit"
    assert decide(with_(issuer="D<<"), issuers=["D", "NLD"]).outcome == "admit"
    assert codes(decide(with_(issuer="FRA"), issuers=["D", "NLD"])) == ["issuer_not_eligible"]
    # Germany's MRZ code is D, its ISO code DEU: either in the configuration means German documents.
    assert codes(decide(with_(issuer="D<<"), denied_issuers=["DEU"])) == ["issuer_not_eligible"]
    assert decide(with_(issuer="D"), issuers=["DEU"]).outcome == "admit"
    rule = [{"name": "de", "when": {"nationality": ["D"]}, "action": "refuse"}]
    assert decide(with_(nationality="DEU"), rules=rule).outcome == "refuse"
    assert codes(decide(with_(issuer="NLD"), denied_issuers=["nld"])) == ["issuer_not_eligible"]


def test_chip_without_authenticity_can_be_accepted() -> None:
    assert decide(with_(chip_authenticity="not_supported"), accept_chip_without_authenticity=True).outcome == "admit"
    # ... but a chip that fails authentication is still referred
    assert decide(with_(chip_authenticity="failed"), accept_chip_without_authenticity=True).outcome == "refer"


@pytest.mark.parametrize(("changes", "code"), [
    ({"document_verified": None}, "passive_authentication_not_run"),
    ({"chip_authenticity": "not_run"}, "chip_authenticity_not_run"),
    ({"chip_authenticity": "garbage"}, "chip_authenticity_not_run"),
    ({"face_match": None}, "face_not_run"),
    ({"pad_attack": None}, "presentation_attack_not_run"),
    ({"sltd_hit": None}, "sltd_not_run"),
    ({"watchlist_hits": None}, "watchlist_not_run"),
])
def test_required_check_not_run_is_not_a_pass(changes: dict, code: str) -> None:
    d = decide(with_(**changes))
    assert d.outcome == "refer" and codes(d) == [code] and d.reasons[0].rule == "on_failure.check_not_run"


def test_check_not_required_may_be_skipped_but_its_failure_counts() -> None:
    lax = {"required_checks": ["passive_authentication", "face", "sltd", "watchlist"]}
    assert decide(with_(pad_attack=None, chip_authenticity="not_run"), **lax).outcome == "admit"
    assert decide(with_(pad_attack=True), **lax).outcome == "refer"
    assert decide(with_(chip_authenticity="failed"), **lax).outcome == "refer"


def test_refuse_beats_refer_beats_admit_and_every_reason_is_kept() -> None:
    d = decide(with_(face_match=False, sltd_hit=True, expiry=TODAY - dt.timedelta(days=3)))
    assert d.outcome == "refuse"
    assert codes(d) == ["document_expired", "face_mismatch", "sltd_hit"]
    assert [r.action for r in d.reasons] == ["refuse", "refer", "refer"]
    d = decide(with_(face_match=False), rules=[{"name": "all", "when": {"issuer": ["D"]}, "action": "refuse"}])
    assert d.outcome == "refuse" and codes(d) == ["risk_rule", "face_mismatch"]


def test_risk_rules_over_issuer_nationality_type_and_age() -> None:
    rules = [
        {"name": "young-xyz", "when": {"issuer": ["XYZ"], "age_below": 25}, "action": "refer"},
        {"name": "nationality-abc", "when": {"nationality": ["ABC"]}, "message": "Second-line check."},
        {"name": "diplomatic", "when": {"document_type": ["PD"]}, "action": "refuse"},
        {"name": "elderly", "when": {"age_at_least": 90}},
    ]
    d = decide(with_(issuer="XYZ", date_of_birth=dt.date(2005, 1, 1)), rules=rules)
    assert (d.outcome, codes(d), d.reasons[0].rule) == ("refer", ["risk_rule"], "rules.young-xyz")
    assert decide(with_(issuer="XYZ"), rules=rules).outcome == "admit"  # 46 years old
    d = decide(with_(nationality="ABC"), rules=rules)
    assert d.reasons[0].message == "Second-line check." and d.reasons[0].rule == "rules.nationality-abc"
    assert decide(with_(document_type="PD"), rules=rules).outcome == "refuse"
    assert decide(with_(date_of_birth=dt.date(1930, 1, 1)), rules=rules).reasons[0].rule == "rules.elderly"


def test_unknown_age_matches_an_age_rule() -> None:
    rule = [{"name": "under-21", "when": {"age_below": 21}}]
    d = decide(with_(date_of_birth=None), minimum_age=0, rules=rule)
    assert d.reasons[0].rule == "rules.under-21"


def test_rule_on_trusted_travellers_only() -> None:
    rule = [{"name": "not-enrolled-xyz", "when": {"issuer": ["XYZ"], "trusted": False}}]
    assert decide(with_(issuer="XYZ"), rules=rule).outcome == "refer"
    assert decide(with_(issuer="XYZ", trusted=True), rules=rule).outcome == "admit"


def test_random_share_with_fixed_seed() -> None:
    policy = Policy(PolicySettings(random_referral_share=0.05), random.Random(1234))
    decisions = [policy.decide(GOOD) for _ in range(20_000)]
    referred = [d for d in decisions if d.outcome == "refer"]
    assert 0.045 < len(referred) / len(decisions) < 0.055  # 5 % +- 7 standard errors
    assert all(d.random_referral and d.reasons[0].rule == "random_referral_share" for d in referred)
    again = Policy(PolicySettings(random_referral_share=0.05), random.Random(1234))
    assert [again.decide(GOOD).outcome for _ in range(500)] == [d.outcome for d in decisions[:500]]
    first, second = (Policy(PolicySettings(random_referral_share=0.5, random_seed=7)) for _ in range(2))
    assert [first.decide(GOOD).outcome for _ in range(50)] == [second.decide(GOOD).outcome for _ in range(50)]


def test_random_referral_only_for_cleared_travellers_and_trusted_exempt() -> None:
    policy = Policy(PolicySettings(random_referral_share=1.0), random.Random(0))
    assert policy.decide(GOOD).random_referral
    failed = policy.decide(with_(face_match=False))
    assert not failed.random_referral and codes(failed) == ["face_mismatch"]
    trusted = policy.decide(with_(trusted=True))
    assert trusted.outcome == "admit" and codes(trusted) == ["cleared", "trusted_traveller"]
    lax = Policy(PolicySettings(random_referral_share=1.0, trusted_skip_random_referral=False), random.Random(0))
    assert lax.decide(with_(trusted=True)).random_referral


def test_trusted_traveller_is_not_spared_any_check() -> None:
    d = decide(with_(trusted=True, watchlist_hits=1, face_match=None))
    assert d.outcome == "refer" and codes(d) == ["face_not_run", "watchlist_hit"]


def test_messages_hold_no_personal_data() -> None:
    d = decide(with_(date_of_birth=dt.date(2012, 3, 4), face_match=False, watchlist_hits=1, sltd_hit=True))
    text = " ".join(r.message for r in d.reasons)
    assert "2012" not in text and "DEU" not in text
    assert d.as_dict()["reasons"][0]["code"] == "minor"


def test_document_text_is_not_echoed_unless_it_is_a_code() -> None:
    d = decide(with_(document_type="MUSTERMANN ERIKA", issuer="C01X00T47"), issuers=["D"])
    assert [r.message for r in d.reasons] == ["Document type unknown is not accepted at this gate.",
                                              "Documents issued by unknown are not accepted at this gate."]
    assert decide(with_(issuer="XYZ"), issuers=["D"]).reasons[0].message == \
        "Documents issued by XYZ are not accepted at this gate."


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        PolicySettings.model_validate({
            "on_failure": {"face_mismatch": "admit", "nonsense": "refer"}, "random_referral_share": 1.5,
            "minimum_age": "18", "rules": [{"name": "a", "when": {}}, {"name": "b", "when": {"age": 3}}],
            "required_checks": ["face", "iris"], "colour": "red"})
    locations = {".".join(map(str, e["loc"])) for e in info.value.errors()}
    assert {"on_failure.face_mismatch", "random_referral_share", "minimum_age", "rules.0.when",
            "rules.1.when.age", "required_checks.1", "colour"} <= locations
    with pytest.raises(ValidationError, match="unique"):
        PolicySettings.model_validate({"rules": [{"name": "a", "when": {"trusted": True}}] * 2})


def test_nonsense_facts_refer_instead_of_crashing() -> None:
    d = decide(with_(date_of_birth="1980-01-01", expiry=12))  # type: ignore[arg-type]
    assert d.outcome == "refer" and codes(d) == ["facts_invalid"]


CHECK_FAILURES = {
    "passive_authentication": [{"document_verified": False}, {"document_verified": None}],
    "chip_authenticity": [{"chip_authenticity": "failed"}, {"chip_authenticity": "not_run"},
                          {"chip_authenticity": "not_supported"}],
    "face": [{"face_match": False}, {"face_match": None}],
    "presentation_attack": [{"pad_attack": True}, {"pad_attack": None}],
    "sltd": [{"sltd_hit": True}, {"sltd_hit": None}, {"list_versions": {"watchlist": "7"}},
             {"stale_lists": ["sltd"]}],
    "watchlist": [{"watchlist_hits": 1}, {"watchlist_hits": None}, {"list_versions": {"sltd": "1"}},
                  {"stale_lists": ["watchlist"]}],
}
facts_strategy = st.builds(
    TransactionFacts,
    document_type=st.sampled_from(["P", "PD", "ID", "V", None]),
    issuer=st.sampled_from(["D", "NLD", "XYZ", "UNO", None]),
    nationality=st.sampled_from(["DEU", "NLD", "ABC", None]),
    date_of_birth=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2030, 1, 1))),
    expiry=st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2040, 1, 1))),
    today=st.just(TODAY),
    document_verified=st.sampled_from([True, False, None]),
    chip_authenticity=st.sampled_from(["verified", "failed", "not_supported", "not_run"]),
    document_problems=st.lists(st.sampled_from(["dg1_mrz_mismatch", "dg_hash_mismatch"]), max_size=2),
    face_match=st.sampled_from([True, False, None]),
    face_distance=st.one_of(st.none(), st.floats(0, 1.5)),
    face_threshold=st.just(0.54),
    pad_attack=st.sampled_from([True, False, None]),
    pad_score=st.one_of(st.none(), st.floats(0, 1)),
    sltd_hit=st.sampled_from([True, False, None]),
    watchlist_hits=st.one_of(st.none(), st.integers(0, 3)),
    trusted=st.booleans(),
    list_versions=st.fixed_dictionaries({}, optional={"sltd": st.sampled_from(["1", None]),
                                                      "watchlist": st.sampled_from(["7", None])}),
)
settings_strategy = st.builds(
    lambda required, share, actions, accept: PolicySettings(
        required_checks=required, random_referral_share=share, on_failure=actions,
        accept_chip_without_authenticity=accept),
    st.lists(st.sampled_from(list(CHECK_FAILURES)), min_size=1, unique=True),
    st.floats(0, 1),
    st.dictionaries(st.sampled_from(list(DEFAULT_ON_FAILURE)), st.sampled_from(["refer", "refuse"])),
    st.just(False),
)


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, policy_settings=settings_strategy, data=st.data())
def test_failed_required_check_never_admits(facts: TransactionFacts, policy_settings: PolicySettings,
                                            data: st.DataObject) -> None:
    check = data.draw(st.sampled_from(policy_settings.required_checks))
    failing = dataclasses.replace(facts, **data.draw(st.sampled_from(CHECK_FAILURES[check])))
    decision = Policy(policy_settings, random.Random(0)).decide(failing)
    assert decision.outcome != "admit"
    assert decision.reasons and all(r.action in ("refer", "refuse") for r in decision.reasons)


@settings(max_examples=200, deadline=None)
@given(facts=facts_strategy, policy_settings=settings_strategy)
def test_admit_only_when_every_required_check_passed(facts: TransactionFacts, policy_settings: PolicySettings) -> None:
    decision = Policy(policy_settings, random.Random(0)).decide(facts)
    if decision.outcome == "admit":
        required = policy_settings.required_checks
        assert facts.document_verified is True or "passive_authentication" not in required
        assert facts.face_match is True or "face" not in required
        assert facts.pad_attack is False or "presentation_attack" not in required
        assert facts.sltd_hit is False or "sltd" not in required
        assert facts.watchlist_hits == 0 or "watchlist" not in required
        assert facts.expiry is not None and facts.expiry >= TODAY and not facts.document_problems
    assert decision.reasons


def test_decision_and_facts_go_into_the_audit_log(tmp_path) -> None:
    from gatectl.audit import AuditLog

    log = AuditLog(tmp_path / "audit.sqlite", bytes(32))
    d = decide(with_(face_match=False, face_distance=0.61))
    tx = log.begin_transaction("GATE-1")
    log.close_transaction(tx, d.outcome, d.reasons_as_dicts(),
                          {"facts": with_(face_match=False, face_distance=0.61).audit_summary(),
                           "random_referral": d.random_referral})
    assert log.verify().ok
