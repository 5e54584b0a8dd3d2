"""Oversikt counted the old way, straight from the events (the code the service had before it kept counts):
the reference the kept counts are checked against. Not used by the service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import ReasonCode, ReferralAction, ReferralStatus, RejectionReason
from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent
from referral_service.domain.languages import INTERPRETER_LANGUAGES
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.actor import Actor
from referral_service.security.statistics_scope import Scope, scope_for
from referral_service.services import equity
from referral_service.services.dashboard import (
    BREACH_KINDS,
    REFERRING_KINDS,
    Dashboard,
    Durations,
    HandoverFigures,
    Period,
    ReasonRow,
    ReferralFigures,
    RejectionRow,
    _handovers_now,
)
from referral_service.services.dashboard_contacts import HOLDER_STEPS, ContactFigures
from referral_service.services.equity import CHILD_WELFARE_PARTNER, INTERPRETER, PARENT_ILLNESS, EquityTable
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.contact_person import contact_changes
from referral_service.workflows.referral_lifecycle import ASSESSMENT_DECISIONS
from referral_service.workflows.statistics import (
    EQUITY_SUPPRESSION_THRESHOLD,
    Figure,
    count_figure,
    days_figures,
    mean_figure,
    share_figure,
    suppress_table,
)

START_ACTIONS = (ReferralAction.SUBMIT, ReferralAction.RECEIVE_FORWARDED)
WAITING_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)
COUNTS = ("received", "rejected", "accepted", "undecided")


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
    counts = recount_breaches(session, clock, scope, period)
    return {kind: count_figure(counts.get(kind, 0)) for kind in BREACH_KINDS}


def recount_breaches(session: Session, clock: Clock, scope: Scope, period: Period) -> dict[str, int]:
    """Breach marks in the period, by kind, counted where the sweep stores them."""
    start, end = period.bounds(clock.timezone)
    return dict(session.execute(
        select(DeadlineMark.kind, func.count())
        .join(Referral, Referral.id == DeadlineMark.referral_id)
        .where(DeadlineMark.kind.in_(BREACH_KINDS), DeadlineMark.at >= start, DeadlineMark.at < end,
               scope.referrals)
        .group_by(DeadlineMark.kind)).all())


def _contact_figures(session: Session, scope: Scope, *, start: datetime, end: datetime) -> ContactFigures:
    held, total, several = recount_contacts(session, scope, start=start, end=end)
    return ContactFigures(children=count_figure(held), changes=count_figure(total),
                          per_child=mean_figure(total, held), two_or_more=count_figure(several),
                          two_or_more_share=share_figure(several, held))


def recount_contacts(session: Session, scope: Scope, *, start: datetime, end: datetime) -> tuple[int, int, int]:
    """Children held, changes, and children with two or more changes in [start, end), replayed from the holder
    steps of the scope's tasks open at some time in the period (the service's code before it kept them)."""
    alive = (select(Handover.id)
             .where(or_(Handover.closed_at.is_(None), Handover.closed_at >= start), scope.handovers))
    data = HandoverEvent.data
    rows = session.execute(
        select(Referral.child_id, HandoverEvent.at, HandoverEvent.action, data["assignee_user_id"].as_string(),
               data["to_user_id"].as_string())
        .join(Handover, Handover.id == HandoverEvent.handover_id)
        .join(Referral, Referral.id == Handover.referral_id)
        .where(HandoverEvent.handover_id.in_(alive),
               HandoverEvent.action.in_([str(a) for a in HOLDER_STEPS]), HandoverEvent.at < end)
        .order_by(HandoverEvent.at, HandoverEvent.id)).all()
    steps: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
    for child, at, action, assignee, to_user in rows:
        steps[child].append((at, assignee if HOLDER_STEPS[action] == "assignee_user_id" else to_user))
    held = [child for child, child_steps in steps.items() if any(person for _at, person in child_steps)]
    changes = {child: sum(1 for at in contact_changes(steps[child]) if start <= at < end) for child in held}
    return len(held), sum(changes.values()), sum(1 for n in changes.values() if n >= 2)


def recount_dashboard(session: Session, *, clock: Clock, calendar: WorkingDayCalendar, actor: Actor,
                    period: Period, equity_threshold: int = EQUITY_SUPPRESSION_THRESHOLD) -> Dashboard:
    """The dashboard for the actor's scope and the period; reads only, commits nothing."""
    scope = scope_for(session, actor=actor)
    start, end = period.bounds(clock.timezone)
    return Dashboard(
        scope_kind=scope.kind, scope_name=scope.name, period=period, as_of=clock.today(),
        referrals=_referral_figures(session, scope, period, clock=clock, calendar=calendar),
        handovers=_handover_figures(session, scope, period, clock=clock, calendar=calendar),
        breaches=_breaches(session, clock, scope, period),
        equity=_equity_table(session, clock, referrals_in_scope=scope.referrals, start=start, end=end,
                            threshold=equity_threshold),
        contacts=_contact_figures(session, scope, start=start, end=end),
    )


