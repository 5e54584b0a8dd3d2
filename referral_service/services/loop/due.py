"""Which rows a sweep pass has to look at: the ids of rows that can be due now and are not yet marked for it.

Each query is bounded by an index (a status with a date, a mark's key, a mark's task and kind) and by the
time window in which something new can happen, so its cost follows what is due, not ten years of history.
They only choose candidates: the workflow still decides each mark and its stable key still makes it happen
once, so a candidate that turns out to have nothing due costs one look, and nothing is ever marked twice.
A row is left out only when a mark already recorded proves that this pass has nothing new for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Exists, func, literal, union
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.enums import CheckInStatus, OrganisationKind, ReferralStatus
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import MunicipalContact, Referral
from referral_service.workflows import adult_transfer, escalation
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.check_ins import CHECK_IN_DUE, CHECK_IN_OVERDUE
from referral_service.workflows.escalation import Mark
from referral_service.workflows.handover_lifecycle import (
    OPEN_STATUSES,
    first_contact_past_due,
    unacknowledged_past_due,
)
from referral_service.workflows.referral_lifecycle import OPEN_AT_BUP

#: BUP has not yet decided: the assessment deadline runs.
ASSESSING = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)
#: The child is waiting for BUP, or for its treatment to start.
WAITING = (*ASSESSING, ReferralStatus.ACCEPTED)
_ID = "\x00"  # stands for a row's id in a mark's key; no id contains it
#: How far back the growing-up pass looks for an 18th birthday or a referral received of a young person already
#: 17½: every sweep of those days (one a minute) had it in view, so one month leaves a wide margin for a stopped worker.
GROWING_UP_LOOKBACK = timedelta(days=31)


# --- marks already recorded ---------------------------------------------------------------------------------

def _marked(kind: str) -> Exists:
    """The referral already has a mark of this kind."""
    return select(DeadlineMark.id).where(DeadlineMark.referral_id == Referral.id, DeadlineMark.kind == kind).exists()


def _marked_under_key(mark_for: Callable[[str], Mark], id_column: ColumnElement[str]) -> Exists:
    """The mark `mark_for(row id)` is recorded: its key, built in SQL from the workflow's own key (unique index)."""
    before, after = mark_for(_ID).key.split(_ID)
    return select(DeadlineMark.id).where(DeadlineMark.key == literal(before) + id_column + literal(after)).exists()


def _escalated(kind: str, window: tuple[datetime, datetime], handover_id: ColumnElement[str]) -> Exists:
    """The task already has an escalation of this kind recorded within the window."""
    since, until = window
    return select(DeadlineMark.id).where(DeadlineMark.handover_id == handover_id, DeadlineMark.kind == kind,
                                         DeadlineMark.at >= since, DeadlineMark.at < until).exists()


def this_level_window(clock: Clock, calendar: WorkingDayCalendar) -> tuple[datetime, datetime]:
    """From the start of the last working day on or before today to the end of today.

    A levelled escalation goes up one level each working day, so a mark recorded in this window already has
    today's level: a task with one needs no new look until the next working day.
    """
    today = clock.today()
    level_day = today if calendar.is_working_day(today) else calendar.add_working_days(today, -1)
    return _midnight(level_day, clock), _midnight(today + timedelta(days=1), clock)


def _midnight(day: date, clock: Clock) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.timezone)


# --- referrals ------------------------------------------------------------------------------------------------

def referrals_near_assessment_deadline(session: Session, *, today: date, horizon: date) -> list[str]:
    """Assessments due by the warning horizon that are not yet warned of (or, once past, not yet breached)."""
    breach = escalation.assessment_breach(referral_id="", due=today).kind
    assessing = col(Referral.status).in_(ASSESSING)
    # Past the deadline and near it asked apart: "past, or not warned" in one query would make PostgreSQL read
    # every warning ever recorded (an OR around NOT EXISTS is no anti-join) instead of the few referrals' own.
    past = select(Referral.id).where(assessing, col(Referral.assessment_due) < today, ~_marked(breach))
    near = select(Referral.id).where(assessing, col(Referral.assessment_due) >= today,
                                     col(Referral.assessment_due) <= horizon, ~_marked(breach),
                                     ~_marked(escalation.ASSESSMENT_WARNING))
    return sorted(set(session.exec(past).all()) | set(session.exec(near).all()))


def referrals_past_care_start(session: Session, *, today: date) -> list[str]:
    """Accepted referrals whose start-of-care deadline has passed, not yet recorded as a breach."""
    breach = escalation.care_start_breach(referral_id="", due=today).kind
    return list(session.exec(select(Referral.id).where(
        col(Referral.status) == ReferralStatus.ACCEPTED, col(Referral.care_start_due) < today,
        ~_marked(breach))).all())


def referrals_missing_epikrise(session: Session, *, today: date) -> list[str]:
    """Discharges whose epikrise is not yet recorded and whose intake has not been reminded today."""
    reminded = _marked_under_key(lambda referral_id: escalation.epikrise_reminder(referral_id=referral_id,
                                                                                  today=today), col(Referral.id))
    return list(session.exec(select(Referral.id).where(
        col(Referral.status) == ReferralStatus.DISCHARGED, col(Referral.epikrise_pending).is_(True),
        ~reminded)).all())


