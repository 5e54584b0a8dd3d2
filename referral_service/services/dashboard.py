"""Oversikt: the figures Barneombudet and Ukom ask for, counted from the events, for the user's part of
the country. Aggregates only: no child is named, and figures about 1 or 2 children are hidden
(`workflows/statistics.py`). Nothing here reads a child's identity, so nothing is written to the access log.

Definitions (the page's "Slik er tallene regnet ut" says the same in Norwegian):
- received: a referral whose assessment clock started in the period — its submit event, or its
  receive-forwarded event at the clinic it was forwarded to;
- rejected: a received referral with a reject event (at any time); share = rejected / received;
- days to assessment: from that start event to its first accept, reject or forward event;
- days to acknowledged / to first contact: from the event that triggered the handover (rejection, discharge,
  withdrawal after acceptance) in the period, to the handover's acknowledgement and to its planned first contact;
- open and overdue handovers: as of today, whenever they were created;
- deadline breaches: breach marks recorded in the period;
- moved in / moved out: move events in the period to or from the municipality (elsewhere: every move in scope),
  and of those, the moves that transferred an open handover task.
Days are dates in Norway; working days skip weekends and public holidays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import case, func, select
from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus, RejectionReason
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.actor import Actor
from referral_service.security.statistics_scope import Scope, scope_for
from referral_service.services.dashboard_contacts import ContactFigures, contact_figures
from referral_service.services.equity import EquityTable, equity_table
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.handover_lifecycle import (
    HandoverStatus,
    first_contact_past_due,
    overdue_handovers,
    unacknowledged_past_due,
)
from referral_service.workflows.referral_lifecycle import ASSESSMENT_DECISIONS
from referral_service.workflows.statistics import (
    EQUITY_SUPPRESSION_THRESHOLD,
    Figure,
    count_figure,
    days_figures,
    share_figure,
)

DEFAULT_PERIOD_DAYS = 365
START_ACTIONS = (ReferralAction.SUBMIT, ReferralAction.RECEIVE_FORWARDED)
BREACH_KINDS = ("assessment_breach", "care_start_breach")
#: Always listed, so that the table keeps its shape; other kinds appear when they have referred.
REFERRING_KINDS = (OrganisationKind.GP_OFFICE, OrganisationKind.SCHOOL_HEALTH_SERVICE,
                   OrganisationKind.PPT_OFFICE, OrganisationKind.CHILD_WELFARE)
WAITING_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)


# --- period and scope --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """From and to dates, both included, as dates in Norway."""

    first: date
    last: date

    def bounds(self, timezone: tzinfo) -> tuple[datetime, datetime]:
        """The period as [start, end) instants in UTC, its days being dates in `timezone` (Norway's)."""
        start = datetime.combine(self.first, time.min, tzinfo=timezone)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=timezone)
        return start.astimezone(UTC), end.astimezone(UTC)


def default_period(today: date) -> Period:
    """The last 365 days, today included."""
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


# --- what the page shows -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RejectionRow:
    """Received and rejected referrals for one group (code: a referrer kind, or "all")."""

    code: str
    received: Figure
    rejected: Figure
    share: Figure


@dataclass(frozen=True)
class ReasonRow:
    code: str
    rejected: Figure
    share: Figure


@dataclass(frozen=True)
class Durations:
    """How many children a duration is about, and its median and 90th percentile in both kinds of days."""

    count: Figure
    calendar_median: Figure
    calendar_p90: Figure
    working_median: Figure
    working_p90: Figure


@dataclass(frozen=True)
class ReferralFigures:
    """Referrals received in the period: how many, how many rejected and why, and how long BUP took."""

    received: Figure
    submitted: Figure
    forwarded_in: Figure
    rejection: RejectionRow
    by_referrer_kind: list[RejectionRow]
    by_reason: list[ReasonRow]
    awaiting_assessment: Figure
    assessment: Durations
    #: Submitted in the period with something BUP would miss (a warning, not a refusal).
    sent_with_gaps: Figure
    #: Decided in the period: the help belongs in the municipality, after an assessment conversation (not a
    #: rejection, and not counted as one).
    municipal_level: Figure


