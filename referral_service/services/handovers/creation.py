"""Closing the loop: the handover task for a rejected, discharged or withdrawn child, and its alerts.

Called by the worker for each referral event, and by the reconciler for any gap. Safe to call twice.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverAddressee, Role
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.consent_scope import municipality_may_see
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators, municipality_of, referrer_side, users_with_role
from referral_service.services.referrals.queries import contacts_of
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import handover_rules
from referral_service.workflows.deadlines import DeadlinePolicy

log = logging.getLogger(__name__)



def ensure_handover(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                    event: ReferralEvent) -> Handover | None:
    """The handover for this event, created with its alerts if it does not exist yet; no commit.

    Whether the event hands the child back was decided when the event was recorded (its
    `handover_trigger`); this only carries that decision out.
    """
    trigger = event.handover_trigger
    if trigger is None:
        return None
    session = uow.session
    existing = session.exec(select(Handover).where(Handover.trigger_event_id == event.id)).first()
    if existing is not None:
        return existing
    referral = session.get(Referral, event.referral_id)
    municipality = municipality_of(session, referral.child_home_municipality)
    addressing = handover_rules.address_handover(municipality_may_see=municipality_may_see(referral),
                                                 municipality_registered=municipality is not None)
    clinic = session.get(Organisation, referral.clinic_id)
    created_on = clock.today()
    ack_days = (municipality and municipality.handover_acknowledge_days) or deadlines.handover_acknowledge_days
    contact_days = ((municipality and municipality.handover_first_contact_days)
                    or deadlines.handover_first_contact_days)
    handover = Handover(
        referral_id=referral.id,
        trigger_event_id=event.id,
        trigger=trigger,
        municipality_number=referral.child_home_municipality,
        municipality_org_id=municipality.id if municipality else None,
        addressed_to=addressing.addressed_to,
        acknowledge_due=deadlines.calendar.add_working_days(created_on, ack_days),
        first_contact_due=deadlines.calendar.add_working_days(created_on, contact_days),
        content=handover_rules.handover_content(
            trigger=trigger, decision=event.data, clinic_name=clinic.name if clinic else "",
            municipal_contacts=[{"role": c.role, "name": c.name, "organisation_id": c.organisation_id}
                                for c in contacts_of(session, referral.id)],
            addressing=addressing),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(handover)
            session.add(HandoverEvent(handover_id=handover.id, action="create", to_status=handover.status,
                                      at=clock.now(), data={"trigger": trigger}))
    except IntegrityError:
        # A concurrent worker created it first; the constraint, not a check, keeps it to one.
        return session.exec(select(Handover).where(Handover.trigger_event_id == event.id)).one()
    _alert_about_new_handover(uow, clock, handover=handover, referral=referral, clinic=clinic,
                              municipality=municipality)
    return handover


def _alert_about_new_handover(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover, referral: Referral,
                              clinic: Organisation | None, municipality: Organisation | None) -> None:
    session = uow.session
    clinic_name = clinic.name if clinic else "BUP"
    about = {"clinic": clinic_name, "trigger": str(handover.trigger)}
    key = f"handover:{handover.id}:created"
    holders = []
    if handover.addressed_to == HandoverAddressee.MUNICIPALITY:
        holders = users_with_role(session, organisation_id=handover.municipality_org_id,
                                  role=Role.MUNICIPAL_COORDINATOR)
        raise_alerts(uow, clock, users=holders, kind="handover_created", dedupe_key=key,
                     data={**about, "acknowledge_due": handover.acknowledge_due.isoformat()},
                     referral_id=referral.id, handover_id=handover.id)
    referrers = referrer_side(session, referral)
    raise_alerts(uow, clock, users=referrers, kind="referral_decision",
                 dedupe_key=key, data=about,
                 referral_id=referral.id, handover_id=handover.id)
    if not (holders if handover.addressed_to == HandoverAddressee.MUNICIPALITY else referrers):
        alert_unrouted(uow, clock, handover=handover)


def alert_unrouted(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover) -> None:
    """Nobody who can take the task would hear of it: administrators must find someone."""
    raise_alerts(uow, clock, users=administrators(uow.session), kind="handover_unrouted",
                 dedupe_key=f"handover:{handover.id}:unrouted",
                 data={"municipality_number": handover.municipality_number},
                 handover_id=handover.id)
