"""Consent rules by age (pasient- og brukerrettighetsloven ch. 4)."""

from __future__ import annotations

from collections.abc import Iterable

from referral_service.domain.enums import ConsentGiver, OrganisationKind, ShareWith

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
                     withhold_from_guardians: bool = False, referrer_kind: str = "") -> list[str]:
    """Why this consent does not fit a child of this age (empty when it does)."""
    givers, scope = set(given_by), set(share_with)
    problems: list[str] = []
    if not givers:
        problems.append("Det mangler samtykke.")
    elif age >= AGE_OF_CONSENT and ConsentGiver.CHILD not in givers:
        problems.append("Fra 16 år må ungdommen selv samtykke.")
    elif age < AGE_OF_CONSENT and not givers & {ConsentGiver.GUARDIAN, ConsentGiver.CHILD_WELFARE}:
        problems.append("Under 16 år må foresatte (eller barnevernet) samtykke.")
    if givers and ShareWith.BUP not in scope:
        problems.append("Samtykket må omfatte deling med BUP.")
    own_scope = scope_needed(referrer_kind)
    if givers and own_scope is not None and own_scope not in scope:
        problems.append("Samtykket må omfatte deling med henviseren selv (skole/PPT).")
    if withhold_from_guardians and not AGE_MAY_WITHHOLD_FROM_GUARDIANS <= age < AGE_OF_CONSENT:
        problems.append("Bare barn fra 12 til 16 år kan be om at foresatte ikke får informasjon.")
    return problems