@dataclass(frozen=True)
class HandoverFigures:
    """Handovers triggered in the period and how long the municipality took; and the open and overdue ones today."""

    created: Figure
    unacknowledged: Figure
    to_acknowledged: Durations
    to_first_contact: Durations
    open: Figure
    overdue: Figure
    overdue_unacknowledged: Figure
    overdue_no_first_contact: Figure
    #: Discharges in the period where BUP had not sent the epikrise.
    discharged_without_epikrise: Figure
    #: Families that moved in the period: into the municipality, out of it, and the open tasks that went along.
    moved_in: Figure
    moved_out: Figure
    transferred: Figure


@dataclass(frozen=True)
class Dashboard:
    scope_kind: str
    scope_name: str
    period: Period
    as_of: date
    referrals: ReferralFigures
    handovers: HandoverFigures
    #: Deadline breaches recorded in the period, by kind (BREACH_KINDS).
    breaches: dict[str, Figure]
    #: Changes of the children's contact person in the municipality in the period (services/dashboard_contacts.py).
    contacts: ContactFigures
    #: Interpreter need, pårørende and barnevern as partner, with their small numbers suppressed (services/equity).
    equity: EquityTable | None = None

    @property
    def waits(self) -> dict[str, Durations]:
        return {"assessment": self.referrals.assessment, "to_acknowledged": self.handovers.to_acknowledged,
                "to_first_contact": self.handovers.to_first_contact}


@dataclass(frozen=True)
class Span:
    """One child's wait: from a date to a date, in calendar and working days."""

    calendar: int
    working: int


def _span(start: date, end: date, calendar: WorkingDayCalendar) -> Span:
    return Span((end - start).days, calendar.working_days_between(start, end))


def _durations(spans: list[Span]) -> Durations:
    calendar_median, calendar_p90 = days_figures([s.calendar for s in spans])
    working_median, working_p90 = days_figures([s.working for s in spans])
    return Durations(count_figure(len(spans)), calendar_median, calendar_p90, working_median, working_p90)


# --- counting ----------------------------------------------------------------------------------------------

@dataclass
class _Received:
    kind: str
    action: str
    started: date
    status: str
    decided: date | None = None
    rejection_reason: str | None = None


def _received_referrals(session: Session, clock: Clock, scope: Scope, period: Period) -> dict[str, _Received]:
    """Each referral received in the period, with its first decision and rejection reason."""
    start, end = period.bounds(clock.timezone)
    started = (select(ReferralEvent.referral_id, ReferralEvent.action, ReferralEvent.at, Referral.referrer_kind,
                      Referral.status)
               .join(Referral, Referral.id == ReferralEvent.referral_id)
               .where(ReferralEvent.action.in_(START_ACTIONS), ReferralEvent.at >= start, ReferralEvent.at < end,
                      scope.referrals))
    received = {rid: _Received(kind, action, clock.local_date(at), status)
                for rid, action, at, kind, status in session.execute(started).all()}
    decisions = session.execute(
        select(ReferralEvent.referral_id, ReferralEvent.action, ReferralEvent.at, ReferralEvent.data)
        .where(ReferralEvent.action.in_(list(ASSESSMENT_DECISIONS)),
               ReferralEvent.referral_id.in_(started.with_only_columns(ReferralEvent.referral_id)))
        .order_by(ReferralEvent.at, ReferralEvent.id)).all()
    for rid, action, at, data in decisions:
        referral = received[rid]
        if referral.decided is None:
            referral.decided = clock.local_date(at)
        if action == ReferralAction.REJECT:
            referral.rejection_reason = (data or {}).get("reason_code") or RejectionReason.OTHER
    return received


def _rejection_row(code: str, referrals: list[_Received]) -> RejectionRow:
    rejected = sum(r.rejection_reason is not None for r in referrals)
    return RejectionRow(code, count_figure(len(referrals)), count_figure(rejected),
                        share_figure(rejected, len(referrals)))


def _reason_row(code: str, rejected: list[_Received]) -> ReasonRow:
    count = sum(r.rejection_reason == code for r in rejected)
    return ReasonRow(code, count_figure(count), share_figure(count, len(rejected)))


