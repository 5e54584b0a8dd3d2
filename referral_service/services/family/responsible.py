"""Who holds a child's case now, read from the database for the rule in workflows/responsible_now.py: the clinic,
the referrer, or the current handover task's owner and the person who holds it, with how the family reaches them
(the person's own phone and hours, else the organisation's)."""

from __future__ import annotations

from sqlmodel import Session

from referral_service.domain.enums import HandoverStatus, ReferralStatus
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral
from referral_service.services.referrals.queries import current_handover
from referral_service.workflows.responsible_now import Contact, HandoverFacts, ResponsibleNow, responsible_now


def responsible_for(session: Session, referral: Referral) -> ResponsibleNow:
    """Who the family talks to now about this referral, and what is due next."""
    handover = current_handover(session, referral.id)
    return responsible_now(
        status=ReferralStatus(referral.status),
        clinic=contact_of(session, referral.clinic_id, None),
        referrer=contact_of(session, referral.referrer_org_id, referral.referrer_user_id),
        assessment_due=referral.assessment_due, care_start_due=referral.care_start_due,
        first_appointment_on=referral.first_appointment_on,
        handover=_handover_facts(session, handover) if handover is not None else None)


def _handover_facts(session: Session, handover: Handover) -> HandoverFacts:
    holder_id = handover.assignee_user_id or handover.acknowledged_by_user_id
    owner = contact_of(session, handover.owner_org_id, holder_id) if handover.owner_org_id else None
    return HandoverFacts(status=HandoverStatus(handover.status), owner=owner,
                         acknowledge_due=handover.acknowledge_due, first_contact_due=handover.first_contact_due,
                         first_contact_on=handover.first_contact_on)


def contact_of(session: Session, organisation_id: str, user_id: str | None) -> Contact:
    """The organisation, and the person when one of its active users holds the case: their phone and hours, or
    the organisation's when they have none of their own."""
    organisation = session.get(Organisation, organisation_id)
    name = organisation.name if organisation else ""
    org_phone = organisation.phone if organisation else None
    org_hours = organisation.contact_hours if organisation else None
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.active or user.organisation_id != organisation_id:
        return Contact(organisation_id=organisation_id, organisation=name, phone=org_phone, hours=org_hours)
    return Contact(organisation_id=organisation_id, organisation=name, person_id=user.id, person=user.name,
                   phone=user.phone or org_phone, hours=user.reachable_hours or org_hours)
