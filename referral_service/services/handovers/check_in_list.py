"""The list of check-ins a reader may see, soonest due first, read through indexes.

A check-in is planned for a few months and then done or cancelled for good: the planned ones are few at any time,
the others grow with every year. So each part of the reader's need-to-know (handover_visibility.check_in_parts) is
read once for each status, in the order of the index on (owner, status, due_on, created_at, id), up to the page's
end, and only those rows are sorted together. One task's check-in (`handover_id`) is read by the task's id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, true
from sqlmodel import Session, col

from referral_service.domain.check_in import CheckIn
from referral_service.domain.enums import CheckInStatus
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import check_in_parts, visible_check_ins
from referral_service.services.pagination import Branch, Order, Page, PageRequest, SortKey, read_page

ORDER = Order((SortKey(col(CheckIn.due_on)), SortKey(col(CheckIn.created_at)), SortKey(col(CheckIn.id))))


def _filters(*, actor: Actor, due_by: date | None, status: str | None, handover_id: str | None,
             mine: bool) -> list[Any]:
    filters: list[Any] = [true()]
    if due_by is not None:
        filters.append(col(CheckIn.due_on) <= due_by)
    if status:
        filters.append(col(CheckIn.status) == status)
    if handover_id:
        filters.append(col(CheckIn.handover_id) == handover_id)
    if mine:
        filters.append(col(CheckIn.coordinator_user_id) == actor.user_id)
    return filters


def check_ins_page(session: Session, *, actor: Actor, wanted: PageRequest, due_by: date | None = None,
                   status: str | None = None, handover_id: str | None = None, mine: bool = False) -> Page[CheckIn]:
    """One page of the check-ins the actor may see, counted as `wanted` asks."""
    filters = _filters(actor=actor, due_by=due_by, status=status, handover_id=handover_id, mine=mine)
    if handover_id:  # at most one row, found by its unique task id and tested
        parts = [visible_check_ins(actor)]
        branches = [Branch(where=and_(parts[0], *filters))]
    else:
        parts = check_in_parts(actor)
        by_status = [[]] if status else [[col(CheckIn.status) == each] for each in CheckInStatus]
        branches = [Branch(where=and_(part, *filters, *each)) for part in parts for each in by_status]
    return read_page(session, CheckIn, counting=[and_(part, *filters) for part in parts], branches=branches,
                     order=ORDER, wanted=wanted, key_of=lambda c: (c.due_on, c.created_at, c.id))
