"""Deadline and escalation sweeps: warnings, breaches (fristbrudd) and escalations, each once.

Nothing is ever closed automatically; a sweep only records and alerts. Each pass asks `due.py` for the few
rows that can be due now (through indexes, within time windows) and handles them in short transactions of
`BATCH` rows, so a sweep over ten years of data neither reads the history nor holds the write lock for long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from referral_service.clock import Clock
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.enums import CheckInStatus, ReferralAction, ReferralStatus, Role
from referral_service.domain.family import FamilyNudge
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import User
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.consent_scope import municipality_may_see
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import municipality_of, referrer_side, users_with_role
from referral_service.services.family import nudges
from referral_service.services.handovers import check_ins, holders, routing
from referral_service.services.handovers.creation import open_ahead_of_discharge
from referral_service.services.loop import due
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import adult_transfer, escalation
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.check_ins import CHECK_IN_DUE, CheckInPolicy, check_in_marks
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.family_nudges import NUDGE_UNANSWERED
from referral_service.workflows.handover_lifecycle import AWAITING_FIRST_CONTACT, OPEN_STATUSES, HandoverStatus

log = logging.getLogger(__name__)

#: Rows handled in one transaction: small enough that SQLite's write lock is held for a few tens of ms.
BATCH = 50

Row = TypeVar("Row", bound=SQLModel)


@dataclass
class SweepResult:
    marks: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.marks[kind] = self.marks.get(kind, 0) + 1


def _record(uow: SqlUnitOfWork, clock: Clock, mark: escalation.Mark, *, users: Callable[[], list[User]],
            referral_id: str | None, handover_id: str | None) -> bool:
    """Record the mark and alert once; False if another sweep already did.

    Who hears is looked up only for a new mark: a candidate whose mark is there costs one key look-up.
    """
    if not uow.marks.add(mark, referral_id=referral_id, handover_id=handover_id, at=clock.now()):
        return False
    raise_alerts(uow, clock, users=users(), kind=mark.kind, dedupe_key=mark.key,
                 data={"due": mark.due.isoformat(), "level": mark.level},
                 referral_id=referral_id, handover_id=handover_id)
    return True


def _candidates(uow: SqlUnitOfWork, query: Callable[[Session], list[str]]) -> list[str]:
    """The ids a pass will look at, read in a transaction of their own that takes no write lock."""
    with uow.reading() as reading:
        return query(reading.session)


def _in_batches(uow: SqlUnitOfWork, table: type[Row], ids: Sequence[str], handle: Callable[[Row], None]) -> None:
    """Load each row again and handle it, `BATCH` rows to a transaction.

    A row may have changed since it was listed, so `handle` checks what it needs from the row as loaded.
    """
    for start in range(0, len(ids), BATCH):
        with uow:
            for row_id in ids[start:start + BATCH]:
                row = uow.session.get(table, row_id)
                if row is not None:
                    handle(row)
            uow.commit()


def _tell_intake(uow: SqlUnitOfWork, clock: Clock, result: SweepResult, referral: Referral,
                 marks: list[escalation.Mark]) -> None:
    def intake() -> list[User]:
        return users_with_role(uow.session, organisation_id=referral.clinic_id, role=Role.BUP_INTAKE)

    for mark in marks:
        if _record(uow, clock, mark, users=intake, referral_id=referral.id, handover_id=None):
            result.count(mark.kind)


def sweep_referral_deadlines(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                             deadlines: DeadlinePolicy) -> None:
    today, calendar = clock.today(), deadlines.calendar
    warning_days = deadlines.assessment_warning_working_days
    horizon = calendar.add_working_days(today, warning_days)

    def assess(referral: Referral) -> None:
        if referral.status in due.ASSESSING and referral.assessment_due is not None:
            _tell_intake(uow, clock, result, referral, escalation.assessment_marks(
                referral_id=referral.id, assessment_due=referral.assessment_due, today=today,
                warning_days=warning_days, calendar=calendar))

    def remind_of_epikrise(referral: Referral) -> None:
        if referral.status == ReferralStatus.DISCHARGED and referral.epikrise_pending:
            _tell_intake(uow, clock, result, referral,
                         [escalation.epikrise_reminder(referral_id=referral.id, today=today)])

    def start_care(referral: Referral) -> None:
        if referral.status == ReferralStatus.ACCEPTED and referral.care_start_due is not None:
            _tell_intake(uow, clock, result, referral, escalation.care_start_marks(
                referral_id=referral.id, care_start_due=referral.care_start_due, today=today))

    _in_batches(uow, Referral, _candidates(uow, lambda session: due.referrals_near_assessment_deadline(
        session, today=today, horizon=horizon)), assess)
    if calendar.is_working_day(today):
        _in_batches(uow, Referral, _candidates(uow, lambda session: due.referrals_missing_epikrise(
            session, today=today)), remind_of_epikrise)
    _in_batches(uow, Referral, _candidates(uow, lambda session: due.referrals_past_care_start(
        session, today=today)), start_care)


def sweep_handovers(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                    calendar: WorkingDayCalendar) -> None:
    today, window = clock.today(), due.this_level_window(clock, calendar)

    def escalate(handover: Handover) -> None:
        marks = escalation.handover_marks(
            handover_id=handover.id, acknowledged=handover.status != HandoverStatus.OPEN,
            first_contact_planned=handover.status not in AWAITING_FIRST_CONTACT,
            acknowledge_due=handover.acknowledge_due, first_contact_due=handover.first_contact_due,
            today=today, calendar=calendar)
        for mark in marks:
            if _record(uow, clock, mark, users=lambda: routing.escalation_recipients(uow.session, handover),
                       referral_id=handover.referral_id,
                       handover_id=handover.id):
                if mark.level > handover.escalation_level:  # the Task changed: its ETag and versionId move
                    handover.escalation_level = mark.level
                    handover.version += 1
                result.count(mark.kind)

    _in_batches(uow, Handover, _candidates(uow, lambda session: due.handovers_to_escalate(
        session, today=today, window=window)), escalate)


def sweep_planned_discharges(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                             deadlines: DeadlinePolicy) -> None:
    """A planned discharge opens its handover `discharge_handover_lead_days` working days ahead of the day."""
    today, calendar, lead_days = clock.today(), deadlines.calendar, deadlines.discharge_handover_lead_days
    # The handover of a discharge planned on day p opens on p minus the lead days, which is on or before today
    # exactly when p is on or before today plus the lead days (the calendar's tests show it).
    planned_by = calendar.add_working_days(today, lead_days)

    def open_handover(referral: Referral) -> None:
        if referral.status != ReferralStatus.IN_TREATMENT or referral.planned_discharge_on is None:
            return
        if today < calendar.add_working_days(referral.planned_discharge_on, -lead_days):
            return
        plan = uow.session.exec(select(ReferralEvent).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.action == ReferralAction.PLAN_DISCHARGE)
            .order_by(ReferralEvent.at.desc())).first()
        if plan is not None and open_ahead_of_discharge(uow, clock=clock, deadlines=deadlines, referral=referral,
                                                        plan_event=plan):
            result.count("handover_opened_ahead_of_discharge")

    _in_batches(uow, Referral, _candidates(uow, lambda session: due.referrals_with_discharge_near(
        session, planned_by=planned_by)), open_handover)


def sweep_children_waiting_alone(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock,
                                 deadlines: DeadlinePolicy) -> None:
    """A child waiting long for BUP with no municipal contact named: the home municipality's coordinators are
    told (when the consent lets the municipality see it and it is connected), otherwise the referrer."""
    today = clock.today()
    since = deadlines.calendar.add_working_days(today, -deadlines.waiting_without_municipal_contact_days)

    def tell(referral: Referral) -> None:
        if referral.status not in due.WAITING or referral.received_on is None:
            return
        session = uow.session

        def told() -> list[User]:
            municipality = municipality_of(session, referral.child_home_municipality)
            coordinators = (users_with_role(session, organisation_id=municipality.id,
                                            role=Role.MUNICIPAL_COORDINATOR)
                            if municipality is not None and municipality_may_see(referral) else [])
            return coordinators or referrer_side(session, referral)

        mark = escalation.no_municipal_helper(referral_id=referral.id, since=referral.received_on)
        if _record(uow, clock, mark, users=told, referral_id=referral.id, handover_id=None):
            result.count(mark.kind)

    _in_batches(uow, Referral, _candidates(uow, lambda session: due.children_waiting_alone(
        session, received_by=since)), tell)


def sweep_turning_18(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """A young person with a referral open at BUP: BUP's intake gets a heads-up from 17½ and an alert at 18 to
    plan the transfer to adult mental health services (DPS), each once per referral."""
    today = clock.today()

    def tell(referral: Referral) -> None:
        child = uow.session.get(Child, referral.child_id)
        if child is not None and child.birth_date is not None:
            _tell_intake(uow, clock, result, referral, adult_transfer.growing_up_marks(
                referral_id=referral.id, birth_date=child.birth_date, status=referral.status, today=today))

    _in_batches(uow, Referral, _candidates(uow, lambda session: due.referrals_growing_up(session, today=today)),
                tell)


def sweep_owners(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """No task stays with an owner that has nobody active left to act on it: the owner rule picks again."""
    # Rare (someone left): the look-up, which every pass pays, takes no write lock; only when it finds a task is it
    # asked again in one short write transaction that reroutes them.
    if not _candidates(uow, lambda session: [handover.id for handover in routing.orphaned_handovers(session)]):
        return
    with uow:
        for handover in routing.orphaned_handovers(uow.session):
            if routing.reroute(uow, clock, handover=handover, because="owner_inactive"):
                result.count("handover_rerouted")
        uow.commit()


def sweep_inactive_holders(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock) -> None:
    """No open task stays with a person who can no longer sign in: it goes back to the owner's queue, and the
    owner's people and its lead are told."""
    def release(handover: Handover) -> None:
        holder = uow.session.get(User, handover.assignee_user_id) if handover.assignee_user_id else None
        if holder is not None and not holder.active and handover.status in OPEN_STATUSES:
            holders.change_holder(uow, clock, handover=handover, successor=None, because="holder_inactive",
                                  actor_id=None)
            result.count("handover_released")

    _in_batches(uow, Handover, _candidates(uow, due.handovers_held_by_inactive), release)


