"""Closing the loop: the handover task for a rejected, discharged or withdrawn child, and its alerts.

Called by the worker for each referral event, and by the reconciler for any gap. Safe to call twice.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverTrigger
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import around_the_child
from referral_service.services.handovers import routing
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import handover_rules
from referral_service.workflows.deadlines import DeadlinePolicy

log = logging.getLogger(__name__)


def ensure_handover(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                    event: ReferralEvent) -> Handover | None:
    """The handover for this event, created with its alerts if it does not exist yet; no commit.

    Whether the event hands the child back was decided when the event was recorded (its
    `handover_trigger`); this only carries that decision out. A handover opened ahead of a planned
    discharge is the same task: the event completes it (one handover per referral episode).
    """
    trigger = event.handover_trigger
    if trigger is None:
        return None
    session = uow.session
    existing = session.exec(select(Handover).where(Handover.trigger_event_id == event.id)).first()
    if existing is not None:
        return existing
    referral = session.get(Referral, event.referral_id)
    planned = current_handover(session, referral.id)
    if planned is not None:
        return _complete_planned(uow, clock, handover=planned, referral=referral, event=event)
    clinic = session.get(Organisation, referral.clinic_id)
    content = handover_rules.handover_content(trigger=trigger, decision=event.data,
                                              clinic_name=clinic.name if clinic else "")
    handover = _open(uow, clock, deadlines, referral=referral, trigger=trigger, trigger_event_id=event.id,
                     content=content)
    if handover is None:
        # A concurrent worker created it first; the constraint, not a check, keeps it to one.
        return session.exec(select(Handover).where(Handover.trigger_event_id == event.id)).one()
    key = f"handover:{handover.id}:created"
    # Everyone around the child (the GP among them) hears of BUP's decision; the owner's people already did.
    raise_alerts(uow, clock, users=around_the_child(session, referral), kind="referral_decision", dedupe_key=key,
                 data={"clinic": clinic.name if clinic else "BUP", "trigger": str(trigger)},
                 referral_id=referral.id, handover_id=handover.id)
    return handover


def open_ahead_of_discharge(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                            referral: Referral, plan_event: ReferralEvent) -> Handover | None:
    """The handover for a planned discharge, opened before the day so the municipality is ready; no commit."""
    clinic = uow.session.get(Organisation, referral.clinic_id)
    content = {"clinic_name": clinic.name if clinic else "",
               "planned_discharge_on": referral.planned_discharge_on.isoformat()}
    return _open(uow, clock, deadlines, referral=referral, trigger=HandoverTrigger.DISCHARGED,
                 trigger_event_id=plan_event.id, content=content)


def due_dates(deadlines: DeadlinePolicy, municipality: Organisation | None, *, created_on: date) -> tuple[date, date]:
    """When a task created on this day must be acknowledged and its first contact made, by the municipality's
    own numbers where it has them."""
    ack_days = (municipality and municipality.handover_acknowledge_days) or deadlines.handover_acknowledge_days
    contact_days = ((municipality and municipality.handover_first_contact_days)
                    or deadlines.handover_first_contact_days)
    return (deadlines.calendar.add_working_days(created_on, ack_days),
            deadlines.calendar.add_working_days(created_on, contact_days))


def _open(uow: SqlUnitOfWork, clock: Clock, deadlines: DeadlinePolicy, *, referral: Referral,
          trigger: HandoverTrigger, trigger_event_id: str, content: dict[str, Any]) -> Handover | None:
    """A new task with its owner, its due dates and the owner told; None when one exists for the referral."""
    session = uow.session
    ownership, municipality = routing.ownership_for(session, referral)
    acknowledge_due, first_contact_due = due_dates(deadlines, municipality, created_on=clock.today())
    handover = Handover(
        referral_id=referral.id,
        trigger_event_id=trigger_event_id,
        trigger=trigger,
        municipality_number=referral.child_home_municipality,
        municipality_org_id=municipality.id if municipality else None,
        addressed_to=ownership.addressed_to,
        acknowledge_due=acknowledge_due,
        first_contact_due=first_contact_due,
        content=content,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    routing.apply_ownership(session, handover, referral, ownership)
    try:
        with session.begin_nested():
            session.add(handover)
            session.add(HandoverEvent(handover_id=handover.id, action="create", to_status=handover.status,
                                      at=clock.now(), data={"trigger": trigger, "owner_org_id": handover.owner_org_id,
                                                            "reason": handover.owner_reason}))
    except IntegrityError:
        return None
    clinic = session.get(Organisation, referral.clinic_id)
    routing.tell_owner(uow, clock, handover=handover, clinic_name=clinic.name if clinic else "BUP",
                       key=f"handover:{handover.id}:created")
    return handover


def _complete_planned(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover, referral: Referral,
                      event: ReferralEvent) -> Handover:
    """The discharge (or a withdrawal) the task was opened ahead of: what BUP wrote joins the task, the event
    becomes its trigger, and everyone around the child hears of it."""
    session = uow.session
    trigger = HandoverTrigger(event.handover_trigger)
    clinic = session.get(Organisation, referral.clinic_id)
    handover.content = {**handover.content, **handover_rules.handover_content(
        trigger=trigger, decision=event.data, clinic_name=clinic.name if clinic else "")}
    handover.trigger, handover.trigger_event_id = trigger, event.id
    handover.version += 1
    handover.updated_at = clock.now()
    session.add(HandoverEvent(handover_id=handover.id, action=str(event.action), from_status=handover.status,
                              to_status=handover.status, at=clock.now(), data={"trigger": trigger}))
    key = f"handover:{handover.id}:{event.id}"
    raise_alerts(uow, clock, users=[*routing.actors(session, handover), *around_the_child(session, referral)],
                 kind="referral_decision", dedupe_key=key,
                 data={"clinic": clinic.name if clinic else "BUP", "trigger": str(trigger)},
                 referral_id=referral.id, handover_id=handover.id)
    return handover
