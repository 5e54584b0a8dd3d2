"""Oversikt: the figures Barneombudet and Ukom ask for, counted from the events, for the user's part of
the country. Aggregates only: no child is named, and figures about 1 or 2 children are hidden
(`workflows/statistics.py`). Nothing here reads a child's identity, so nothing is written to the access log.

The figures about the period are read from counts kept as the events happen (services/dashboard_facts.py says
what each referral counts for, services/dashboard_counts.py keeps the sums in the events' transactions, the
breach marks included; services/dashboard_contacts.py keeps the children's contact persons the same way), so a
year of the whole country reads a few thousand rows; only the handovers open today are counted where they are
stored, through an index on the open tasks.

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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlmodel import Session, col

from referral_service.clock import Clock
from referral_service.domain.enums import OrganisationKind, ReferralAction, RejectionReason
from referral_service.domain.handover import Handover
from referral_service.security.actor import Actor
from referral_service.security.statistics_scope import NATIONAL, Scope, scope_for
from referral_service.services import dashboard_facts as facts
from referral_service.services.dashboard_contacts import ContactFigures, contact_figures
from referral_service.services.dashboard_counts import Totals, read_totals
from referral_service.services.equity import EquityTable, equity_table
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.handover_lifecycle import (
    OPEN_STATUSES,
    first_contact_past_due,
    overdue_handovers,
    unacknowledged_past_due,
)
from referral_service.workflows.statistics import (
    EQUITY_SUPPRESSION_THRESHOLD,
    Figure,
    count_figure,
    days_figures_of_counts,
    share_figure,
)

DEFAULT_PERIOD_DAYS = 365
BREACH_KINDS = facts.BREACH_KINDS
#: Always listed, so that the table keeps its shape; other kinds appear when they have referred.
REFERRING_KINDS = (OrganisationKind.GP_OFFICE, OrganisationKind.SCHOOL_HEALTH_SERVICE,
                   OrganisationKind.PPT_OFFICE, OrganisationKind.CHILD_WELFARE)


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


# --- counting ----------------------------------------------------------------------------------------------

def _durations(counts: Counter) -> Durations:
    """A duration's figures from its counts by "calendar/working" days."""
    calendar_days: Counter = Counter()
    working_days: Counter = Counter()
    for value, n in counts.items():
        calendar, working = value.split("/")
        calendar_days[int(calendar)] += n
        working_days[int(working)] += n
    calendar_median, calendar_p90 = days_figures_of_counts(calendar_days)
    working_median, working_p90 = days_figures_of_counts(working_days)
    return Durations(count_figure(sum(counts.values())), calendar_median, calendar_p90, working_median, working_p90)


def _by_first(counts: Counter) -> Counter:
    """Counts of "a/b" values summed by a; and `_by_second` by b."""
    found: Counter = Counter()
    for value, n in counts.items():
        found[value.split("/", 1)[0]] += n
    return found


def _by_second(counts: Counter) -> Counter:
    found: Counter = Counter()
    for value, n in counts.items():
        found[value.split("/", 1)[1]] += n
    return found


def _rejection_row(code: str, received: int, rejected: int) -> RejectionRow:
    return RejectionRow(code, count_figure(received), count_figure(rejected), share_figure(rejected, received))


def _in_order(codes: Iterable[str], known: Iterable[str]) -> list[str]:
    """The known codes in their own order, then any others alphabetically; never ordered by a count."""
    known = list(known)
    return known + sorted(set(codes) - set(known))


def _total(totals: Totals, measure: str) -> int:
    return sum(totals.get(measure, Counter()).values())


def _referral_figures(totals: Totals) -> ReferralFigures:
    received, rejected = totals.get(facts.RECEIVED, Counter()), totals.get(facts.REJECTED, Counter())
    received_by_kind, rejected_by_kind = _by_first(received), _by_first(rejected)
    by_action, by_reason = _by_second(received), _by_second(rejected)
    all_received, all_rejected = sum(received.values()), sum(rejected.values())
    kinds = _in_order((kind for kind, n in received_by_kind.items() if n), REFERRING_KINDS)
    reasons = _in_order((reason for reason, n in by_reason.items() if n), RejectionReason)
    return ReferralFigures(
        received=count_figure(all_received),
        submitted=count_figure(by_action[ReferralAction.SUBMIT]),
        forwarded_in=count_figure(by_action[ReferralAction.RECEIVE_FORWARDED]),
        rejection=_rejection_row("all", all_received, all_rejected),
        by_referrer_kind=[_rejection_row(kind, received_by_kind[kind], rejected_by_kind[kind]) for kind in kinds],
        by_reason=[ReasonRow(code, count_figure(by_reason[code]), share_figure(by_reason[code], all_rejected))
                   for code in reasons],
        awaiting_assessment=count_figure(_total(totals, facts.AWAITING)),
        assessment=_durations(totals.get(facts.ASSESSMENT, Counter())),
        sent_with_gaps=count_figure(_total(totals, facts.SENT_WITH_GAPS)),
        municipal_level=count_figure(_total(totals, facts.MUNICIPAL_LEVEL)),
    )