def sweep_check_ins(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock, policy: CheckInPolicy) -> None:
    """A check-in after the help ended: called off, with its holder told, when the child is referred again; else
    its holder is told on the due date, and not recorded within the grace period it escalates to the owner's
    lead once per level, so that none is silently dropped."""
    today, window = clock.today(), due.this_level_window(clock, policy.calendar)
    # Looked for without the write lock; asked again in the write transaction only when some were found.
    if _candidates(uow, lambda session: [found[0].id for found in check_ins.referred_again(session)]):
        with uow:
            for check_in, handover, new_referral in check_ins.referred_again(uow.session):
                check_ins.cancel_because_referred_again(uow, clock, check_in=check_in, handover=handover,
                                                        new_referral=new_referral)
                result.count("check_in_cancelled")
            uow.commit()

    def remind(check_in: CheckIn) -> None:
        handover = uow.session.get(Handover, check_in.handover_id)
        if check_in.status != CheckInStatus.PLANNED or handover is None:
            return
        for mark in check_in_marks(check_in_id=check_in.id, due_on=check_in.due_on, today=today, policy=policy):
            def recipients(kind: str = mark.kind) -> list[User]:
                return (check_ins.due_recipients(uow.session, check_in, handover) if kind == CHECK_IN_DUE
                        else routing.escalation_recipients(uow.session, handover))

            if _record(uow, clock, mark, users=recipients, referral_id=check_in.referral_id,
                       handover_id=handover.id):
                check_in.escalation_level = max(check_in.escalation_level, mark.level)
                result.count(mark.kind)

    # An escalation needs more than the grace of working days after the due date, so the check-in was due
    # before the grace counted back from today (a bound that may let in a few more, never fewer).
    overdue_before = policy.calendar.add_working_days(today, -policy.escalate_after_working_days)
    _in_batches(uow, CheckIn, _candidates(uow, lambda session: due.check_ins_to_remind(
        session, today=today, overdue_before=overdue_before, window=window)), remind)


