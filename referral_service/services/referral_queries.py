"""Loading referrals the actor may see, and what belongs to them."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralStatus
from referral_service.domain.referral import Consent, CoReferrer, MunicipalContact, Referral, ReferralEvent
from referral_service.errors import NotFound
from referral_service.security.actor import Actor
from referral_service.security.visibility import visible_referrals

NOT_FOUND = "No such referral, or it is not visible to you."


def load_visible_referral(session: Session, *, actor: Actor, referral_id: str,
                          for_update: bool = False) -> Referral:
    """The referral if the actor's organisation takes part in it; 404 otherwise."""
    query = select(Referral).where(Referral.id == referral_id, visible_referrals(actor))
    referral = session.exec(query).first()
    if referral is None:
        raise NotFound(NOT_FOUND)
    return referral


def current_consent(session: Session, referral_id: str) -> Consent | None:
    return session.exec(
        select(Consent)
        .where(Consent.referral_id == referral_id, Consent.superseded_at.is_(None))
        .order_by(Consent.recorded_at.desc())
    ).first()


def contacts_of(session: Session, referral_id: str) -> list[MunicipalContact]:
    return list(session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == referral_id)))


def co_referrers_of(session: Session, referral_id: str) -> list[CoReferrer]:
    return list(session.exec(select(CoReferrer).where(CoReferrer.referral_id == referral_id)))


def events_of(session: Session, referral_id: str) -> list[ReferralEvent]:
    return list(
        session.exec(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )


def child_of(session: Session, referral: Referral) -> Child:
    child = session.get(Child, referral.child_id)
    assert child is not None  # a foreign key guarantees it
    return child


def overdue_clause(today):
    """Referrals past their assessment or start-of-care deadline and still waiting."""
    waiting = [ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED]
    return or_(
        and_(Referral.status.in_(waiting), Referral.assessment_due < today),
        and_(Referral.status == ReferralStatus.ACCEPTED, Referral.care_start_due < today),
    )
