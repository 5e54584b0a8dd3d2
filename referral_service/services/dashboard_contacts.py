"""Oversikt: how often children's contact person in the municipality changed in the period (staff leaving,
tasks passed on), counted from the handover events that gave each child's tasks to people
(`workflows/contact_person.py`). Aggregates only, hidden for 1 or 2 children; no child is named.

- children: those whose task was held by a person at some time in the period;
- changes: each time a person took over after another person held the child's task, in the period;
- per child: changes / children; 2 or more: the children with at least two changes, and their share.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session, col

from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import Referral
from referral_service.security.statistics_scope import Scope
from referral_service.workflows.contact_person import HolderStep, contact_changes
from referral_service.workflows.handover_lifecycle import HandoverAction, StaffChange
from referral_service.workflows.statistics import Figure, count_figure, mean_figure, share_figure

#: The steps that change who holds a task, and where each names the new holder.
HOLDER_STEPS = {HandoverAction.ASSIGN: "assignee_user_id", StaffChange.REASSIGN: "to_user_id",
                StaffChange.RELEASE: "to_user_id"}


@dataclass(frozen=True)
class ContactFigures:
    children: Figure
    changes: Figure
    per_child: Figure
    two_or_more: Figure
    two_or_more_share: Figure


def contact_figures(session: Session, scope: Scope, *, start: datetime, end: datetime) -> ContactFigures:
    """The changes of contact person per child in the period [start, end) (UTC instants), within the scope."""
    # The tasks open at some time in the period first, then their steps by the task's index: the cost follows
    # the tasks of the period, not every step ever taken.
    alive = (select(col(Handover.id))
             .where(or_(col(Handover.closed_at).is_(None), col(Handover.closed_at) >= start), scope.handovers))
    data = col(HandoverEvent.data)
    assignee, to_user = (data[HOLDER_STEPS[action]].as_string()
                         for action in (HandoverAction.ASSIGN, StaffChange.REASSIGN))
    rows = session.execute(
        select(Referral.child_id, HandoverEvent.at, HandoverEvent.action, assignee, to_user)
        .join(Handover, Handover.id == HandoverEvent.handover_id)
        .join(Referral, Referral.id == Handover.referral_id)
        .where(col(HandoverEvent.handover_id).in_(alive),
               col(HandoverEvent.action).in_([str(a) for a in HOLDER_STEPS]), HandoverEvent.at < end)
        .order_by(HandoverEvent.at, HandoverEvent.id)).all()
    steps: dict[str, list[HolderStep]] = defaultdict(list)
    for child_id, at, action, assignee, to_user in rows:  # only the person each step names, not its whole data
        steps[child_id].append((at, assignee if HOLDER_STEPS[action] == "assignee_user_id" else to_user))
    held = [child for child, child_steps in steps.items() if any(person for _at, person in child_steps)]
    changes = {child: sum(1 for at in contact_changes(steps[child]) if start <= at < end)
               for child in held}
    total, several = sum(changes.values()), sum(1 for n in changes.values() if n >= 2)
    return ContactFigures(children=count_figure(len(held)), changes=count_figure(total),
                          per_child=mean_figure(total, len(held)), two_or_more=count_figure(several),
                          two_or_more_share=share_figure(several, len(held)))