def referrals_with_discharge_near(session: Session, *, planned_by: date) -> list[str]:
    """Referrals in treatment with a discharge planned by this day and no handover yet."""
    return list(session.exec(select(Referral.id).where(
        col(Referral.status) == ReferralStatus.IN_TREATMENT, col(Referral.planned_discharge_on) <= planned_by,
        ~select(Handover.id).where(Handover.referral_id == Referral.id).exists())).all())


def children_waiting_alone(session: Session, *, received_by: date) -> list[str]:
    """Referrals waiting for BUP since this day or before, with nobody named in the municipality, not yet told."""
    # Counted per referral, not NOT EXISTS: PostgreSQL would hash every contact ever named (ten years of them)
    # rather than look up the waiting referrals' own through the index on referral_id.
    nobody_named = select(func.count()).select_from(MunicipalContact).where(
        MunicipalContact.referral_id == Referral.id).scalar_subquery() == 0
    return list(session.exec(select(Referral.id).where(
        col(Referral.status).in_(WAITING), col(Referral.received_on) <= received_by, nobody_named,
        ~_marked(escalation.NO_MUNICIPAL_HELPER))).all())


def referrals_growing_up(session: Session, *, today: date) -> list[str]:
    """Referrals open at a BUP clinic of a young person old enough for a transfer, not yet told what applies.

    Read from the two ways a referral comes into view, each through its own index: the young person's age (17½ to
    18, or 18 within GROWING_UP_LOOKBACK: the child's birth date), or a referral received within the lookback of
    someone already that old (the referral's status and receipt). A referral of someone older, received earlier, was
    in view of the sweeps of those days: its mark is recorded, and ten years of grown-ups are not read again.
    """
    transferable = adult_transfer.transferable_if_born_on_or_before(today)
    since = today - GROWING_UP_LOOKBACK
    open_ = col(Referral.status).in_(sorted(OPEN_AT_BUP))
    turning = select(Child.id).where(col(Child.birth_date) > adult_transfer.adult_if_born_on_or_before(since),
                                     col(Child.birth_date) <= transferable)
    by_age = select(Referral.id).where(col(Referral.child_id).in_(turning), open_)
    by_receipt = select(Referral.id).join(Child, col(Child.id) == col(Referral.child_id)).where(
        open_, col(Referral.received_on) >= since, col(Child.birth_date) <= transferable)
    # The ways into view are read from the indexes alone; the marks are looked up only for the few they find.
    in_view = [row[0] for row in session.execute(union(by_age, by_receipt)).all()]
    if not in_view:
        return []
    adult = col(Child.birth_date) <= adult_transfer.adult_if_born_on_or_before(today)

    def not_told(*conditions: ColumnElement[bool]) -> list[str]:
        return list(session.exec(
            select(Referral.id).join(Child, col(Child.id) == col(Referral.child_id))
            .join(Organisation, col(Organisation.id) == col(Referral.clinic_id)).where(
                col(Referral.id).in_(in_view), open_, Organisation.kind == OrganisationKind.BUP_CLINIC,
                ~_marked(adult_transfer.TURNING_18), *conditions)).all())

    # Adults and the younger ones apart, each a plain anti-join on the marks (as for the assessment deadline).
    return sorted(not_told(adult) + not_told(~adult, ~_marked(adult_transfer.TURNING_18_SOON)))


# --- handovers and check-ins ----------------------------------------------------------------------------------

def handovers_to_escalate(session: Session, *, today: date, window: tuple[datetime, datetime]) -> list[str]:
    """Overdue tasks without today's escalation of that kind yet (one query per kind, each on its own index)."""
    unacknowledged = select(Handover.id).where(
        unacknowledged_past_due(today), ~_escalated(escalation.HANDOVER_UNACKNOWLEDGED, window, col(Handover.id)))
    no_first_contact = select(Handover.id).where(
        first_contact_past_due(today),
        ~_escalated(escalation.HANDOVER_NO_FIRST_CONTACT, window, col(Handover.id)))
    return sorted(set(session.exec(unacknowledged).all()) | set(session.exec(no_first_contact).all()))


def handovers_held_by_inactive(session: Session) -> list[str]:
    """Open tasks whose holder can no longer sign in (deactivated in the database, or by an identity provider):
    found from the (few) deactivated people."""
    return list(session.exec(select(Handover.id).where(
        col(Handover.assignee_user_id).in_(select(User.id).where(col(User.active).is_(False))),
        col(Handover.status).in_(OPEN_STATUSES)).order_by(col(Handover.created_at), col(Handover.id))).all())


def check_ins_to_remind(session: Session, *, today: date, overdue_before: date,
                        window: tuple[datetime, datetime]) -> list[str]:
    """Planned check-ins come due whose holder is not yet told, or overdue (due before `overdue_before`) with no
    escalation of today's level yet. A check-in's marks carry its task's id, and a task has at most one check-in.
    """
    told = select(DeadlineMark.id).where(DeadlineMark.handover_id == CheckIn.handover_id,
                                         DeadlineMark.kind == CHECK_IN_DUE).exists()
    return list(session.exec(select(CheckIn.id).where(
        col(CheckIn.status) == CheckInStatus.PLANNED, col(CheckIn.due_on) <= today,
        ~told | ((col(CheckIn.due_on) < overdue_before)
                 & ~_escalated(CHECK_IN_OVERDUE, window, col(CheckIn.handover_id))))
        .order_by(col(CheckIn.due_on), col(CheckIn.id))).all())
