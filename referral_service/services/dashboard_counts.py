"""Keeping Oversikt's counts (domain/dashboard_count.py) in step with the referrals, in the same transaction.

Every commit of a session that changed a counted part of a referral (its row, a counted event, a handover, a
deadline breach mark) replaces that referral's entries (services/dashboard_facts.py) in the counts: its
entries are read before the first flush that touches it and again just before the commit, and the difference
is added, in one statement, to the rows it changes. A rolled-back transaction takes its difference with it,
so the counts cannot drift from the events; `rebuild_counts` (migration 0021, the data generator) counts them
all again, which the tests compare with.
The children's contact-person points (services/dashboard_contacts.py) are kept the same way, per child, by the
same listeners. Changing the working-day calendar's setting needs a rebuild; rows written outside the ORM (a bulk
load) too.
Concurrent writers wait for each other only on the country's rows of the same day, briefly: the one statement
that adds a difference runs just before COMMIT, in key order.

The country's counts are kept per day, month and year, every other scope's per day (a clinic or a municipality
has few entries a day), so a year of the whole country reads twelve months and the days at its edges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from itertools import chain
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, delete, event, func, inspect, select, union_all
from sqlmodel import Session, col

from referral_service.domain.dashboard_contact import DashboardContactCount
from referral_service.domain.dashboard_count import DashboardCount
from referral_service.domain.enums import ReferralStatus
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.services import dashboard_contacts as contacts
from referral_service.services.dashboard_blocks import (
    DAY,
    NATIONAL_GRAINS,
    adding_upsert,
    batches,
    block_start,
    difference_since,
    period_blocks,
)
from referral_service.services.dashboard_facts import (
    BREACH_KINDS,
    BREACHES,
    COUNTED_ACTIONS,
    NATIONAL,
    REFERRAL_COLUMNS,
    CountingRules,
    load_entries,
    referral_scopes,
)

#: The attributes whose change changes what a referral or a handover counts for.
COUNTED_REFERRAL_FIELDS = ("status", "clinic_id", "referrer_org_id", "referrer_kind", "child_home_municipality",
                           "shared_with_municipality", "interpreter_needed", "interpreter_language", "reasons",
                           "child_welfare_org_id")
COUNTED_HANDOVER_FIELDS = ("referral_id", "trigger_event_id", "municipality_org_id", "acknowledged_at",
                           "first_contact_on")
_BEFORE = "dashboard_counts.before"

Key = tuple[str, str, date, str, str]  # scope, grain, first day of the block, measure, value


# --- writing -----------------------------------------------------------------------------------------------

def _keys(entries: Counter) -> Counter:
    """Entries as counted rows: each in its day, and the country's also in its month and year."""
    rows: Counter = Counter()
    for (scope, day, measure, value), n in entries.items():
        for grain in (NATIONAL_GRAINS if scope == NATIONAL else (DAY,)):
            rows[(scope, grain, block_start(day, grain), measure, value)] += n
    return rows


def add_to_counts(connection: Connection, difference: Counter) -> None:
    """Add a difference of entries to the stored counts, in key order (so concurrent writers wait, never deadlock)."""
    rows = [{"scope": s, "grain": g, "day": d, "measure": m, "value": v, "count": n}
            for (s, g, d, m, v), n in sorted(_keys(difference).items()) if n]
    if rows:
        connection.execute(adding_upsert(connection.dialect.name, DashboardCount.__table__,
                                         ("scope", "grain", "day", "measure", "value")), rows)


def rebuild_counts(connection: Connection, rules: CountingRules) -> int:
    """Count every referral's entries again from the events (the migration, the rebuild command); the number
    of referrals counted. Runs in its caller's transaction."""
    connection.execute(delete(DashboardCount))
    ids = connection.execute(select(col(Referral.id)).order_by(col(Referral.id))).scalars().all()
    for batch in batches(ids):
        entries: Counter = Counter()
        for found in load_entries(connection, batch, rules).values():
            entries.update(found)
        add_to_counts(connection, entries)
    # Migration 0021 runs this before the contact counts' table exists; 0022 creates it and runs this again.
    if inspect(connection).has_table(DashboardContactCount.__tablename__):
        contacts.rebuild_contact_counts(connection, rules)
    return len(ids)


def recount_breaches(connection: Connection, rules: CountingRules) -> int:
    """Count the deadline breach marks into the referrals' counts again, and only them (migration 0022: the
    rest of the counts were right already); the number of marks counted. Runs in its caller's transaction."""
    connection.execute(delete(DashboardCount).where(col(DashboardCount.measure) == BREACHES))
    entries: Counter = Counter()
    marks = connection.execute(
        select(col(DeadlineMark.at), col(DeadlineMark.kind), *REFERRAL_COLUMNS)
        .join(Referral, col(Referral.id) == col(DeadlineMark.referral_id))
        .where(col(DeadlineMark.kind).in_(BREACH_KINDS))).all()
    for mark in marks:
        entries.update((scope, rules.day(mark.at), BREACHES, mark.kind) for scope in referral_scopes(mark))
    add_to_counts(connection, entries)
    return len(marks)


# --- keeping them in step ----------------------------------------------------------------------------------

#: By the engine's dialect, which its copies with other execution options (db.py's read-only engine) share, so
#: their sessions keep the same counts, and which outlives `engine.dispose()` (that replaces the pool: keyed by the
#: pool, the counts stopped being kept after a dispose).
_RULES: WeakKeyDictionary[Any, CountingRules] = WeakKeyDictionary()


