"""What one referral adds to Oversikt's counts: the figures of services/dashboard.py, taken apart per referral.

A referral's entries are a pure function of its row, its counted events and its handovers, read as they are
stored now (`entries_of`). services/dashboard_counts.py keeps the sums of every referral's entries, and when a
transaction changes a referral it replaces the referral's old entries by its new ones; so a figure keeps the
definition it had when it was counted from the events (the scope is the referral's as it is now, a move or a
change of consent moves its entries with it).

Each entry is (scope key, day, measure, value). The scope keys mirror security/statistics_scope.py: the
country, the clinic, the referring organisation, the municipality the child lives in when the family shares
with it (referral figures), and the municipality's organisation that holds a handover (handover figures).
Durations are values "calendar/working" days, counted from the Norwegian dates of the two events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Connection, Select, bindparam, null, or_, select, union_all
from sqlmodel import col

from referral_service.domain.enums import ReasonCode, ReferralAction, ReferralStatus, RejectionReason
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.referral_lifecycle import ASSESSMENT_DECISIONS

Entry = tuple[str, date, str, str]

NATIONAL = "n"
START_ACTIONS = (ReferralAction.SUBMIT, ReferralAction.RECEIVE_FORWARDED)
WAITING_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)
#: The events a figure is counted from (besides the events that trigger a handover).
COUNTED_ACTIONS = frozenset({*START_ACTIONS, *ASSESSMENT_DECISIONS, ReferralAction.DISCHARGE, ReferralAction.MOVE})

# The measures. Values: a referrer kind, a start action, "kind/reason", "calendar/working" days, an outcome.
RECEIVED = "received"  # value: "referrer kind/start action"
REJECTED = "rejected"  # value: "referrer kind/rejection reason"
AWAITING = "awaiting_assessment"
ASSESSMENT = "days_to_assessment"
SENT_WITH_GAPS = "sent_with_gaps"
MUNICIPAL_LEVEL = "municipal_level"
WITHOUT_EPIKRISE = "discharged_without_epikrise"
MOVED_IN, MOVED_OUT, TRANSFERRED = "moved_in", "moved_out", "moved_transferred"
HANDOVER_CREATED = "handover_created"
#: Deadline breaches recorded by the sweep (workflows/escalation.py), valued by kind, on the day of the mark.
BREACHES = "deadline_breaches"
BREACH_KINDS = ("assessment_breach", "care_start_breach")
TO_ACKNOWLEDGED = "days_to_acknowledged"
TO_FIRST_CONTACT = "days_to_first_contact"
#: The equity table (services/equity.py): "equity:<group>", valued by outcome.
EQUITY = "equity:"
INTERPRETER, PARENT_ILLNESS, CHILD_WELFARE_PARTNER = "interpreter", "parent_illness", "child_welfare_partner"
EQUITY_OUTCOMES = {ReferralAction.ACCEPT: "accepted", ReferralAction.REJECT: "rejected"}


def clinic_key(clinic_id: str) -> str:
    return f"c:{clinic_id}"


def referrer_key(organisation_id: str) -> str:
    return f"r:{organisation_id}"


def municipality_key(number: str) -> str:
    return f"m:{number}"


def municipality_org_key(organisation_id: str) -> str:
    return f"mo:{organisation_id}"


def language_group(code: str) -> str:
    return f"{INTERPRETER}:{code}"


@dataclass(frozen=True)
class CountingRules:
    """What turns instants into days: Norway's time zone and working-day calendar (the settings)."""

    calendar: WorkingDayCalendar
    timezone: tzinfo

    def day(self, at: datetime) -> date:
        return at.astimezone(self.timezone).date()

    def span(self, start: date, end: date) -> str:
        return f"{(end - start).days}/{self.calendar.working_days_between(start, end)}"


# --- reading what a referral's entries are made of ---------------------------------------------------------

REFERRAL_COLUMNS = (col(Referral.id), col(Referral.status), col(Referral.clinic_id), col(Referral.referrer_org_id),
                    col(Referral.referrer_kind), col(Referral.child_home_municipality),
                    col(Referral.shared_with_municipality), col(Referral.interpreter_needed),
                    col(Referral.interpreter_language), col(Referral.reasons), col(Referral.child_welfare_org_id))
EVENT_COLUMNS = (col(ReferralEvent.id), col(ReferralEvent.referral_id), col(ReferralEvent.action),
                 col(ReferralEvent.at), col(ReferralEvent.data), col(ReferralEvent.handover_trigger))
