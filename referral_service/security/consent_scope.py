"""Applying the consent scope an organisation needs (workflows.consent) to referrals and queries."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlmodel import col

from referral_service.domain.enums import ChildWelfareBasis, ReferralStatus, ShareWith
from referral_service.domain.referral import Referral
from referral_service.workflows.consent import scope_needed
from referral_service.workflows.partners import child_welfare_may_be_told


def municipality_may_see(referral: Referral) -> bool:
    """The one rule for the municipality: it sees a referral while the consent in force shares it with it."""
    return bool(referral.shared_with_municipality)


def shared_with_municipality() -> ColumnElement[bool]:
    """The same rule as a WHERE clause."""
    return col(Referral.shared_with_municipality).is_(True)


def consent_allows(kind: str, referral: Referral, organisation_id: str) -> bool:
    """Whether the consent in force lets this organisation see the referral.

    A draft has no consent in force yet: only the organisation writing it sees it regardless.
    """
    scope = scope_needed(kind)
    if scope is None or (referral.status == ReferralStatus.DRAFT and referral.referrer_org_id == organisation_id):
        return True
    return referral.shared_with_school if scope is ShareWith.SCHOOL else municipality_may_see(referral)


def consent_clause(kind: str, organisation_id: str) -> ColumnElement[bool]:
    """The same rule as a WHERE clause."""
    scope = scope_needed(kind)
    if scope is None:
        return true()
    shared = col(Referral.shared_with_school).is_(True) if scope is ShareWith.SCHOOL else shared_with_municipality()
    return shared | ((col(Referral.status) == ReferralStatus.DRAFT)
                     & (col(Referral.referrer_org_id) == organisation_id))


def child_welfare_partner_may_know(referral: Referral) -> bool:
    """Whether the referral's child welfare partner is told and may read it (workflows.partners)."""
    shared = [ShareWith.CHILD_WELFARE] if referral.shared_with_child_welfare else []
    return bool(referral.child_welfare_org_id) and referral.status != ReferralStatus.DRAFT and \
        child_welfare_may_be_told(basis=referral.child_welfare_basis, share_with=shared)


def child_welfare_partner_clause(organisation_id: str) -> ColumnElement[bool]:
    """The same rule as a WHERE clause, for the partner organisation."""
    return ((col(Referral.child_welfare_org_id) == organisation_id) & (col(Referral.status) != ReferralStatus.DRAFT)
            & ((col(Referral.child_welfare_basis) == ChildWelfareBasis.LEGAL_DUTY)
               | ((col(Referral.child_welfare_basis) == ChildWelfareBasis.CONSENT)
                  & col(Referral.shared_with_child_welfare).is_(True))))
