"""The list of check-ins a reader may see, soonest due first, read through indexes.

A check-in is planned for a few months and then done or cancelled for good: the planned ones are few at any time,
the others grow with every year. So the check-ins a reader holds as the task's owner (handover_visibility.
check_in_parts) are read once for each status, in the order of the index on (owner, status, due_on, created_at, id),
up to the page's end, and only those rows are sorted together. A referral party's are read through its referrals
and sorted (they grow with the party's referrals). One task's check-in (`handover_id`) is read by the task's id."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, true
from sqlmodel import Session, col

from referral_service.domain.check_in import CheckIn
from referral_service.domain.enums import CheckInStatus
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import CheckInPart, check_in_parts, visible_check_ins
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


def _by_status(part: CheckInPart, status: str | None) -> list[list[Any]]:
    """How a part is read: the owner's check-ins once for each status (each read in the order of its index); a
    party's as they are found through its referrals."""
    if status or not part.by_owner:
        return [[]]
    return [[col(CheckIn.status) == each] for each in CheckInStatus]


def check_ins_page(session: Session, *, actor: Actor, wanted: PageRequest, due_by: date | None = None,
                   status: str | None = None, handover_id: str | None = None, mine: bool = False) -> Page[CheckIn]:
    """One page of the check-ins the actor may see, counted as `wanted` asks."""
    filters = _filters(actor=actor, due_by=due_by, status=status, handover_id=handover_id, mine=mine)
    if handover_id:  # at most one row, found by its unique task id and tested
        found_by = [visible_check_ins(actor)]
        branches = [Branch(where=and_(found_by[0], *filters))]
    else:
        parts = check_in_parts(actor)
        found_by = [part.where for part in parts]
        branches = [Branch(where=and_(part.where, *filters, *each))
                    for part in parts for each in _by_status(part, status)]
    return read_page(session, CheckIn, counting=[and_(where, *filters) for where in found_by], branches=branches,
                     order=ORDER, wanted=wanted, key_of=lambda c: (c.due_on, c.created_at, c.id))
