"""Oversikt: how often children's contact person in the municipality changed in the period (staff leaving,
tasks passed on), from the steps that gave each child's tasks to people (`workflows/contact_person.py`).
Aggregates only, hidden for 1 or 2 children; no child is named.

- children: those whose task was held by a person at some time in the period: a task counts as held from the
  first step that gave it to a person until it was closed (a task back in the queue is still the child's task);
- changes: each time a person took over after another person held the child's task, in the period, in time
  order across the child's tasks within the scope that were still open when the period began or opened since;
- per child: changes / children; 2 or more: the children with at least two changes, and their share.

Distinct children over any period cannot be summed from counts per day, so each child adds points (x, y) to
`dashboard_contact_count`, and a figure for [first, last] is the sum of the points with x >= first and
y <= last, whatever the period:
- held: each spell the child was held (its tasks' held days merged) is (last day, first day), +1: it touches the
  period when it ends on or after `first` and starts on or before `last`; each gap between two spells is
  (end of the one, start of the next), -1, so a child held twice in the period counts once;
- changes and two or more: which steps are changes depends on the tasks still open on the first day, so the
  first days are cut into pieces in which nothing changes, and each piece adds its changes (and the day of its
  second change) at (its last first day, the change's day) and takes them away at (the day before it, ...):
  the points with x >= first leave the piece `first` lies in (`_change_points`).
An open task's spell ends on OPEN_END. A child's points are a pure function of its tasks and their holder steps
as stored, replaced in the counts whenever a transaction changes them (services/dashboard_counts.py).
The country's points are kept in days, months and years on both axes, so a period reads at most a few
thousand rows whatever the country's size; a clinic's or a municipality's per day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import Connection, delete, inspect, select, union_all
from sqlmodel import Session, col, func

from referral_service.domain.dashboard_contact import DashboardContactCount
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import Referral
from referral_service.services.dashboard_blocks import (
    DAY,
    NATIONAL_GRAINS,
    YEAR,
    adding_upsert,
    batches,
    block_start,
    difference_since,
    period_blocks,
)
from referral_service.services.dashboard_facts import (
    NATIONAL,
    CountingRules,
    clinic_key,
    municipality_org_key,
    referrer_key,
)
from referral_service.workflows.contact_person import contact_changes
from referral_service.workflows.handover_lifecycle import HandoverAction, StaffChange
from referral_service.workflows.statistics import Figure, count_figure, mean_figure, share_figure

#: The steps that change who holds a task, and where each names the new holder.
HOLDER_STEPS = {HandoverAction.ASSIGN: "assignee_user_id", StaffChange.REASSIGN: "to_user_id",
                StaffChange.RELEASE: "to_user_id"}
#: The attributes whose change changes a child's points: the task's end and the scopes it is counted in.
COUNTED_HANDOVER_FIELDS = ("referral_id", "closed_at", "municipality_org_id")
COUNTED_REFERRAL_FIELDS = ("child_id", "clinic_id", "referrer_org_id")
HELD, CHANGES, TWO_OR_MORE = "held", "changes", "two_or_more"
OPEN_END = date(9999, 12, 31)
ONE_DAY = timedelta(days=1)
_BEFORE = "dashboard_contacts.before"


@dataclass(frozen=True)
class ContactFigures:
    children: Figure
    changes: Figure
    per_child: Figure
    two_or_more: Figure
    two_or_more_share: Figure


# --- a child's points --------------------------------------------------------------------------------------

@dataclass
class Task:
    """One of a child's tasks as the counts see it: the scopes it is in, when it closed, its holder steps."""

    scopes: list[str]
    closed_at: datetime | None
    steps: list[tuple[datetime, str, str | None]] = field(default_factory=list)  # at, step id, new holder


def task_scopes(*, clinic_id: str, referrer_org_id: str, municipality_org_id: str | None) -> list[str]:
    """Whose contact figures a task is in (security/statistics_scope.py's handover scopes, as keys)."""
    scopes = [NATIONAL, clinic_key(clinic_id), referrer_key(referrer_org_id)]
    if municipality_org_id:
        scopes.append(municipality_org_key(municipality_org_id))
    return scopes