def sweep_family_nudges(uow: SqlUnitOfWork, result: SweepResult, *, clock: Clock, deadlines: DeadlinePolicy) -> None:
    """"Vi har ikke hørt noe" unanswered in time: the owner's lead is told, once (services/family/nudges.py)."""
    # N working days are at least N calendar days, so only calls made before today less N days can be overdue (a
    # bound that may let in a few more, never fewer); the rule decides each one.
    days = deadlines.family_nudge_answer_working_days
    before = datetime.combine(clock.today() - timedelta(days=days), time.min, tzinfo=clock.timezone)

    def tell_lead(nudge: FamilyNudge) -> None:
        if nudges.tell_lead_if_due(uow, clock, nudge, calendar=deadlines.calendar,
                                   answer_working_days=deadlines.family_nudge_answer_working_days):
            result.count(NUDGE_UNANSWERED)

    _in_batches(uow, FamilyNudge, _candidates(uow, lambda session: nudges.unanswered_raised_before(
        session, before=before)), tell_lead)


def run_sweeps(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy) -> SweepResult:
    """All deadline and escalation sweeps as of the clock, each pass in short transactions of its own."""
    result = SweepResult()
    sweep_referral_deadlines(uow, result, clock=clock, deadlines=deadlines)
    sweep_planned_discharges(uow, result, clock=clock, deadlines=deadlines)
    sweep_children_waiting_alone(uow, result, clock=clock, deadlines=deadlines)
    sweep_turning_18(uow, result, clock=clock)
    sweep_inactive_holders(uow, result, clock=clock)
    sweep_owners(uow, result, clock=clock)
    sweep_handovers(uow, result, clock=clock, calendar=deadlines.calendar)
    sweep_check_ins(uow, result, clock=clock, policy=deadlines.check_ins)
    sweep_family_nudges(uow, result, clock=clock, deadlines=deadlines)
    if result.marks:
        log.info("deadline sweep", extra={"marks": result.marks, "as_of": clock.now().isoformat()})
    return result
