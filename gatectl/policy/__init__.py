"""Gate policy: from a transaction's facts to admit, refer or refuse, with reasons (docs/policy.md)."""

from gatectl.policy.engine import Policy
from gatectl.policy.model import Decision, Reason, TransactionFacts
from gatectl.policy.settings import DEFAULT_ON_FAILURE, PolicySettings, RiskRule, RuleCondition

__all__ = [
    "DEFAULT_ON_FAILURE",
    "Decision",
    "Policy",
    "PolicySettings",
    "Reason",
    "RiskRule",
    "RuleCondition",
    "TransactionFacts",
]