def _in_order(codes: Iterable[str], known: Iterable[str]) -> list[str]:
    """The known codes in their own order, then any others alphabetically; never ordered by a count."""
    known = list(known)
    return known + sorted(set(codes) - set(known))


def _referral_figures(session: Session, scope: Scope, period: Period, *, clock: Clock,
                      calendar: WorkingDayCalendar) -> ReferralFigures:
    referrals = list(_received_referrals(session, clock, scope, period).values())
    kinds = _in_order((r.kind for r in referrals), REFERRING_KINDS)
    rejected = [r for r in referrals if r.rejection_reason is not None]
    reasons = _in_order((r.rejection_reason for r in rejected), RejectionReason)
    return ReferralFigures(
        received=count_figure(len(referrals)),
        submitted=count_figure(sum(r.action == ReferralAction.SUBMIT for r in referrals)),
        forwarded_in=count_figure(sum(r.action == ReferralAction.RECEIVE_FORWARDED for r in referrals)),
        rejection=_rejection_row("all", referrals),
        by_referrer_kind=[_rejection_row(kind, [r for r in referrals if r.kind == kind]) for kind in kinds],
        by_reason=[_reason_row(code, rejected) for code in reasons],
        awaiting_assessment=count_figure(sum(r.decided is None and r.status in WAITING_STATUSES
                                             for r in referrals)),
        assessment=_durations([_span(r.started, r.decided, calendar) for r in referrals if r.decided is not None]),
        sent_with_gaps=count_figure(_submitted_with_gaps(session, clock, scope, period)),
        municipal_level=count_figure(len(_event_data(session, clock, scope, period,
                                                     ReferralAction.MUNICIPAL_OUTCOME))),
    )


def _handover_waits(session: Session, scope: Scope, period: Period, *, clock: Clock,
                    calendar: WorkingDayCalendar) -> tuple[int, list[Span], list[Span]]:
    """Handovers triggered in the period, and the waits from the rejection or discharge to the municipality's
    acknowledgement and to the planned first contact."""
    start, end = period.bounds(clock.timezone)
    rows = session.execute(
        select(ReferralEvent.at, Handover.acknowledged_at, Handover.first_contact_on)
        .join(ReferralEvent, ReferralEvent.id == Handover.trigger_event_id)
        .where(ReferralEvent.handover_trigger.is_not(None), ReferralEvent.at >= start, ReferralEvent.at < end,
               scope.handovers)).all()
    acknowledged, first_contact = [], []
    for triggered_at, acknowledged_at, first_contact_on in rows:
        triggered = clock.local_date(triggered_at)
        if acknowledged_at is not None:
            acknowledged.append(_span(triggered, clock.local_date(acknowledged_at), calendar))
        if first_contact_on is not None:
            first_contact.append(_span(triggered, first_contact_on, calendar))
    return len(rows), acknowledged, first_contact


def _handovers_now(session: Session, clock: Clock, scope: Scope) -> tuple[int, int, int, int]:
    """Open, overdue, and overdue for each reason, today, however old (the rule of the municipality's task list)."""
    today = clock.today()
    flag = lambda clause: func.coalesce(func.sum(case((clause, 1), else_=0)), 0)  # noqa: E731
    open_count, overdue, unacknowledged, no_first_contact = session.execute(
        select(func.count(), flag(overdue_handovers(today)),
               flag(unacknowledged_past_due(today)), flag(first_contact_past_due(today)))
        .select_from(Handover)
        .where(Handover.status != HandoverStatus.CLOSED, scope.handovers)).one()
    return open_count, overdue, unacknowledged, no_first_contact


