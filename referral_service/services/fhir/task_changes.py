"""What changed a FHIR Task in a transaction: the rows that record a change, gathered as they are flushed.

A Task changes when a referral event is recorded (the referral Task, `Task/{referral_id}`), a handover event is
recorded (the handover Task, `Task/{handover_id}`) or a handover escalates (an escalation mark on the task; a
check-in's reminder marks carry the handover too, and change no Task). Every
service already writes one of those rows for each change, so they are gathered here, in the session, and the unit
of work turns them into subscription notifications in the same transaction (services/fhir/notifications.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import Session, SessionTransaction

from referral_service.domain.handover import DeadlineMark, HandoverEvent
from referral_service.domain.referral import ReferralEvent
from referral_service.workflows.escalation import HANDOVER_NO_FIRST_CONTACT, HANDOVER_UNACKNOWLEDGED

_KEY = "fhir_task_change_rows"
#: The marks that escalate a handover Task (its level is part of the Task: sweeps.py moves its version).
HANDOVER_ESCALATIONS = frozenset({HANDOVER_UNACKNOWLEDGED, HANDOVER_NO_FIRST_CONTACT})


@dataclass(frozen=True)
class TaskChange:
    #: The row that recorded the change: the same change is never told twice (a unique key with the subscription).
    change_id: str
    task_id: str
    #: Set for a handover Task (its referral is looked up when needed).
    handover_id: str | None
    at: datetime


def _records_a_change(row: object) -> bool:
    if isinstance(row, ReferralEvent | HandoverEvent):
        return True
    return isinstance(row, DeadlineMark) and row.handover_id is not None and row.kind in HANDOVER_ESCALATIONS


@event.listens_for(Session, "after_flush")
def _gather(session: Session, _context: object) -> None:
    rows = [row for row in session.new if _records_a_change(row)]
    if rows:
        session.info.setdefault(_KEY, []).extend(rows)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only when the whole transaction ends: a savepoint's release fires the same events, and its rows still count.
    if transaction.parent is None:
        session.info.pop(_KEY, None)


def _change(row: object) -> TaskChange:
    if isinstance(row, ReferralEvent):
        return TaskChange(change_id=row.id, task_id=row.referral_id, handover_id=None, at=row.at)
    if isinstance(row, HandoverEvent):
        return TaskChange(change_id=row.id, task_id=row.handover_id, handover_id=row.handover_id, at=row.at)
    assert isinstance(row, DeadlineMark) and row.handover_id is not None
    return TaskChange(change_id=row.id, task_id=row.handover_id, handover_id=row.handover_id, at=row.at)


def take_task_changes(session: Session) -> list[TaskChange]:
    """The Task changes flushed in this transaction so far, once (a second call finds none). A row whose savepoint
    was rolled back (no longer persistent) changed nothing."""
    rows = session.info.pop(_KEY, [])
    return [_change(row) for row in rows if inspect_row(row).persistent]
