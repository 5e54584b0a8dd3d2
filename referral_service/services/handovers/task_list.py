"""The list of handover tasks a reader may see: new and overdue first, then by due date, read through indexes.

The tasks still open are few at any time; the closed ones grow with every year. So each part of the reader's
need-to-know (handover_visibility.handover_parts) is read twice: its open tasks, sorted in full (they are few), and
its closed ones, which all come last in the list's order and are read in the order of the index on (municipality or
owner, status, acknowledge_due, created_at) up to the page's end. Only those rows are sorted together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, case, true
from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import handover_parts
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


def _filters(*, today: date, status: str | None, overdue: bool) -> list[Any]:
    filters: list[Any] = [true()]
    if status:
        filters.append(col(Handover.status) == status)
    if overdue:
        filters.append(overdue_handovers(today))
    return filters


def _branches(parts: list[Any], filters: list[Any], *, status: str | None, overdue: bool) -> list[Branch]:
    branches = []
    for part in parts:
        if status != HandoverStatus.CLOSED:
            branches.append(Branch(where=and_(part, col(Handover.status).in_(OPEN_STATUSES), *filters)))
        if not overdue and status in (None, HandoverStatus.CLOSED):  # a closed task is never overdue
            branches.append(Branch(where=and_(part, col(Handover.status) == HandoverStatus.CLOSED, *filters),
                                   order=_CLOSED_ORDER, after=_closed_after))
    return branches


def handovers_page(session: Session, *, today: date, actor: Actor, wanted: PageRequest, status: str | None,
                   overdue: bool) -> Page[Handover]:
    """One page of the tasks the actor may see; counted (up to COUNT_CAP when asked) unless read after a cursor."""
    parts, filters = handover_parts(actor), _filters(today=today, status=status, overdue=overdue)
    found = read_page(session, Handover, counting=[and_(part, *filters) for part in parts],
                      branches=_branches(parts, filters, status=status, overdue=overdue), order=_order(today),
                      wanted=wanted, also=[urgency(today).label("urgency")],
                      key_of=lambda row: (row.urgency, row.Handover.acknowledge_due, row.Handover.created_at,
                                          row.Handover.id))
    return replace(found, items=[row.Handover for row in found.items])


def referrals_of(session: Session, handovers: Iterable[Handover]) -> list[Referral]:
    """The referral behind each task, in one query (for the access log)."""
    ids = {h.referral_id for h in handovers}
    return list(session.exec(select(Referral).where(col(Referral.id).in_(ids)))) if ids else []