def _handovers_now(session: Session, clock: Clock, scope: Scope) -> tuple[int, int, int, int]:
    """Open, overdue, and overdue for each reason, today, however old (the rule of the municipality's task list).
    Each is counted on its own, so each reads only its tasks through the indexes on the status and the due
    dates: the open tasks, and the few past due, not the closed ones of every year."""
    today = clock.today()

    def counted(clause: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(Handover).where(clause, scope.handovers).scalar_subquery()

    open_count, overdue, unacknowledged, no_first_contact = session.execute(select(
        counted(col(Handover.status).in_(list(OPEN_STATUSES))), counted(overdue_handovers(today)),
        counted(unacknowledged_past_due(today)), counted(first_contact_past_due(today)))).one()
    return open_count, overdue, unacknowledged, no_first_contact


def _handover_figures(session: Session, clock: Clock, scope: Scope, *, handovers: Totals,
                      referrals: Totals) -> HandoverFigures:
    created = _total(handovers, facts.HANDOVER_CREATED)
    acknowledged = handovers.get(facts.TO_ACKNOWLEDGED, Counter())
    open_count, overdue, unacknowledged, no_first_contact = _handovers_now(session, clock, scope)
    return HandoverFigures(
        created=count_figure(created), unacknowledged=count_figure(created - sum(acknowledged.values())),
        to_acknowledged=_durations(acknowledged),
        to_first_contact=_durations(handovers.get(facts.TO_FIRST_CONTACT, Counter())),
        open=count_figure(open_count), overdue=count_figure(overdue),
        overdue_unacknowledged=count_figure(unacknowledged), overdue_no_first_contact=count_figure(no_first_contact),
        discharged_without_epikrise=count_figure(_total(referrals, facts.WITHOUT_EPIKRISE)),
        moved_in=count_figure(_total(referrals, facts.MOVED_IN)),
        moved_out=count_figure(_total(referrals, facts.MOVED_OUT)),
        transferred=count_figure(_total(referrals, facts.TRANSFERRED)),
    )


def _breaches(referrals: Totals) -> dict[str, Figure]:
    """Breach marks recorded in the period, by kind: counted into the kept counts as the sweep records them."""
    counts = referrals.get(facts.BREACHES, Counter())
    return {kind: count_figure(counts[kind]) for kind in BREACH_KINDS}


def build_dashboard(session: Session, *, clock: Clock, calendar: WorkingDayCalendar, actor: Actor,
                    period: Period, equity_threshold: int = EQUITY_SUPPRESSION_THRESHOLD) -> Dashboard:
    """The dashboard for the actor's scope and the period, from the kept counts; reads only, commits nothing.

    `calendar` is the one the counts were kept with (services/dashboard_counts.py); it is not needed to read them.
    """
    scope = scope_for(session, actor=actor)
    referral_key, handover_key = count_keys(scope, actor)
    totals = read_totals(session, scopes=(referral_key, handover_key), first=period.first, last=period.last)
    return Dashboard(
        scope_kind=scope.kind, scope_name=scope.name, period=period, as_of=clock.today(),
        referrals=_referral_figures(totals[referral_key]),
        handovers=_handover_figures(session, clock, scope, handovers=totals[handover_key],
                                    referrals=totals[referral_key]),
        breaches=_breaches(totals[referral_key]),
        equity=equity_table(totals[referral_key], threshold=equity_threshold),
        contacts=contact_figures(session, scope=handover_key, first=period.first, last=period.last,
                                 today=clock.today()),
    )


def count_keys(scope: Scope, actor: Actor) -> tuple[str, str]:
    """The keys of the scope's counts (services/dashboard_facts.py): for its referrals and for its handovers."""
    if scope.kind == NATIONAL:
        return facts.NATIONAL, facts.NATIONAL
    if scope.kind == "clinic":
        return facts.clinic_key(actor.organisation_id), facts.clinic_key(actor.organisation_id)
    if scope.kind == "municipality":
        return (facts.municipality_key(actor.municipality_number or ""),
                facts.municipality_org_key(actor.organisation_id))
    return facts.referrer_key(actor.organisation_id), facts.referrer_key(actor.organisation_id)
