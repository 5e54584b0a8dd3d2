"""The handover task's lifecycle: open -> acknowledged -> assigned -> follow_up_planned -> closed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import col

from referral_service.domain.enums import HandoverStatus
from referral_service.domain.handover import Handover
from referral_service.errors import Conflict


class HandoverAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    PLAN = "plan"
    CLOSE = "close"


S, A = HandoverStatus, HandoverAction

TRANSITIONS: dict[tuple[HandoverStatus, HandoverAction], HandoverStatus] = {
    (S.OPEN, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, A.ASSIGN): S.ASSIGNED,
    # Re-assigning to another person or service keeps the task assigned.
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.ACKNOWLEDGED, A.PLAN): S.FOLLOW_UP_PLANNED,
    (S.ASSIGNED, A.PLAN): S.FOLLOW_UP_PLANNED,
    (S.ACKNOWLEDGED, A.CLOSE): S.CLOSED,
    (S.ASSIGNED, A.CLOSE): S.CLOSED,
    (S.FOLLOW_UP_PLANNED, A.CLOSE): S.CLOSED,
}

#: Statuses in which nobody has yet planned the first contact with the child.
AWAITING_FIRST_CONTACT = frozenset({S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED})


def next_handover_status(*, status: HandoverStatus, action: HandoverAction) -> HandoverStatus:
    """The state after `action`, or 409."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise Conflict(f"A handover task that is {status} cannot {action}.") from None


def unacknowledged_past_due(today: date) -> ColumnElement[bool]:
    """Nobody has taken the task by its deadline."""
    return (col(Handover.status) == HandoverStatus.OPEN) & (col(Handover.acknowledge_due) < today)


def first_contact_past_due(today: date) -> ColumnElement[bool]:
    """Nobody has planned the first contact by its deadline."""
    return col(Handover.status).in_(list(AWAITING_FIRST_CONTACT)) & (col(Handover.first_contact_due) < today)


def overdue_handovers(today: date) -> ColumnElement[bool]:
    """The one definition of an overdue handover; lists, sweeps and the dashboard all filter with it."""
    return unacknowledged_past_due(today) | first_contact_past_due(today)
