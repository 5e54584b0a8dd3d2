"""The handover task's lifecycle: open -> acknowledged -> assigned -> follow_up_planned -> closed."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import col

from referral_service.domain.enums import HandoverStatus
from referral_service.domain.handover import Handover
from referral_service.errors import Conflict
from referral_service.workflows.transition_table import by_status_and_action


class HandoverAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    PLAN = "plan"
    CLOSE = "close"


S, A = HandoverStatus, HandoverAction

#: Each action: the statuses it may be taken from, and the status it leads to.
TRANSITIONS: dict[tuple[HandoverStatus, HandoverAction], HandoverStatus] = by_status_and_action({
    A.ACKNOWLEDGE: ({S.OPEN}, S.ACKNOWLEDGED),
    # Re-assigning to another person or service keeps the task assigned.
    A.ASSIGN: ({S.ACKNOWLEDGED, S.ASSIGNED}, S.ASSIGNED),
    A.PLAN: ({S.ACKNOWLEDGED, S.ASSIGNED}, S.FOLLOW_UP_PLANNED),
    A.CLOSE: ({S.ACKNOWLEDGED, S.ASSIGNED, S.FOLLOW_UP_PLANNED}, S.CLOSED),
})

#: The alerts about a task that a step answers, so they are done once it is taken (None: every alert about it).
SETTLES: dict[HandoverAction, frozenset[str] | None] = {
    A.ACKNOWLEDGE: frozenset({"handover_created", "handover_unacknowledged"}),
    A.PLAN: frozenset({"handover_no_first_contact"}),
    A.CLOSE: None,
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


class StaffChange(StrEnum):
    """Steps the service takes on a task when its holder leaves; no user takes them by hand."""

    #: A colleague takes over the task as it stands.
    REASSIGN = "reassign"
    #: Nobody holds the task any more: it goes back to the owner's queue.
    RELEASE = "release"


#: Every status but closed: a task someone may still hold.
OPEN_STATUSES = (S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.FOLLOW_UP_PLANNED)

#: A task passed to a colleague keeps its status. A task released to the queue is `acknowledged` again: the
#: municipality has it, but nobody holds it, so someone must take it (`assign`) before it can go on; a plan already
#: made stays on the task, and the first-contact deadline watches it again until someone takes the plan over.
STAFF_TRANSITIONS: dict[tuple[HandoverStatus, StaffChange], HandoverStatus] = by_status_and_action({
    StaffChange.REASSIGN: [({status}, status) for status in OPEN_STATUSES],
    StaffChange.RELEASE: [({S.ASSIGNED, S.FOLLOW_UP_PLANNED}, S.ACKNOWLEDGED),
                          ({S.OPEN}, S.OPEN), ({S.ACKNOWLEDGED}, S.ACKNOWLEDGED)],
})


def status_after_staff_change(*, status: HandoverStatus, change: StaffChange) -> HandoverStatus:
    """The state after the holder leaves, or 409 (a closed task stays with whoever closed it)."""
    try:
        return STAFF_TRANSITIONS[(status, change)]
    except KeyError:
        raise Conflict(f"A handover task that is {status} cannot {change}.") from None
