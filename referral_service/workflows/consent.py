"""Consent rules by age (pasient- og brukerrettighetsloven ch. 4)."""

from __future__ import annotations

from collections.abc import Iterable

from referral_service.domain.enums import ConsentGiver, OrganisationKind, ShareWith
from referral_service.workflows.gaps import Gap

#: From this age the young person consents alone (helserettslig myndig).
AGE_OF_CONSENT = 16
#: From this age the child may ask that information be withheld from the guardians.
AGE_MAY_WITHHOLD_FROM_GUARDIANS = 12
#: The child is heard from this age at the latest; its own view is then expected.
AGE_CHILD_IS_HEARD = 7

#: The consent scope an organisation kind needs to see a child's referral. PPT and the school are
#: not health personnel: sharing with them needs consent to share with the school; municipal
#: services need consent to share with the municipality. GPs, school health services and child
#: welfare take part as health personnel or carers without a separate scope.
SCOPE_OF_KIND: dict[str, ShareWith] = {
    OrganisationKind.PPT_OFFICE: ShareWith.SCHOOL,
    OrganisationKind.MUNICIPALITY: ShareWith.MUNICIPALITY,
}


def scope_needed(kind: str) -> ShareWith | None:
    return SCOPE_OF_KIND.get(kind)


def consent_problems(*, age: int, given_by: Iterable[str], share_with: Iterable[str],
                     withhold_from_guardians: bool = False, referrer_kind: str = "") -> list[Gap]:
    """Why this consent does not fit a child of this age (empty when it does)."""
    givers, scope = set(given_by), set(share_with)
    problems: list[Gap] = []
    if not givers:
        problems.append(Gap.CONSENT_MISSING)
    elif age >= AGE_OF_CONSENT and ConsentGiver.CHILD not in givers:
        problems.append(Gap.YOUNG_PERSON_MUST_CONSENT)
    elif age < AGE_OF_CONSENT and not givers & {ConsentGiver.GUARDIAN, ConsentGiver.CHILD_WELFARE}:
        problems.append(Gap.GUARDIANS_MUST_CONSENT)
    if givers and ShareWith.BUP not in scope:
        problems.append(Gap.MUST_SHARE_WITH_BUP)
    own_scope = scope_needed(referrer_kind)
    if givers and own_scope is not None and own_scope not in scope:
        problems.append(Gap.MUST_SHARE_WITH_REFERRER)
    if withhold_from_guardians and not AGE_MAY_WITHHOLD_FROM_GUARDIANS <= age < AGE_OF_CONSENT:
        problems.append(Gap.WITHHOLDING_ONLY_FROM_12_TO_16)
    return problems
