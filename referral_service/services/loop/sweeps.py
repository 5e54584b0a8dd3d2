"""Deadline and escalation sweeps: warnings, breaches (fristbrudd) and escalations, each once.

Nothing is ever closed automatically; a sweep only records and alerts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Exists
from sqlmodel import select

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus, Role
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import MunicipalContact, Referral, ReferralEvent
from referral_service.security.consent_scope import municipality_may_see
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import municipality_of, referrer_side, users_with_role
from referral_service.services.handovers import check_ins, holders, routing
from referral_service.services.handovers.creation import open_ahead_of_discharge
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import adult_transfer, escalation
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.check_ins import CHECK_IN_DUE, CheckInPolicy, check_in_marks
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.handover_lifecycle import AWAITING_FIRST_CONTACT, HandoverStatus, overdue_handovers
from referral_service.workflows.referral_lifecycle import OPEN_AT_BUP

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    marks: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.marks[kind] = self.marks.get(kind, 0) + 1


def _record(uow: SqlUnitOfWork, clock: Clock, mark: escalation.Mark, *, users: list[User],
            referral_id: str | None, handover_id: str | None) -> bool:
    """Record the mark and alert once; False if another sweep already did."""
    if not uow.marks.add(mark, referral_id=referral_id, handover_id=handover_id, at=clock.now()):
        return False
    raise_alerts(uow, clock, users=users, kind=mark.kind, dedupe_key=mark.key,
                 data={"due": mark.due.isoformat(), "level": mark.level},
                 referral_id=referral_id, handover_id=handover_id)
    return True


def sweep_referral_deadlines(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                             deadlines: DeadlinePolicy) -> None:
    session = uow.session
    today, calendar = clock.today(), deadlines.calendar
    horizon = calendar.add_working_days(today, deadlines.assessment_warning_working_days)
    waiting = session.exec(select(Referral).where(
        Referral.status.in_([ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED]),
        Referral.assessment_due <= horizon)).all()
    for referral in waiting:
        for mark in escalation.assessment_marks(referral_id=referral.id, assessment_due=referral.assessment_due,
                                                today=today, warning_days=deadlines.assessment_warning_working_days,
                                                calendar=calendar):
            intake = users_with_role(session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE)
            if _record(uow, clock, mark, users=intake, referral_id=referral.id, handover_id=None):
                result.count(mark.kind)
    if calendar.is_working_day(today):
        for referral in session.exec(select(Referral).where(Referral.status == ReferralStatus.DISCHARGED,
                                                            Referral.epikrise_pending.is_(True))).all():
            mark = escalation.epikrise_reminder(referral_id=referral.id, today=today)
            intake = users_with_role(session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE)
            if _record(uow, clock, mark, users=intake, referral_id=referral.id, handover_id=None):
                result.count(mark.kind)
    late = session.exec(select(Referral).where(Referral.status == ReferralStatus.ACCEPTED,
                                               Referral.care_start_due < today)).all()
    for referral in late:
        for mark in escalation.care_start_marks(referral_id=referral.id, care_start_due=referral.care_start_due,
                                                today=today):
            intake = users_with_role(session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE)
            if _record(uow, clock, mark, users=intake, referral_id=referral.id, handover_id=None):
                result.count(mark.kind)


def sweep_handovers(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                    calendar: WorkingDayCalendar) -> None:
    session = uow.session
    today = clock.today()
    overdue = session.exec(select(Handover).where(overdue_handovers(today))).all()
    for handover in overdue:
        marks = escalation.handover_marks(
            handover_id=handover.id, acknowledged=handover.status != HandoverStatus.OPEN,
            first_contact_planned=handover.status not in AWAITING_FIRST_CONTACT,
            acknowledge_due=handover.acknowledge_due, first_contact_due=handover.first_contact_due,
            today=today, calendar=calendar)
        for mark in marks:
            recipients = routing.escalation_recipients(session, handover)
            if _record(uow, clock, mark, users=recipients, referral_id=handover.referral_id,
                       handover_id=handover.id):
                handover.escalation_level = max(handover.escalation_level, mark.level)
                result.count(mark.kind)


def sweep_planned_discharges(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                             deadlines: DeadlinePolicy) -> None:
    """A planned discharge opens its handover `discharge_handover_lead_days` working days ahead of the day."""
    session, today = uow.session, clock.today()
    planned = session.exec(select(Referral).where(
        Referral.status == ReferralStatus.IN_TREATMENT, Referral.planned_discharge_on.is_not(None),
        ~select(Handover.id).where(Handover.referral_id == Referral.id).exists())).all()
    for referral in planned:
        opens_on = deadlines.calendar.add_working_days(referral.planned_discharge_on,
                                                       -deadlines.discharge_handover_lead_days)
        if today < opens_on:
            continue
        plan = session.exec(select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.action == ReferralAction.PLAN_DISCHARGE)
            .order_by(ReferralEvent.at.desc())).first()
        if plan is not None and open_ahead_of_discharge(uow, clock=clock, deadlines=deadlines, referral=referral,
                                                        plan_event=plan):
            result.count("handover_opened_ahead_of_discharge")


#: The child is waiting for BUP, or for its treatment to start.
WAITING = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED, ReferralStatus.ACCEPTED)


def sweep_children_waiting_alone(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                                 deadlines: DeadlinePolicy) -> None:
    """A child waiting long for BUP with no municipal contact named: the home municipality's coordinators are
    told (when the consent lets the municipality see it and it is connected), otherwise the referrer."""
    session, today = uow.session, clock.today()
    since = deadlines.calendar.add_working_days(today, -deadlines.waiting_without_municipal_contact_days)
    alone = session.exec(select(Referral).where(
        Referral.status.in_(WAITING), Referral.received_on <= since,
        ~select(MunicipalContact.id).where(MunicipalContact.referral_id == Referral.id).exists(),
        # Told once: a child already marked is not looked up again every minute.
        ~select(DeadlineMark.id).where(DeadlineMark.referral_id == Referral.id,
                                       DeadlineMark.kind == escalation.NO_MUNICIPAL_HELPER).exists())).all()
    for referral in alone:
        municipality = municipality_of(session, referral.child_home_municipality)
        coordinators = (users_with_role(session, organisation_id=municipality.id, role=Role.MUNICIPAL_COORDINATOR)
                        if municipality is not None and municipality_may_see(referral) else [])
        mark = escalation.no_municipal_helper(referral_id=referral.id, since=referral.received_on)
        if _record(uow, clock, mark, users=coordinators or referrer_side(session, referral),
                   referral_id=referral.id, handover_id=None):
            result.count(mark.kind)


def _marked(kind: str) -> Exists:
    """The referral already has a mark of this kind."""
    return select(DeadlineMark.id).where(DeadlineMark.referral_id == Referral.id, DeadlineMark.kind == kind).exists()


def sweep_turning_18(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """A young person with a referral open at BUP: BUP's intake gets a heads-up from 17½ and an alert at 18 to
    plan the transfer to adult mental health services (DPS), each once per referral."""
    session, today = uow.session, clock.today()
    adult = Child.birth_date <= adult_transfer.adult_if_born_on_or_before(today)
    growing_up = session.exec(select(Referral, Child.birth_date).join(Child, Child.id == Referral.child_id)
                              .join(Organisation, Organisation.id == Referral.clinic_id).where(
        Referral.status.in_(sorted(OPEN_AT_BUP)), Organisation.kind == OrganisationKind.BUP_CLINIC,
        Child.birth_date <= adult_transfer.transferable_if_born_on_or_before(today),
        # Told once: a young person already told of what applies today is not looked up again every minute.
        ~_marked(adult_transfer.TURNING_18), adult | ~_marked(adult_transfer.TURNING_18_SOON))).all()
    for referral, birth_date in growing_up:
        for mark in adult_transfer.growing_up_marks(referral_id=referral.id, birth_date=birth_date,
                                                    status=referral.status, today=today):
            intake = users_with_role(session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE)
            if _record(uow, clock, mark, users=intake, referral_id=referral.id, handover_id=None):
                result.count(mark.kind)


def sweep_owners(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """No task stays with an owner that has nobody active left to act on it: the owner rule picks again."""
    for handover in routing.orphaned_handovers(uow.session):
        if routing.reroute(uow, clock, handover=handover, because="owner_inactive"):
            result.count("handover_rerouted")


def sweep_inactive_holders(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """No open task stays with a person who can no longer sign in: it goes back to the owner's queue, and the
    owner's people and its lead are told."""
    for handover in holders.held_by_inactive(uow.session):
        holders.change_holder(uow, clock, handover=handover, successor=None, because="holder_inactive",
                              actor_id=None)
        result.count("handover_released")


