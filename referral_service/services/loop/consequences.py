"""What follows a referral event: the handover for a rejection, discharge or late withdrawal, and
alerts to the people the event concerns. Runs in a worker, never in the web request."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverAddressee, HandoverStatus, ReferralAction, Role
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import (
    around_the_child,
    invited_co_referrers,
    referrer_side,
    users_with_role,
)
from referral_service.services.cases.repeats import rejections_in_window
from referral_service.services.family.letter_drafts import draft_letters_for_referral_event
from referral_service.services.handovers.creation import ensure_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import escalation
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.repeat_referrals import alerts_the_lead

Recipients = Callable[[Session, Referral, ReferralEvent], list[User]]


def _someone_else_submitted(session: Session, referral: Referral, event: ReferralEvent) -> list[User]:
    """The drafter, when a co-referrer with the right to refer sent the referral."""
    drafter = session.get(User, referral.referrer_user_id)
    return [drafter] if drafter is not None and drafter.active and event.actor_id != drafter.id else []


def _referrers_other_than_the_merged(session: Session, referral: Referral, event: ReferralEvent) -> list[User]:
    """The referring side of the referral joined or kept, but not the organisation that came in with it."""
    return [user for user in referrer_side(session, referral)
            if user.organisation_id != event.data.get("organisation_id")]


def _referrer_merged_by_bup(session: Session, referral: Referral, event: ReferralEvent) -> list[User]:
    """The referrer whose referral BUP merged into another (one who joined did it themselves)."""
    return referrer_side(session, referral) if event.data.get("by") == ReferralAction.MERGE else []


def _around_the_young_person(session: Session, referral: Referral, _event: ReferralEvent) -> list[User]:
    """A transfer to DPS: everyone around the child (within consent), and the coordinator holding an open
    handover of the referral, who stays on the case."""
    people = {u.id: u for u in around_the_child(session, referral)}
    handover = session.exec(select(Handover).where(Handover.referral_id == referral.id,
                                                   Handover.status != HandoverStatus.CLOSED)).first()
    holder = session.get(User, handover.assignee_user_id) if handover and handover.assignee_user_id else None
    if holder is not None and holder.active:
        people.setdefault(holder.id, holder)
    return sorted(people.values(), key=lambda u: u.id)


#: Who is told of an event that hands nothing over: the referrer of BUP's answers and questions, BUP of the
#: referrer's answer, an invited co-referrer of the invitation, the drafter when a co-referrer sent it.
NOTICES: dict[ReferralAction, Recipients] = {
    ReferralAction.REQUEST_INFORMATION: lambda session, referral, _event: referrer_side(session, referral),
    ReferralAction.ACCEPT: lambda session, referral, _event: referrer_side(session, referral),
    ReferralAction.FORWARD: lambda session, referral, _event: referrer_side(session, referral),
    ReferralAction.SUPPLEMENT: lambda session, referral, _event: users_with_role(
        session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE),
    ReferralAction.INVITE_CO_REFERRER: lambda session, referral, event: invited_co_referrers(
        session, referral, event.data.get("organisation_id", "")),
    ReferralAction.SUBMIT: _someone_else_submitted,
    ReferralAction.JOIN: _referrers_other_than_the_merged,
    ReferralAction.MERGE: _referrers_other_than_the_merged,
    ReferralAction.MERGED_INTO: _referrer_merged_by_bup,
    ReferralAction.TRANSFER_TO_DPS: _around_the_young_person,
    ReferralAction.RECEIVE_DPS_TRANSFER: lambda session, referral, _event: users_with_role(
        session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE),
}


def _epikrise_missing(uow: SqlUnitOfWork, clock: Clock, *, event: ReferralEvent) -> None:
    """BUP discharged without an epikrise: its intake is told now, and that counts as the day's reminder."""
    referral = uow.session.get(Referral, event.referral_id)
    mark = escalation.epikrise_reminder(referral_id=referral.id, today=event.at.astimezone(clock.timezone).date())
    if uow.marks.add(mark, referral_id=referral.id, handover_id=None, at=clock.now()):
        raise_alerts(uow, clock, users=users_with_role(uow.session, organisation_id=referral.clinic_id,
                                                       role=Role.BUP_INTAKE),
                     kind="epikrise_missing", dedupe_key=mark.key, referral_id=referral.id)


def _lead_of(session: Session, handover: Handover) -> list[User]:
    """The lead at the top of the task's ladder: the municipality's with consent, else the owning organisation's."""
    if handover.addressed_to == HandoverAddressee.MUNICIPALITY:
        return users_with_role(session, organisation_id=handover.municipality_org_id, role=Role.MUNICIPAL_LEAD)
    return users_with_role(session, organisation_id=handover.owner_org_id, role=Role.REFERRER_LEAD)


def _repeat_rejection(uow: SqlUnitOfWork, clock: Clock, deadlines: DeadlinePolicy, *, event: ReferralEvent,
                      handover: Handover | None) -> None:
    """A second rejection of the child in the window (or more): the lead who owns the follow-up is told."""
    referral = uow.session.get(Referral, event.referral_id)
    window = deadlines.repeat_window_months
    rejections = rejections_in_window(uow.session, referral, window_months=window)
    if handover is None or not alerts_the_lead(rejections):
        return
    raise_alerts(uow, clock, users=_lead_of(uow.session, handover), kind="repeat_rejection",
                 dedupe_key=f"repeat-rejection:{event.id}", data={"rejections": rejections, "window_months": window},
                 referral_id=referral.id, handover_id=handover.id)


def handle_referral_event(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                          event: ReferralEvent) -> None:
    """Apply the event's consequences in the caller's unit of work; safe to run twice."""
    if event.handover_trigger is not None:
        handover = ensure_handover(uow, clock=clock, deadlines=deadlines, event=event)
        if event.action == ReferralAction.REJECT:
            _repeat_rejection(uow, clock, deadlines, event=event, handover=handover)
        if event.action == ReferralAction.DISCHARGE and event.data.get("epikrise_sent") is False:
            _epikrise_missing(uow, clock, event=event)
    # The family's letter names whoever holds the case now, so it is drafted once the handover exists.
    draft_letters_for_referral_event(uow.session, clock, event=event)
    if event.handover_trigger is not None:
        return
    session = uow.session
    recipients = NOTICES.get(event.action)
    if recipients is None:
        return
    referral = session.get(Referral, event.referral_id)
    clinic = session.get(Organisation, referral.clinic_id)
    raise_alerts(uow, clock, users=recipients(session, referral, event), kind=f"referral_{event.action}",
                 dedupe_key=f"referral-event:{event.id}", data={"clinic": clinic.name if clinic else "BUP"},
                 referral_id=referral.id)
