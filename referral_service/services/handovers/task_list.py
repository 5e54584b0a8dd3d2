"""The list of handover tasks a reader may see: new and overdue first, then by due date, read through indexes.

The tasks still open are few at any time; the closed ones grow with every year. So each part of the reader's
need-to-know (handover_visibility.handover_parts) is read twice: its open tasks, sorted in full (they are few), and
its closed ones, which all come last in the list's order and are read in the order of the index on (municipality or
owner, status, acknowledge_due, created_at) up to the page's end. Only those rows are sorted together.

The web shows the open and the closed tasks as two lists (TaskFilter.closed), each narrowed by WHERE clauses on the
same parts (mine, unassigned, overdue, escalated, status, the child searched for) and sorted, when asked, by one due
date; the closed list by acknowledge_due, newest first, through the same index read backwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, true
from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import handover_parts
from referral_service.services.children.search import NO_SEARCH, ChildSearch, search_clause
from referral_service.services.pagination import Branch, Order, Page, PageRequest, SortKey, read_page
from referral_service.workflows.handover_lifecycle import OPEN_STATUSES, HandoverStatus, overdue_handovers

#: Where a closed task stands in the list's order: after every overdue and every new one (urgency 2).
LAST = 2

_CLOSED_ORDER = Order((SortKey(col(Handover.acknowledge_due)), SortKey(col(Handover.created_at)),
                       SortKey(col(Handover.id))))


def urgency(today: date) -> Any:
    """0 overdue, 1 new (open), 2 the rest: the list's first sort key."""
    return case((overdue_handovers(today), 0), (col(Handover.status) == HandoverStatus.OPEN, 1), else_=LAST)


def _order(today: date) -> Order:
    return Order((SortKey(urgency(today)), *_CLOSED_ORDER.keys))


def _closed_after(values: tuple[Any, ...]) -> Any:
    """Closed tasks after a row of the list: all of them after an overdue or new one; else by due date."""
    return _CLOSED_ORDER.after(values[1:]) if values[0] == LAST else None


class DueDate(StrEnum):
    """The due dates a list may be sorted by."""

    ACKNOWLEDGE = "acknowledge_due"
    FIRST_CONTACT = "first_contact_due"


@dataclass(frozen=True)
class TaskFilter:
    """Which of the reader's tasks a list shows, and in which order.

    `closed` None: open and closed in one list (the API's); True or False: only those (the web's two tabs). Every
    other field narrows with a WHERE clause on the need-to-know parts. With `due` the list is sorted by that date
    (then by creation); without it new and overdue first, the closed ones last, newest first when only closed."""

    closed: bool | None = None
    status: str | None = None
    overdue: bool = False
    escalated: bool = False
    #: Assigned to this user (the reader's own tasks).
    assignee_user_id: str | None = None
    #: Held by nobody: no person and no service.
    unassigned: bool = False
    search: ChildSearch = NO_SEARCH
    due: DueDate | None = None
    descending: bool = False


def _filters(tasks: TaskFilter, *, today: date) -> list[Any]:
    filters: list[Any] = [true()]
    if tasks.closed is not None:
        filters.append(col(Handover.status) == HandoverStatus.CLOSED if tasks.closed
                       else col(Handover.status).in_(OPEN_STATUSES))
    if tasks.status:
        filters.append(col(Handover.status) == tasks.status)
    if tasks.overdue:
        filters.append(overdue_handovers(today))
    if tasks.escalated:
        filters.append(col(Handover.escalation_level) > 0)
    if tasks.assignee_user_id:
        filters.append(col(Handover.assignee_user_id) == tasks.assignee_user_id)
    if tasks.unassigned:
        filters.append(col(Handover.assignee_user_id).is_(None) & col(Handover.assigned_service).is_(None))
    if tasks.search.active:
        filters.append(col(Handover.referral_id).in_(select(col(Referral.id)).where(search_clause(
            tasks.search, child_id=col(Referral.child_id), given_name=col(Referral.child_given_name),
            family_name=col(Referral.child_family_name)))))
    return filters


def _by_date(tasks: TaskFilter) -> Order | None:
    """The order by one due date, when the list is not in its usual order (urgency first)."""
    if tasks.due is None and not tasks.closed:
        return None
    due = col(getattr(Handover, (tasks.due or DueDate.ACKNOWLEDGE).value))
    descending = tasks.descending if tasks.due is not None else True  # the closed tab: the newest first
    return Order(tuple(SortKey(column, descending=descending)
                       for column in (due, col(Handover.created_at), col(Handover.id))))


def _branches(parts: list[Any], filters: list[Any], tasks: TaskFilter) -> list[Branch]:
    if _by_date(tasks) is not None:  # one reading per part, in the list's own order
        return [Branch(where=and_(part, *filters)) for part in parts]
    branches = []
    for part in parts:
        if tasks.status != HandoverStatus.CLOSED:
            branches.append(Branch(where=and_(part, col(Handover.status).in_(OPEN_STATUSES), *filters)))
        # A closed task is never overdue.
        if tasks.closed is None and not tasks.overdue and tasks.status in (None, HandoverStatus.CLOSED):
            branches.append(Branch(where=and_(part, col(Handover.status) == HandoverStatus.CLOSED, *filters),
                                   order=_CLOSED_ORDER, after=_closed_after))
    return branches


def _key_of(tasks: TaskFilter) -> Any:
    """A row's sort key in the list's order: where the next page starts after it."""
    by_date = _by_date(tasks)
    if by_date is None:
        return lambda row: (row.urgency, row.Handover.acknowledge_due, row.Handover.created_at, row.Handover.id)
    due = (tasks.due or DueDate.ACKNOWLEDGE).value
    return lambda row: (getattr(row.Handover, due), row.Handover.created_at, row.Handover.id)


def tasks_page(session: Session, *, today: date, actor: Actor, wanted: PageRequest,
               tasks: TaskFilter) -> Page[Handover]:
    """One page of the tasks the actor may see that `tasks` keeps; counted (up to COUNT_CAP when asked) unless read
    after a cursor."""
    parts, filters = handover_parts(actor), _filters(tasks, today=today)
    found = read_page(session, Handover, counting=[and_(part, *filters) for part in parts],
                      branches=_branches(parts, filters, tasks), order=_by_date(tasks) or _order(today),
                      wanted=wanted, also=[urgency(today).label("urgency")], key_of=_key_of(tasks))
    return replace(found, items=[row.Handover for row in found.items])


def handovers_page(session: Session, *, today: date, actor: Actor, wanted: PageRequest, status: str | None,
                   overdue: bool) -> Page[Handover]:
    """One page of all the actor's tasks, open and closed (the API's list)."""
    return tasks_page(session, today=today, actor=actor, wanted=wanted,
                      tasks=TaskFilter(status=status, overdue=overdue))


def referrals_of(session: Session, handovers: Iterable[Handover]) -> list[Referral]:
    """The referral behind each task, in one query (for the access log)."""
    ids = {h.referral_id for h in handovers}
    return list(session.exec(select(Referral).where(col(Referral.id).in_(ids)))) if ids else []
