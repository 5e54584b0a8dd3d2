"""Need-to-know: which referrals a user's organisation takes part in, and on what basis.

Every list and every single read goes through these functions, so the rule lives here only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlmodel import Session

from referral_service.domain.enums import ReferralStatus, Role
from referral_service.domain.referral import CoReferrer, Referral
from referral_service.security.actor import Actor
from referral_service.workflows.referral_lifecycle import Party


def _co_referred_by(organisation_id: str):
    return select(CoReferrer.referral_id).where(CoReferrer.organisation_id == organisation_id)


def visible_referrals(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the referrals this actor may see."""
    clauses: list[ColumnElement[bool]] = []
    if actor.has_role(Role.REFERRER):
        clauses.append(Referral.referrer_org_id == actor.organisation_id)
        clauses.append(Referral.id.in_(_co_referred_by(actor.organisation_id)))
    if actor.has_role(Role.BUP_INTAKE):
        clauses.append(
            (Referral.clinic_id == actor.organisation_id) & (Referral.status != ReferralStatus.DRAFT)
        )
    return or_(*clauses) if clauses else false()


def parties_of(session: Session, *, actor: Actor, referral: Referral) -> frozenset[Party]:
    """The sides of this referral the actor acts for."""
    parties: set[Party] = set()
    if actor.has_role(Role.REFERRER):
        if referral.referrer_org_id == actor.organisation_id or session.exec(
            select(CoReferrer.id).where(
                CoReferrer.referral_id == referral.id,
                CoReferrer.organisation_id == actor.organisation_id,
            )
        ).first():
            parties.add(Party.REFERRER)
    if actor.has_role(Role.BUP_INTAKE) and referral.clinic_id == actor.organisation_id:
        parties.add(Party.CLINIC)
    return frozenset(parties)


def access_basis(actor: Actor, referral: Referral) -> str:
    """The need-to-know basis written to the access log."""
    if referral.clinic_id == actor.organisation_id:
        return "receiving_clinic"
    if referral.referrer_org_id == actor.organisation_id:
        return "referring_organisation"
    return "co_referrer"
