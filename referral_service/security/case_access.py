"""Need-to-know in the child's case: how much of each of the child's referrals a reader may see.

The reader opens the case through a referral it may see (security/visibility.py). Of the child's other
referrals: those it takes part in, in full; BUP, of another clinic's, that they exist and what they concluded;
a referrer, the advice BUP gave the municipality where the consent of that referral shares it with the
municipality (and lets the referrer's kind see it). Everything else stays out of the case, drafts always.
"""

from __future__ import annotations

from referral_service.domain.enums import OrganisationKind, ReferralStatus, Role
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.consent_scope import consent_allows, municipality_may_see
from referral_service.workflows.case_entries import CaseDetail


def case_detail_for(actor: Actor, referral: Referral, *, takes_part: bool) -> CaseDetail:
    """`takes_part`: the referral passes `visible_referrals(actor)`."""
    if takes_part:
        return CaseDetail.FULL
    if referral.status == ReferralStatus.DRAFT:
        return CaseDetail.NONE
    if actor.has_role(Role.BUP_INTAKE) and actor.organisation_kind == OrganisationKind.BUP_CLINIC:
        return CaseDetail.CONCLUSION
    if actor.has_role(Role.REFERRER) and municipality_may_see(referral) and consent_allows(
            actor.organisation_kind, referral, actor.organisation_id):
        return CaseDetail.ADVICE
    return CaseDetail.NONE