HANDOVER_COLUMNS = (col(Handover.referral_id), col(Handover.trigger_event_id), col(Handover.municipality_org_id),
                    col(Handover.acknowledged_at), col(Handover.first_contact_on))


@cache
def _statements() -> tuple[Select, Select, Select]:
    """The three reads of `load_entries`, built once: a statement's construction costs more than its execution on
    the write path, which loads one referral's entries on every counted change. `ids` is an expanding parameter."""
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    referrals = select(*REFERRAL_COLUMNS).where(col(Referral.id).in_(ids))
    # The breach marks come in the same statement, as rows of the events' shape with their kind as the action
    # (the write path pays one statement less per counted change).
    counted = (select(*EVENT_COLUMNS)
               .where(col(ReferralEvent.referral_id).in_(ids),
                      or_(col(ReferralEvent.action).in_(sorted(COUNTED_ACTIONS)),
                          col(ReferralEvent.handover_trigger).is_not(None))))
    breaches = select(col(DeadlineMark.id), col(DeadlineMark.referral_id), col(DeadlineMark.kind),
                      col(DeadlineMark.at), null().label("data"), null().label("handover_trigger")
                      ).where(col(DeadlineMark.referral_id).in_(ids), col(DeadlineMark.kind).in_(BREACH_KINDS))
    rows = union_all(counted, breaches).subquery()
    events = select(rows).order_by(rows.c.at, rows.c.id)
    handovers = select(*HANDOVER_COLUMNS).where(col(Handover.referral_id).in_(ids))
    return referrals, events, handovers


def load_entries(connection: Connection, referral_ids: Iterable[str], rules: CountingRules) -> dict[str, Counter]:
    """Each referral's entries as stored now (in this transaction), by referral id; three queries."""
    ids = sorted(set(referral_ids))
    if not ids:
        return {}
    read_referrals, read_events, read_handovers = _statements()
    referrals = connection.execute(read_referrals, {"ids": ids}).all()
    events: dict[str, list[Any]] = {rid: [] for rid in ids}
    marks: dict[str, list[Any]] = {rid: [] for rid in ids}
    for event in connection.execute(read_events, {"ids": ids}):
        (marks if event.action in BREACH_KINDS else events)[event.referral_id].append(event)
    handovers: dict[str, list[Any]] = {rid: [] for rid in ids}
    for handover in connection.execute(read_handovers, {"ids": ids}):
        handovers[handover.referral_id].append(handover)
    return {referral.id: entries_of(referral, events[referral.id], handovers[referral.id], rules,
                                    marks=marks[referral.id])
            for referral in referrals}


# --- a referral's entries ----------------------------------------------------------------------------------

def referral_scopes(referral: Any) -> list[str]:
    """Whose referral figures this referral is in (security/statistics_scope.py, as keys)."""
    scopes = [NATIONAL, clinic_key(referral.clinic_id), referrer_key(referral.referrer_org_id)]
    if referral.shared_with_municipality and referral.child_home_municipality:
        scopes.append(municipality_key(referral.child_home_municipality))
    return scopes


def entries_of(referral: Any, events: Sequence[Any], handovers: Sequence[Any], rules: CountingRules, *,
               marks: Sequence[Any] = ()) -> Counter:
    """Everything one referral counts for, in every scope that sees it; events in the order they happened,
    and its deadline breach marks (kind as `action`)."""
    scopes = referral_scopes(referral)
    own: Counter = Counter()  # (day, measure, value), counted in each of `scopes`
    own.update((rules.day(mark.at), BREACHES, mark.action) for mark in marks)
    start = next((e for e in events if e.action in START_ACTIONS), None)
    decision = next((e for e in events if e.action in ASSESSMENT_DECISIONS), None)
    if start is not None:
        started = rules.day(start.at)
        own.update(_received(referral, start, decision, started, rules))
    for event in events:
        own.update(_event_entries(event, rules))
    entries: Counter = Counter({(scope, day, measure, value): n for scope in scopes
                                for (day, measure, value), n in own.items()})
    entries.update(_moves(referral, events, scopes, rules))
    triggers = {e.id: e for e in events if e.handover_trigger is not None}
    for handover in handovers:
        entries.update(_handover_entries(referral, handover, triggers.get(handover.trigger_event_id), rules))
    return entries


