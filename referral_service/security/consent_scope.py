"""Applying the consent scope an organisation needs (workflows.consent) to referrals and queries."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from referral_service.domain.enums import ReferralStatus, ShareWith
from referral_service.domain.referral import Referral
from referral_service.workflows.consent import scope_needed


def consent_allows(kind: str, referral: Referral) -> bool:
    """Whether the consent in force lets an organisation of this kind see the referral."""
    scope = scope_needed(kind)
    if scope is None or referral.status == ReferralStatus.DRAFT:
        return True
    return referral.shared_with_school if scope is ShareWith.SCHOOL else referral.shared_with_municipality


def consent_clause(kind: str) -> ColumnElement[bool]:
    """The same rule as a WHERE clause; a draft is still being written and has no consent in force."""
    scope = scope_needed(kind)
    if scope is None:
        return true()
    column = Referral.shared_with_school if scope is ShareWith.SCHOOL else Referral.shared_with_municipality
    return column.is_(True) | (Referral.status == ReferralStatus.DRAFT)
