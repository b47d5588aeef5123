"""The ``[policy]`` section of the gate configuration: who may use the gate, which checks must pass, what a
failure leads to, and the risk rules. Every key and its default is in docs/policy.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Action = Literal["refer", "refuse"]
CheckName = Literal["passive_authentication", "chip_authenticity", "face", "presentation_attack", "sltd", "watchlist"]
ALL_CHECKS: tuple[CheckName, ...] = (
    "passive_authentication", "chip_authenticity", "face", "presentation_attack", "sltd", "watchlist")

# Every failure the policy knows, with what it leads to unless [policy.on_failure] says otherwise. Nothing
# opens the exit; "refuse" sends the traveller to a staffed booth, "refer" calls an officer to the gate.
DEFAULT_ON_FAILURE: dict[str, Action] = {
    "document_type_not_eligible": "refuse",
    "issuer_not_eligible": "refuse",
    "document_expired": "refuse",
    "validity_too_short": "refer",
    "expiry_unknown": "refer",
    "minor": "refer",
    "age_unknown": "refer",
    "document_not_verified": "refer",
    "document_problem": "refer",
    "chip_authenticity_failed": "refer",
    "chip_authenticity_not_supported": "refer",
    "face_mismatch": "refer",
    "presentation_attack": "refer",
    "sltd_hit": "refer",
    "watchlist_hit": "refer",
    "list_unavailable": "refer",
    "list_stale": "refer",
    "check_not_run": "refer",
}
FailureCode = Literal[tuple(DEFAULT_ON_FAILURE)]  # type: ignore[valid-type]


def normalise_code(code: str) -> str:
    """ICAO codes as the MRZ writes them: ``"D<<"`` and ``"d"`` are ``"D"``, and so is ``"DEU"`` (Germany's
    ISO code, which its MRZ does not use; ``denied_issuers = ["DEU"]`` must still deny German documents)."""
    code = code.strip().upper().rstrip("<").replace("<", "")
    return "D" if code == "DEU" else code


def _codes(values: list[str]) -> list[str]:
    codes = [normalise_code(v) for v in values]
    if any(not c for c in codes):
        raise ValueError("an empty code")
    return codes


Codes = Annotated[list[str], AfterValidator(_codes)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class RuleCondition(_Strict):
    """When a risk rule applies: every condition given must hold; a list holds if any of its codes matches.
    A fact the gate does not know (no date of birth, say) counts as matching: rules only add scrutiny."""

    issuer: Codes | None = None
    nationality: Codes | None = None
    document_type: Codes | None = None
    age_below: int | None = Field(default=None, ge=0, le=150)
    age_at_least: int | None = Field(default=None, ge=0, le=150)
    trusted: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> RuleCondition:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("a rule needs at least one condition (issuer, nationality, document_type, "
                             "age_below, age_at_least, trusted)")
        return self


class RiskRule(_Strict):
    name: str = Field(min_length=1, max_length=80)
    when: RuleCondition
    action: Action = "refer"
    message: str | None = Field(default=None, max_length=200)  # for the officer; no personal data


class PolicySettings(_Strict):
    document_types: Codes = Field(default_factory=lambda: ["P"])
    denied_document_types: Codes = Field(default_factory=list)
    issuers: Codes = Field(default_factory=list)  # empty: every issuer not denied
    denied_issuers: Codes = Field(default_factory=list)
    minimum_age: int = Field(default=18, ge=0, le=150)
    min_validity_days: int = Field(default=0, ge=0, le=3650)
    required_checks: list[CheckName] = Field(default_factory=lambda: list(ALL_CHECKS))
    accept_chip_without_authenticity: bool = False
    on_failure: dict[FailureCode, Action] = Field(default_factory=dict, validate_default=True)
    random_referral_share: float = Field(default=0.0, ge=0.0, le=1.0)
    random_seed: int | None = None
    trusted_skip_random_referral: bool = True
    rules: list[RiskRule] = Field(default_factory=list)

    @field_validator("on_failure")
    @classmethod
    def _with_defaults(cls, value: dict[str, Action]) -> dict[str, Action]:
        return {**DEFAULT_ON_FAILURE, **value}

    @field_validator("required_checks")
    @classmethod
    def _unique_checks(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, value: list[RiskRule]) -> list[RiskRule]:
        names = [r.name for r in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return value

    def action_for(self, code: str) -> Action:
        return self.on_failure.get(code, DEFAULT_ON_FAILURE.get(code, "refer"))