def sweep_check_ins(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock, policy: CheckInPolicy) -> None:
    """A check-in after the help ended: called off, with its holder told, when the child is referred again; else
    its holder is told on the due date, and not recorded within the grace period it escalates to the owner's
    lead once per level, so that none is silently dropped."""
    session, today = uow.session, clock.today()
    for check_in, handover, new_referral in check_ins.referred_again(session):
        check_ins.cancel_because_referred_again(uow, clock, check_in=check_in, handover=handover,
                                                new_referral=new_referral)
        result.count("check_in_cancelled")
    for check_in, handover in check_ins.planned_due(session, today):
        for mark in check_in_marks(check_in_id=check_in.id, due_on=check_in.due_on, today=today, policy=policy):
            recipients = (check_ins.due_recipients(session, check_in, handover) if mark.kind == CHECK_IN_DUE
                          else routing.escalation_recipients(session, handover))
            if _record(uow, clock, mark, users=recipients, referral_id=check_in.referral_id,
                       handover_id=handover.id):
                check_in.escalation_level = max(check_in.escalation_level, mark.level)
                result.count(mark.kind)


def run_sweeps(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy) -> SweepResult:
    """All deadline and escalation sweeps as of the clock, in one unit of work."""
    result = SweepResult()
    with uow:
        sweep_referral_deadlines(uow, result, clock=clock, deadlines=deadlines)
        sweep_planned_discharges(uow, result, clock=clock, deadlines=deadlines)
        sweep_children_waiting_alone(uow, result, clock=clock, deadlines=deadlines)
        sweep_turning_18(uow, result, clock=clock)
        sweep_inactive_holders(uow, result, clock=clock)
        sweep_owners(uow, result, clock=clock)
        sweep_handovers(uow, result, clock=clock, calendar=deadlines.calendar)
        sweep_check_ins(uow, result, clock=clock, policy=deadlines.check_ins)
        uow.commit()
    if result.marks:
        log.info("deadline sweep", extra={"marks": result.marks, "as_of": clock.now().isoformat()})
    return result