# --- the equity table, the old way ---

def _language_row(code: str) -> str:
    return f"{INTERPRETER}:{code}"


def _counts(session: Session, clock: Clock, *, referrals_in_scope, start, end) -> dict[str, dict[str, int]]:
    """Each group's received, rejected, accepted and undecided referrals."""
    received = session.execute(
        select(Referral.id, Referral.interpreter_needed, Referral.interpreter_language, Referral.reasons,
               Referral.child_welfare_org_id)
        .join(ReferralEvent, ReferralEvent.referral_id == Referral.id)
        .where(ReferralEvent.action.in_(START_ACTIONS), ReferralEvent.at >= start, ReferralEvent.at < end,
               referrals_in_scope)).all()
    ids = {row[0] for row in received}
    outcomes: dict[str, str] = dict(session.execute(
        select(ReferralEvent.referral_id, ReferralEvent.action)
        .where(ReferralEvent.action.in_((ReferralAction.ACCEPT, ReferralAction.REJECT)),
               ReferralEvent.referral_id.in_(ids))).all()) if ids else {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for name in (INTERPRETER, PARENT_ILLNESS, CHILD_WELFARE_PARTNER):
        counts[name] = dict.fromkeys(COUNTS, 0)
    seen: set[str] = set()
    for referral_id, interpreter_needed, language, reasons, child_welfare_org_id in received:
        if referral_id in seen:
            continue
        seen.add(referral_id)
        outcome = {ReferralAction.ACCEPT: "accepted", ReferralAction.REJECT: "rejected"}.get(
            outcomes.get(referral_id), "undecided")
        groups = []
        if interpreter_needed:
            groups += [INTERPRETER, _language_row(language or "")]
        if ReasonCode.PARENT_ILLNESS in (reasons or []):
            groups.append(PARENT_ILLNESS)
        if child_welfare_org_id:
            groups.append(CHILD_WELFARE_PARTNER)
        for group in groups:
            counts[group]["received"] += 1
            counts[group][outcome] += 1
    return dict(counts)


def _equity_table(session: Session, clock: Clock, *, referrals_in_scope, start, end, threshold: int) -> EquityTable:
    """The equity table for referrals received in [start, end) within the scope's referrals clause."""
    counts = _counts(session, clock, referrals_in_scope=referrals_in_scope, start=start, end=end)
    languages = [code for code in INTERPRETER_LANGUAGES if _language_row(code) in counts]
    hidden = suppress_table(counts, threshold=threshold, row_total="received",
                            row_parts=("rejected", "accepted", "undecided"), unpublished=frozenset({"undecided"}),
                            column_groups=((INTERPRETER, tuple(_language_row(code) for code in languages)),))
    return EquityTable(
        threshold=threshold,
        interpreter=equity._row(INTERPRETER, None, counts[INTERPRETER], hidden, threshold),
        languages=[equity._row(_language_row(code), code, counts[_language_row(code)], hidden, threshold)
                   for code in languages],
        parent_illness=equity._row(PARENT_ILLNESS, None, counts[PARENT_ILLNESS], hidden, threshold),
        child_welfare_partner=equity._row(CHILD_WELFARE_PARTNER, None, counts[CHILD_WELFARE_PARTNER], hidden,
                                          threshold),
    )
