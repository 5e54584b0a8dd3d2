"""The reconciler: finds gaps in the loop and repairs them, whatever the broker lost.

It reads only what can be a gap: the events since its checkpoint (less the grace) and the outbox rows stuck
past the grace, each through an index, so a run costs the same after ten years as after one day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.handover import Handover, ReconcilerCheckpoint, RepairReport
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.loop.consequences import handle_referral_event
from referral_service.services.loop.relay import redispatch_stuck
from referral_service.services.unit_of_work import REFERRAL_EVENT_TOPIC, SqlUnitOfWork
from referral_service.workflows.deadlines import DeadlinePolicy

log = logging.getLogger(__name__)

#: The checkpoint of the search for events without their handover.
CHECKPOINT = "missing_handovers"


@dataclass(frozen=True)
class Repairs:
    missing_handovers: int
    stuck_messages: int

    @property
    def total(self) -> int:
        return self.missing_handovers + self.stuck_messages


def events_without_handover(session: Session, *, older_than: datetime,
                            since: datetime | None = None) -> list[tuple[str, datetime]]:
    """The events (id, time) whose stored decision hands the child back, but which have no handover yet;
    from `since` on when given."""
    query = (select(ReferralEvent.id, ReferralEvent.at)
             .outerjoin(Handover, Handover.trigger_event_id == ReferralEvent.id)
             .where(ReferralEvent.handover_trigger.is_not(None), Handover.id.is_(None),
                    ReferralEvent.at < older_than))
    if since is not None:
        query = query.where(ReferralEvent.at >= since)
    return [(event_id, at) for event_id, at in session.exec(query.order_by(ReferralEvent.at)).all()]


def _search_from(session: Session, *, cutoff: datetime, grace: timedelta) -> datetime | None:
    """Where this run starts looking: the checkpoint less the grace, or the beginning (None) when there is no
    checkpoint yet or the clock now stands before it (set back: the checkpoint says nothing about now)."""
    checkpoint = session.get(ReconcilerCheckpoint, CHECKPOINT)
    if checkpoint is None or checkpoint.checked_until > cutoff:
        return None
    # The grace again: an event is stamped when its transaction starts and seen only once it commits.
    return checkpoint.checked_until - grace


def _move_checkpoint(session: Session, *, to: datetime) -> None:
    checkpoint = session.get(ReconcilerCheckpoint, CHECKPOINT)
    if checkpoint is None:
        session.add(ReconcilerCheckpoint(name=CHECKPOINT, checked_until=to))
    else:
        checkpoint.checked_until = to


def _repair(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy, event_id: str) -> bool:
    """Create the event's handover and mark its outbox row done, in one transaction.

    The outbox row is locked first, in the same order a worker takes its locks; a row a worker
    holds right now is left to that worker.
    """
    with uow:
        session = uow.session
        query = select(OutboxMessage).where(OutboxMessage.event_id == event_id,
                                            OutboxMessage.topic == REFERRAL_EVENT_TOPIC)
        if session.get_bind().dialect.name == "postgresql":
            total = len(session.exec(query).all())
            messages = session.exec(query.with_for_update(skip_locked=True)).all()
            if len(messages) < total:
                return False
        else:
            messages = session.exec(query).all()
        event = session.get(ReferralEvent, event_id)
        handle_referral_event(uow, clock=clock, deadlines=deadlines, event=event)
        for message in messages:
            message.processed_at = message.processed_at or clock.now()
        uow.commit()
    return True


def reconcile(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy, grace: timedelta) -> Repairs:
    """Create any missing handover (with its alerts) and send stuck outbox rows back to the relay.

    `grace` leaves the normal path time to work before the reconciler steps in. Each repair is its own
    unit of work, so one bad event does not stop the others; an event not repaired holds the checkpoint back,
    so the next run looks at it again.
    """
    cutoff = clock.now() - grace
    with uow.reading() as reading:  # the search takes no write lock (the first run reads all history)
        since = _search_from(reading.session, cutoff=cutoff, grace=grace)
        missing = events_without_handover(reading.session, older_than=cutoff, since=since)
    repaired, checked_until = 0, cutoff
    for event_id, at in missing:
        try:
            done = _repair(uow, clock=clock, deadlines=deadlines, event_id=event_id)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop every other repair
            log.error("reconciler could not repair an event", extra={"event_id": event_id,
                                                                     "error_type": type(exc).__name__})
            done = False
        repaired += done
        if not done:
            checked_until = min(checked_until, at)
    with uow:
        stuck = redispatch_stuck(uow.session, older_than=cutoff)
        _move_checkpoint(uow.session, to=checked_until)
        repairs = Repairs(missing_handovers=repaired, stuck_messages=stuck)
        if repairs.total:
            uow.add(RepairReport(at=clock.now(), missing_handovers=repairs.missing_handovers,
                                 stuck_messages=repairs.stuck_messages))
        uow.commit()
    if repairs.total:
        log.warning("reconciler repaired gaps", extra={"missing_handovers": repairs.missing_handovers,
                                                       "stuck_messages": repairs.stuck_messages})
    return repairs
