"""Risk rules from configuration: a rule whose conditions all hold refers (or refuses) the traveller and the
decision names it. A fact the gate does not know counts as matching: rules only add scrutiny."""

from __future__ import annotations

from gatectl.policy.checks import age_on
from gatectl.policy.model import Reason, TransactionFacts
from gatectl.policy.settings import PolicySettings, RiskRule, RuleCondition, normalise_code


def _code_matches(value: str | None, codes: list[str] | None) -> bool:
    return codes is None or value is None or normalise_code(value) in codes


def condition_holds(when: RuleCondition, f: TransactionFacts) -> bool:
    if not (_code_matches(f.issuer, when.issuer) and _code_matches(f.nationality, when.nationality)
            and _code_matches(f.document_type, when.document_type)):
        return False
    if when.trusted is not None and bool(f.trusted) != when.trusted:
        return False
    known_age = f.date_of_birth is not None and f.date_of_birth <= f.today
    years = age_on(f.date_of_birth, f.today) if known_age else None
    if when.age_below is not None and years is not None and years >= when.age_below:
        return False
    return not (when.age_at_least is not None and years is not None and years < when.age_at_least)


def rule_reason(rule: RiskRule) -> Reason:
    message = rule.message or f"Risk rule '{rule.name}' applies."
    return Reason("risk_rule", message, f"rules.{rule.name}", rule.action)


def risk_rules(s: PolicySettings, f: TransactionFacts) -> list[Reason]:
    return [rule_reason(rule) for rule in s.rules if condition_holds(rule.when, f)]
