"""Loading referrals the actor may see, and what belongs to them."""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from referral_service.domain.enums import ReferralStatus
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Consent, MunicipalContact, Referral, ReferralEvent


def current_consent(session: Session, referral_id: str) -> Consent | None:
    return session.exec(
        select(Consent)
        .where(Consent.referral_id == referral_id, Consent.superseded_at.is_(None))
        .order_by(Consent.recorded_at.desc())
    ).first()


def current_handover(session: Session, referral_id: str) -> Handover | None:
    """The referral's task now: the last of its chain (a task transferred to a new municipality is not)."""
    return session.exec(select(Handover).where(Handover.referral_id == referral_id,
                                               Handover.transferred_to_id.is_(None))).first()


def contacts_of(session: Session, referral_id: str) -> list[MunicipalContact]:
    return list(session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == referral_id)))


def events_of(session: Session, referral_id: str) -> list[ReferralEvent]:
    return list(
        session.exec(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )


def overdue_clause(today):
    """Referrals past their assessment or start-of-care deadline and still waiting."""
    waiting = [ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED]
    return or_(
        and_(Referral.status.in_(waiting), Referral.assessment_due < today),
        and_(Referral.status == ReferralStatus.ACCEPTED, Referral.care_start_due < today),
    )
