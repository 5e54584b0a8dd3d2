"""What BUP will miss in a referral: the completeness check shown before submitting."""

from __future__ import annotations

from dataclasses import dataclass

from referral_service.domain.types import JSONObject
from referral_service.errors import Reason
from referral_service.workflows.consent import AGE_CHILD_IS_HEARD, consent_problems
from referral_service.workflows.gaps import Gap

#: Below this many characters a description tells BUP too little to assess.
MIN_DESCRIPTION_LENGTH = 30


#: What stops a referral from being sent: what the law or the service needs (a child within the service's ages,
#: a consent that fits the child's age, a reason, a real home municipality; the identity number and the clinic
#: the form itself requires). The
#: rest BUP would miss is a warning: the referral is sent with it, and BUP sees it (henvisningsveilederen: an
#: incomplete referral is still assessed; BUP asks for what it needs).
BLOCKING = frozenset({Gap.REASONS, Gap.HOME_MUNICIPALITY, Gap.CONSENT_MISSING, Gap.YOUNG_PERSON_MUST_CONSENT,
                      Gap.GUARDIANS_MUST_CONSENT, Gap.MUST_SHARE_WITH_BUP, Gap.MUST_SHARE_WITH_REFERRER,
                      Gap.WITHHOLDING_ONLY_FROM_12_TO_16, Gap.BIRTH_DATE_IN_FUTURE, Gap.AGE_OUTSIDE_SERVICE})


@dataclass(frozen=True)
class Missing:
    """One thing BUP will miss: the field that asks for it, and what is missing."""

    field: str
    code: Gap

    @property
    def reason(self) -> Reason:
        return self.code.reason

    @property
    def message(self) -> str:
        return self.code.sentence

    @property
    def blocking(self) -> bool:
        """Whether it stops the referral from being sent (else BUP is told of it)."""
        return self.code in BLOCKING


@dataclass(frozen=True)
class ReferralDraft:
    """The parts of a referral the completeness check looks at."""

    age: int
    reasons: list[str]
    description: str
    measures_tried: str
    child_view: str
    guardians: list[JSONObject]
    consent_given_by: list[str]
    consent_share_with: list[str]
    withhold_from_guardians: bool = False
    referrer_kind: str = ""
    #: Whether the home municipality's number is in force in the municipality register.
    home_municipality_known: bool = True
    #: Why the child is outside the service's ages today (workflows/age_range.py), if it is.
    age_refusal: Gap | None = None


def missing_items(draft: ReferralDraft) -> list[Missing]:
    """Every item BUP would miss, in the order the form asks for them."""
    missing: list[Missing] = []
    if draft.age_refusal is not None:
        missing.append(Missing("child.birth_date", draft.age_refusal))
    if not draft.home_municipality_known:
        missing.append(Missing("child.home_municipality", Gap.HOME_MUNICIPALITY))
    if draft.age < 18 and not draft.guardians:
        missing.append(Missing("child.guardians", Gap.GUARDIANS))
    if not draft.reasons:
        missing.append(Missing("reasons", Gap.REASONS))
    if len(draft.description.strip()) < MIN_DESCRIPTION_LENGTH:
        missing.append(Missing("description", Gap.DESCRIPTION_TOO_SHORT))
    if not draft.measures_tried.strip():
        missing.append(Missing("measures_tried", Gap.MEASURES_TRIED))
    if draft.age >= AGE_CHILD_IS_HEARD and not draft.child_view.strip():
        missing.append(Missing("child_view", Gap.CHILD_VIEW))
    for problem in consent_problems(
        age=draft.age,
        given_by=draft.consent_given_by,
        share_with=draft.consent_share_with,
        withhold_from_guardians=draft.withhold_from_guardians,
        referrer_kind=draft.referrer_kind,
    ):
        missing.append(Missing("consent", problem))
    return missing