def keep_counts(engine: Engine, rules: CountingRules) -> None:
    """Keep the counts of this database in step with every session's commits (bootstrap calls this once)."""
    _RULES[engine.dialect] = rules
    for name, listener in (("before_flush", _before_flush), ("before_commit", _before_commit),
                           ("after_commit", _forget), ("after_soft_rollback", _forget_after_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _rules_of(session: Session) -> CountingRules | None:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return _RULES.get(engine.dialect) if isinstance(engine, Engine) else None


def _changed(row: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in fields)


def touched_referrals(session: Session) -> tuple[set[str], set[str]]:
    """The referrals whose counted parts this flush changes, and which of them are new."""
    touched, new = set(), set()
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, Referral):
            # A referral counts for nothing until its first counted event (which touches it): a draft's edits
            # and a new row alone need no counting.
            if row in session.new or _was_draft(row):
                new.add(row.id)
            if row in session.new:
                continue
            if row.status != ReferralStatus.DRAFT and (_changed(row, COUNTED_REFERRAL_FIELDS)
                                                        or row in session.deleted):
                touched.add(row.id)
        else:
            touched.update(_referrals_touched_by(session, row))
    return touched, new & touched


def _referrals_touched_by(session: Session, row: Any) -> list[str]:
    """The referrals whose entries a changed event, handover or breach mark changes."""
    if isinstance(row, ReferralEvent) and (row.action in COUNTED_ACTIONS or row.handover_trigger is not None):
        return [row.referral_id]
    if isinstance(row, Handover) and (row in session.new or row in session.deleted
                                      or _changed(row, COUNTED_HANDOVER_FIELDS)):
        return [row.referral_id, *_changed_referral(row)]
    if isinstance(row, DeadlineMark) and row.kind in BREACH_KINDS and row.referral_id and row not in session.dirty:
        return [row.referral_id]
    return []


def _was_draft(referral: Referral) -> bool:
    """Whether the stored row is still a draft (being sent now): it counted for nothing before this flush."""
    return list(inspect(referral).attrs["status"].history.deleted or ()) == [ReferralStatus.DRAFT]


def _changed_referral(handover: Handover) -> list[str]:
    """A handover moved to another referral leaves the old one's entries too (never done; kept for safety)."""
    history = inspect(handover).attrs["referral_id"].history
    return [rid for rid in history.deleted or () if rid]


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    rules = _rules_of(session)
    if rules is None:
        return
    contacts.note_before(session, rules)
    before: dict[str, Counter] = session.info.setdefault(_BEFORE, {})
    touched, new = touched_referrals(session)
    unseen = touched - before.keys()
    if not unseen:
        return
    for rid in unseen & new:
        before[rid] = Counter()
    stored = load_entries(session.connection(), unseen - new, rules)
    for rid in unseen - new:
        before[rid] = stored.get(rid, Counter())


def _before_commit(session: Session) -> None:
    rules = _rules_of(session)
    if rules is None:
        return
    session.flush()
    contacts.add_difference(session, rules)
    before: dict[str, Counter] = session.info.pop(_BEFORE, {})
    if not before:
        return
    connection = session.connection()
    add_to_counts(connection, difference_since(before, lambda batch: load_entries(connection, batch, rules)))


def _forget(session: Session) -> None:
    session.info.pop(_BEFORE, None)
    contacts.forget(session)


def _forget_after_rollback(session: Session, _previous: Any) -> None:
    _forget(session)


# --- reading -----------------------------------------------------------------------------------------------

Totals = dict[str, Counter]  # measure -> value -> count


def _runs(blocks: list[tuple[str, date]]) -> list[tuple[str, date, date]]:
    """Blocks of one grain next to each other as (grain, first block, last block): at most five runs."""
    runs: list[tuple[str, date, date]] = []
    for grain, day in blocks:
        if runs and runs[-1][0] == grain:
            runs[-1] = (grain, runs[-1][1], day)
        else:
            runs.append((grain, day, day))
    return runs


def read_totals(session: Session, *, scopes: Iterable[str], first: date, last: date) -> dict[str, Totals]:
    """Each scope's counts summed over [first, last], by measure and value: a few thousand rows at most,
    each run of blocks read as one range of the primary key."""
    ranges = [(scope, grain, start, end) for scope in sorted(set(scopes))
              for grain, start, end in (_runs(period_blocks(first, last)) if scope == NATIONAL
                                        else [(DAY, first, last)])]
    totals: dict[str, Totals] = {scope: {} for scope in scopes}
    if first > last:
        return totals
    parts = [select(col(DashboardCount.scope), col(DashboardCount.measure), col(DashboardCount.value),
                    col(DashboardCount.count))
             .where(col(DashboardCount.scope) == scope, col(DashboardCount.grain) == grain,
                    col(DashboardCount.day) >= start, col(DashboardCount.day) <= end)
             for scope, grain, start, end in ranges]
    rows = union_all(*parts).subquery()
    for scope, measure, value, count in session.execute(
            select(rows.c.scope, rows.c.measure, rows.c.value, func.sum(rows.c.count))
            .group_by(rows.c.scope, rows.c.measure, rows.c.value)):
        if count:
            totals[scope].setdefault(measure, Counter())[value] = int(count)
    return totals