def _received(referral: Any, start: Any, decision: Any | None, started: date,
              rules: CountingRules) -> list[tuple[date, str, str]]:
    """A referral received on `started`: its referrer kind and route, BUP's decision, the equity groups."""
    kind = referral.referrer_kind
    found = [(started, RECEIVED, f"{kind}/{start.action}")]
    if decision is None:
        if referral.status in WAITING_STATUSES:
            found.append((started, AWAITING, ""))
    else:
        found.append((started, ASSESSMENT, rules.span(started, rules.day(decision.at))))
        if decision.action == ReferralAction.REJECT:
            reason = (decision.data or {}).get("reason_code") or RejectionReason.OTHER
            found.append((started, REJECTED, f"{kind}/{reason}"))
    outcome = EQUITY_OUTCOMES.get(decision.action, "undecided") if decision is not None else "undecided"
    found += [(started, EQUITY + group, outcome) for group in equity_groups(referral)]
    return found


def equity_groups(referral: Any) -> list[str]:
    """The equity table's rows this referral is counted in (services/equity.py)."""
    groups = []
    if referral.interpreter_needed:
        groups += [INTERPRETER, language_group(referral.interpreter_language or "")]
    if ReasonCode.PARENT_ILLNESS in (referral.reasons or []):
        groups.append(PARENT_ILLNESS)
    if referral.child_welfare_org_id:
        groups.append(CHILD_WELFARE_PARTNER)
    return groups


def _event_entries(event: Any, rules: CountingRules) -> list[tuple[date, str, str]]:
    """The figures counted on the day of one event: gaps at sending, municipal outcomes, missing epikriser."""
    data = event.data or {}
    if event.action == ReferralAction.SUBMIT and data.get("gaps"):
        return [(rules.day(event.at), SENT_WITH_GAPS, "")]
    if event.action == ReferralAction.MUNICIPAL_OUTCOME:
        return [(rules.day(event.at), MUNICIPAL_LEVEL, "")]
    if event.action == ReferralAction.DISCHARGE and data.get("epikrise_sent") is False:
        return [(rules.day(event.at), WITHOUT_EPIKRISE, "")]
    return []


def _moves(referral: Any, events: Sequence[Any], scopes: list[str], rules: CountingRules) -> Counter:
    """Moves: every scope but a municipality counts each move in and out; a municipality the moves to and from
    it of families that share with it, and of those the ones that took an open task along."""
    found: Counter = Counter()
    for event in events:
        if event.action != ReferralAction.MOVE:
            continue
        day, data = rules.day(event.at), event.data or {}
        transferred = bool(data.get("transferred_to_id"))
        for scope in scopes:
            if scope.startswith("m:"):
                continue
            found.update([(scope, day, MOVED_IN, ""), (scope, day, MOVED_OUT, "")])
            if transferred:
                found[(scope, day, TRANSFERRED, "")] += 1
        if not referral.shared_with_municipality:
            continue
        to, away = data.get("to_municipality"), data.get("from_municipality")
        for number in {n for n in (to, away) if n}:
            scope = municipality_key(number)
            found.update([(scope, day, measure, "") for measure, moved in ((MOVED_IN, number == to),
                                                                          (MOVED_OUT, number == away)) if moved])
            if transferred:
                found[(scope, day, TRANSFERRED, "")] += 1
    return found


def _handover_entries(referral: Any, handover: Any, trigger: Any | None, rules: CountingRules) -> Counter:
    """A handover triggered by a decision: counted on the decision's day, with the waits to the municipality's
    acknowledgement and to the planned first contact, for the referral's scopes and the municipality holding it."""
    if trigger is None:
        return Counter()
    triggered = rules.day(trigger.at)
    own = [(triggered, HANDOVER_CREATED, "")]
    if handover.acknowledged_at is not None:
        own.append((triggered, TO_ACKNOWLEDGED, rules.span(triggered, rules.day(handover.acknowledged_at))))
    if handover.first_contact_on is not None:
        own.append((triggered, TO_FIRST_CONTACT, rules.span(triggered, handover.first_contact_on)))
    scopes = [NATIONAL, clinic_key(referral.clinic_id), referrer_key(referral.referrer_org_id)]
    if handover.municipality_org_id:
        scopes.append(municipality_org_key(handover.municipality_org_id))
    return Counter({(scope, day, measure, value): 1 for scope in scopes for day, measure, value in own})
