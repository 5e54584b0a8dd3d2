"""Applying the consent scope an organisation needs (workflows.consent) to referrals and queries."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlmodel import col

from referral_service.domain.enums import ReferralStatus, ShareWith
from referral_service.domain.referral import Referral
from referral_service.workflows.consent import scope_needed


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