def _spells(held: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Held days merged into spells, in order."""
    spells: list[tuple[date, date]] = []
    for first, last in sorted(held):
        if spells and first.toordinal() <= spells[-1][1].toordinal() + 1:
            spells[-1] = (spells[-1][0], max(spells[-1][1], last))
        else:
            spells.append((first, last))
    return spells


def child_points(tasks: Sequence[Task], rules: CountingRules) -> Counter:
    """The points one child adds, in every scope its tasks are in (see the module's docstring)."""
    points: Counter = Counter()
    for scope in sorted({scope for task in tasks for scope in task.scopes}):
        mine = [task for task in tasks if scope in task.scopes]
        held = []
        for task in mine:
            named = [at for at, _id, person in task.steps if person]
            if named:
                start = rules.day(min(named))
                end = rules.day(task.closed_at) if task.closed_at is not None else OPEN_END
                held.append((start, max(start, end)))
        spells = _spells(held)
        for first, last in spells:
            points[(scope, HELD, last, first)] += 1
        for (_first, end), (start, _last) in zip(spells, spells[1:], strict=False):
            points[(scope, HELD, end, start)] -= 1
        points.update(_change_points(scope, mine, rules))
    return Counter({key: n for key, n in points.items() if n})


def _change_points(scope: str, tasks: Sequence[Task], rules: CountingRules) -> Counter:
    """The points of the child's changes and of "two or more", whose earlier holders are those of the tasks
    still open at the start of the period (or closed in it), so they depend on the first day of the period.

    The first days fall into pieces [b, next b - 1] in which that set of tasks and the changes on or after the
    first day stay the same (a new piece starts the day after a task closed or a step was taken). A piece's
    changes on days d add +1 at (its last first day, d) and -1 at (the day before its first first day, d): the
    sum for x >= first leaves exactly the piece holding `first`. "Two or more" does the same with the day of the
    piece's second change.
    """
    steps = sorted(((at, step_id, person, task.closed_at) for task in tasks for at, step_id, person in task.steps),
                   key=lambda step: (step[0], step[1]))
    if not steps:
        return Counter()
    starts = sorted({date.min, *(rules.day(at) + ONE_DAY for at, *_rest in steps),
                     *(rules.day(task.closed_at) + ONE_DAY for task in tasks if task.closed_at is not None)})
    points: Counter = Counter()
    for start, next_start in zip(starts, [*starts[1:], None], strict=True):
        open_then = [(at, person) for at, _id, person, closed_at in steps
                     if closed_at is None or rules.day(closed_at) >= start]
        days = [day for day in (rules.day(at) for at in contact_changes(open_then)) if day >= start]
        if not days or next_start is None:
            continue
        last_first, before = next_start - ONE_DAY, (start - ONE_DAY if start != date.min else None)
        for counted, measure in [(day, CHANGES) for day in days] + ([(days[1], TWO_OR_MORE)] if days[1:] else []):
            points[(scope, measure, last_first, counted)] += 1
            if before is not None:
                points[(scope, measure, before, counted)] -= 1
    return points


def load_points(connection: Connection, child_ids: Iterable[str], rules: CountingRules) -> dict[str, Counter]:
    """Each child's points as stored now (in this transaction), by child id; two queries."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    tasks: dict[str, Task] = {}
    children: dict[str, list[Task]] = {child: [] for child in ids}
    for row in connection.execute(
            select(col(Handover.id), col(Handover.closed_at), col(Handover.municipality_org_id),
                   col(Referral.child_id), col(Referral.clinic_id), col(Referral.referrer_org_id))
            .join(Referral, col(Referral.id) == col(Handover.referral_id))
            .where(col(Referral.child_id).in_(ids))):
        task = Task(task_scopes(clinic_id=row.clinic_id, referrer_org_id=row.referrer_org_id,
                                municipality_org_id=row.municipality_org_id), row.closed_at)
        tasks[row.id] = task
        children[row.child_id].append(task)
    data = col(HandoverEvent.data)
    assignee, to_user = (data[HOLDER_STEPS[action]].as_string()
                         for action in (HandoverAction.ASSIGN, StaffChange.REASSIGN))
    for batch in batches(sorted(tasks)):
        for event_id, handover_id, at, action, assigned, to in connection.execute(
                select(col(HandoverEvent.id), col(HandoverEvent.handover_id), col(HandoverEvent.at),
                       col(HandoverEvent.action), assignee, to_user)
                .where(col(HandoverEvent.handover_id).in_(batch),
                       col(HandoverEvent.action).in_([str(a) for a in HOLDER_STEPS]))):
            person = assigned if HOLDER_STEPS[action] == "assignee_user_id" else to
            tasks[handover_id].steps.append((at, event_id, person))
    return {child: child_points(found, rules) for child, found in children.items()}


# --- writing -----------------------------------------------------------------------------------------------

def add_points(connection: Connection, difference: Counter) -> None:
    """Add a difference of points to the stored counts, each in its cells, in key order (writers never deadlock)."""
    cells: Counter = Counter()
    for (scope, measure, x, y), n in difference.items():
        grains = NATIONAL_GRAINS if scope == NATIONAL else (DAY,)
        for x_grain in grains:
            for y_grain in grains:
                cells[(scope, x_grain, block_start(x, x_grain), y_grain, block_start(y, y_grain), measure)] += n
    rows = [{"scope": s, "x_grain": xg, "x_block": xb, "y_grain": yg, "y_block": yb, "measure": m, "count": n}
            for (s, xg, xb, yg, yb, m), n in sorted(cells.items()) if n]
    if not rows:
        return
    connection.execute(adding_upsert(connection.dialect.name, DashboardContactCount.__table__,
                                     ("scope", "x_grain", "x_block", "y_grain", "y_block", "measure")), rows)


def rebuild_contact_counts(connection: Connection, rules: CountingRules) -> int:
    """Count every child's points again (the migration, the rebuild); the number of children counted."""
    connection.execute(delete(DashboardContactCount))
    children = connection.execute(
        select(col(Referral.child_id)).distinct()
        .where(col(Referral.id).in_(select(col(Handover.referral_id))))
        .order_by(col(Referral.child_id))).scalars().all()
    for batch in batches(children):
        points: Counter = Counter()
        for found in load_points(connection, batch, rules).values():
            points.update(found)
        add_points(connection, points)
    return len(children)


# --- keeping them in step (called by services/dashboard_counts.py's listeners) -----------------------------

def _changed(row: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in fields)


def touched_children(session: Session) -> set[str]:
    """The children whose points this flush may change: a holder step, a task closed or moved to another
    scope, a referral moved to another clinic or referrer."""
    handovers: set[str] = set()
    children: set[str] = set()
    pending = {row.id: row for row in session.new if isinstance(row, Handover)}
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, HandoverEvent) and row.action in HOLDER_STEPS and row not in session.dirty:
            handovers.add(row.handover_id)
        elif isinstance(row, Handover) and row not in session.new and (
                row in session.deleted or _changed(row, COUNTED_HANDOVER_FIELDS)):
            handovers.add(row.id)
        elif isinstance(row, Referral) and row not in session.new and _changed(row, COUNTED_REFERRAL_FIELDS):
            children.add(row.child_id)
            children.update(c for c in inspect(row).attrs["child_id"].history.deleted or () if c)
    stored = handovers - pending.keys()
    if stored:
        children.update(session.connection().execute(
            select(col(Referral.child_id)).join(Handover, col(Handover.referral_id) == col(Referral.id))
            .where(col(Handover.id).in_(sorted(stored)))).scalars())
    for handover_id in handovers & pending.keys():  # a step on a task created in this transaction
        referral = session.get(Referral, pending[handover_id].referral_id)
        if referral is not None:
            children.add(referral.child_id)
    return {child for child in children if child}


def note_before(session: Session, rules: CountingRules) -> None:
    """Before a flush: the points of each child it touches, as they were before this transaction touched it."""
    before: dict[str, Counter] = session.info.setdefault(_BEFORE, {})
    unseen = touched_children(session) - before.keys()
    if unseen:
        before.update(load_points(session.connection(), unseen, rules))


def add_difference(session: Session, rules: CountingRules) -> None:
    """Before the commit (after the last flush): add each touched child's new points less its old ones."""
    before: dict[str, Counter] = session.info.pop(_BEFORE, {})
    if not before:
        return
    connection = session.connection()
    add_points(connection, difference_since(before, lambda batch: load_points(connection, batch, rules)))


def forget(session: Session) -> None:
    session.info.pop(_BEFORE, None)


# --- reading -----------------------------------------------------------------------------------------------

def _cells(first: date, last: date, *, today: date) -> list[tuple[str, list[date], str, date, date]]:
    """The country's cells holding the points with x >= first and y <= last: per grain of x, the blocks of x,
    and per grain of y, the range of y's blocks (x never lies after today's next year, but on OPEN_END)."""
    x_blocks: dict[str, list[date]] = defaultdict(list)
    for grain, start in [*period_blocks(first, date(max(last.year, today.year) + 1, 12, 31)),
                         (YEAR, block_start(OPEN_END, YEAR))]:
        x_blocks[grain].append(start)
    y_ranges: dict[str, tuple[date, date]] = {}
    for grain, start in period_blocks(date(1900, 1, 1), last):
        low = y_ranges.get(grain, (start, start))[0]
        y_ranges[grain] = (low, start)
    return [(x_grain, starts, y_grain, low, high) for x_grain, starts in x_blocks.items()
            for y_grain, (low, high) in y_ranges.items()]


def read_contact_totals(session: Session, *, scope: str, first: date, last: date, today: date) -> Counter:
    """The scope's points with x >= first and y <= last, summed by measure."""
    table = DashboardContactCount
    base = (col(table.scope) == scope,)
    if scope == NATIONAL:
        parts = [select(col(table.measure), col(table.count))
                 .where(*base, col(table.x_grain) == x_grain, col(table.x_block).in_(starts),
                        col(table.y_grain) == y_grain, col(table.y_block) >= low, col(table.y_block) <= high)
                 for x_grain, starts, y_grain, low, high in _cells(first, last, today=today)]
    else:
        parts = [select(col(table.measure), col(table.count))
                 .where(*base, col(table.x_grain) == DAY, col(table.x_block) >= first,
                        col(table.y_grain) == DAY, col(table.y_block) <= last)]
    rows = union_all(*parts).subquery()
    return Counter({measure: int(n) for measure, n in session.execute(
        select(rows.c.measure, func.sum(rows.c.count)).group_by(rows.c.measure)) if n})


def contact_figures(session: Session, *, scope: str, first: date, last: date, today: date) -> ContactFigures:
    """The changes of contact person per child in the period [first, last] (days in Norway), within the scope."""
    totals = read_contact_totals(session, scope=scope, first=first, last=last, today=today)
    children, changes, several = totals[HELD], totals[CHANGES], totals[TWO_OR_MORE]
    return ContactFigures(children=count_figure(children), changes=count_figure(changes),
                          per_child=mean_figure(changes, children), two_or_more=count_figure(several),
                          two_or_more_share=share_figure(several, children))
