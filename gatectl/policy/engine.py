"""The decision: every check and rule is evaluated (the officer sees every reason, not the first), then
refuse beats refer beats admit. Only a traveller with no failure and no rule against them is admitted, and of
those a configured share is referred at random for quality control (trusted travellers may be exempt)."""

from __future__ import annotations

import random

from gatectl.policy import checks
from gatectl.policy.model import Decision, Reason, TransactionFacts
from gatectl.policy.rules import risk_rules
from gatectl.policy.settings import PolicySettings

_SEVERITY = {"refuse": 0, "refer": 1, "admit": 2}
CLEARED = Reason("cleared", "All required checks passed.", None, "admit")
TRUSTED_EXEMPT = Reason("trusted_traveller", "Enrolled trusted traveller: exempt from random referral.",
                        "trusted_skip_random_referral", "admit")
FACTS_INVALID = Reason("facts_invalid", "The transaction's results could not be evaluated.", None, "refer")


class Policy:
    """Decides admit, refer or refuse from a transaction's facts (docs/policy.md)."""

    def __init__(self, settings: PolicySettings | None = None, rng: random.Random | None = None):
        self.settings = settings or PolicySettings()
        if rng is None:
            seed = self.settings.random_seed
            rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._rng = rng

    def findings(self, facts: TransactionFacts) -> list[Reason]:
        """Every failure and applicable risk rule, in evaluation order."""
        found = [reason for check in checks.ALL for reason in check(self.settings, facts)]
        return found + risk_rules(self.settings, facts)

    def decide(self, facts: TransactionFacts) -> Decision:
        try:
            found = self.findings(facts)
        except (TypeError, ValueError, AttributeError, OverflowError):
            return Decision("refer", [FACTS_INVALID], trusted=False)  # fail closed, never a traceback
        trusted = facts.trusted is True
        if found:
            found.sort(key=lambda r: _SEVERITY[r.action])  # stable: evaluation order within an action
            return Decision(found[0].action, found, trusted=trusted)
        return self._cleared(trusted)

    def _cleared(self, trusted: bool) -> Decision:
        share = self.settings.random_referral_share
        if trusted and self.settings.trusted_skip_random_referral:
            return Decision("admit", [CLEARED, TRUSTED_EXEMPT], trusted=True)
        if share > 0 and self._rng.random() < share:
            reason = Reason("random_referral",
                            f"Selected at random for a quality-control check ({share:.1%} of cleared travellers).",
                            "random_referral_share", "refer")
            return Decision("refer", [reason], random_referral=True, trusted=trusted)
        return Decision("admit", [CLEARED], trusted=trusted)
