"""Who holds an open task, when its holder leaves: a colleague takes it over, or it goes back to the owner's
queue. Deactivating a user and the sweep for inactive holders both move tasks here, and nowhere else."""

from __future__ import annotations

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import User
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.handovers import routing
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.handover_lifecycle import (
    OPEN_STATUSES,
    HandoverStatus,
    StaffChange,
    status_after_staff_change,
)


def held_by(session: Session, user_id: str) -> list[Handover]:
    """The open tasks this person holds."""
    return list(session.exec(select(Handover).where(Handover.assignee_user_id == user_id,
                                                    col(Handover.status).in_(list(OPEN_STATUSES)))
                             .order_by(Handover.created_at, Handover.id)).all())


def change_holder(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover, successor: User | None, because: str,
                  actor_id: str | None) -> HandoverEvent:
    """Give the task to `successor`, or back to the owner's queue when None; the step is an event on the task,
    and the new holder (or the owner's people and its lead) is told."""
    change = StaffChange.REASSIGN if successor is not None else StaffChange.RELEASE
    from_status = HandoverStatus(handover.status)
    to_status = status_after_staff_change(status=from_status, change=change)
    uow.handovers.claim_version(handover)
    previous = handover.assignee_user_id
    handover.assignee_user_id = successor.id if successor is not None else None
    handover.status, handover.updated_at = to_status, clock.now()
    event = HandoverEvent(handover_id=handover.id, action=change, from_status=from_status, to_status=to_status,
                          actor_id=actor_id, at=clock.now(),
                          data={"from_user_id": previous, "to_user_id": handover.assignee_user_id,
                                "reason": because})
    uow.handovers.add_event(event)
    told = [successor] if successor is not None else _queue_watchers(uow.session, handover)
    raise_alerts(uow, clock, users=told, kind=f"handover_{change}", dedupe_key=f"handover:{handover.id}:{event.id}",
                 data={"status": str(to_status)}, referral_id=handover.referral_id, handover_id=handover.id)
    return event


def _queue_watchers(session: Session, handover: Handover) -> list[User]:
    """Who hears that a task is back in the queue: the owner's people who act on tasks, and its lead (or the
    administrators when it has none), never an inactive user."""
    people = {u.id: u for u in routing.actors(session, handover)}
    for user in routing.escalation_recipients(session, handover):
        people.setdefault(user.id, user)
    return sorted(people.values(), key=lambda u: u.id)


def holder_of(session: Session, handover: Handover) -> User | None:
    """The person who holds the task now, as every party's page names them (directory data)."""
    return session.get(User, handover.assignee_user_id) if handover.assignee_user_id else None