def _handover_figures(session: Session, scope: Scope, period: Period, *, clock: Clock,
                      calendar: WorkingDayCalendar) -> HandoverFigures:
    created, acknowledged, first_contact = _handover_waits(session, scope, period, clock=clock, calendar=calendar)
    open_count, overdue, unacknowledged, no_first_contact = _handovers_now(session, clock, scope)
    moved_in, moved_out, transferred = _moves(session, clock, scope, period)
    return HandoverFigures(
        created=count_figure(created), unacknowledged=count_figure(created - len(acknowledged)),
        to_acknowledged=_durations(acknowledged), to_first_contact=_durations(first_contact),
        open=count_figure(open_count), overdue=count_figure(overdue),
        overdue_unacknowledged=count_figure(unacknowledged), overdue_no_first_contact=count_figure(no_first_contact),
        discharged_without_epikrise=count_figure(_discharged_without_epikrise(session, clock, scope, period)),
        moved_in=count_figure(moved_in), moved_out=count_figure(moved_out), transferred=count_figure(transferred),
    )


def _moves(session: Session, clock: Clock, scope: Scope, period: Period) -> tuple[int, int, int]:
    """Moves in the period into and out of the scope's municipality, and those that transferred a task; a scope
    that is not a municipality counts every move in it both ways."""
    start, end = period.bounds(clock.timezone)
    within = scope.moves if scope.moves is not None else scope.referrals
    moves = [data or {} for data in session.execute(
        select(ReferralEvent.data).join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.action == ReferralAction.MOVE, ReferralEvent.at >= start, ReferralEvent.at < end,
               within)).scalars().all()]
    number = scope.municipality_number
    moved_in = [m for m in moves if number is None or m.get("to_municipality") == number]
    moved_out = [m for m in moves if number is None or m.get("from_municipality") == number]
    transferred = sum(1 for m in moves if m.get("transferred_to_id") and (m in moved_in or m in moved_out))
    return len(moved_in), len(moved_out), transferred


def _submitted_with_gaps(session: Session, clock: Clock, scope: Scope, period: Period) -> int:
    return sum(1 for data in _event_data(session, clock, scope, period, ReferralAction.SUBMIT) if data.get("gaps"))


def _event_data(session: Session, clock: Clock, scope: Scope, period: Period,
                action: ReferralAction) -> list[dict]:
    """The data of the referral events of one kind in the period, within the scope."""
    start, end = period.bounds(clock.timezone)
    return [data or {} for data in session.execute(
        select(ReferralEvent.data).join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(ReferralEvent.action == action, ReferralEvent.at >= start, ReferralEvent.at < end,
               scope.referrals)).scalars().all()]


def _discharged_without_epikrise(session: Session, clock: Clock, scope: Scope, period: Period) -> int:
    discharges = _event_data(session, clock, scope, period, ReferralAction.DISCHARGE)
    return sum(1 for data in discharges if data.get("epikrise_sent") is False)


def _breaches(session: Session, clock: Clock, scope: Scope, period: Period) -> dict[str, Figure]:
    start, end = period.bounds(clock.timezone)
    counts: dict[str, int] = dict(session.execute(
        select(DeadlineMark.kind, func.count())
        .join(Referral, Referral.id == DeadlineMark.referral_id)
        .where(DeadlineMark.kind.in_(BREACH_KINDS), DeadlineMark.at >= start, DeadlineMark.at < end,
               scope.referrals)
        .group_by(DeadlineMark.kind)).all())
    return {kind: count_figure(counts.get(kind, 0)) for kind in BREACH_KINDS}


def build_dashboard(session: Session, *, clock: Clock, calendar: WorkingDayCalendar, actor: Actor,
                    period: Period, equity_threshold: int = EQUITY_SUPPRESSION_THRESHOLD) -> Dashboard:
    """The dashboard for the actor's scope and the period; reads only, commits nothing."""
    scope = scope_for(session, actor=actor)
    start, end = period.bounds(clock.timezone)
    return Dashboard(
        scope_kind=scope.kind, scope_name=scope.name, period=period, as_of=clock.today(),
        referrals=_referral_figures(session, scope, period, clock=clock, calendar=calendar),
        handovers=_handover_figures(session, scope, period, clock=clock, calendar=calendar),
        breaches=_breaches(session, clock, scope, period),
        equity=equity_table(session, clock, referrals_in_scope=scope.referrals, start=start, end=end,
                            threshold=equity_threshold),
        contacts=contact_figures(session, scope, start=start, end=end),
    )
