"""The outbox relay and the processing of what it relays.

The relay hands pending rows to the broker and marks them dispatched; processing commits the
effects and marks the row processed in one transaction. A row dispatched but never processed
(a lost message, a killed worker) is found by the reconciler and dispatched again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.loop.consequences import handle_referral_event
from referral_service.services.unit_of_work import REFERRAL_EVENT_TOPIC, SqlUnitOfWork
from referral_service.workflows.deadlines import DeadlinePolicy

log = logging.getLogger(__name__)


def _lock_rows(query, session: Session):
    """Row locks where the database has them, skipping rows another relay or worker holds."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query  # SQLite serialises writers with BEGIN IMMEDIATE


#: Rows handed over in one transaction. Publishing happens inside it (a row is marked dispatched only once the
#: broker has it), so on SQLite the write lock is held while the broker is talked to: a few rows at a time.
RELAY_BATCH = 20


def relay_outbox(uow: SqlUnitOfWork, clock: Clock, *, publish: Callable[[OutboxMessage], None],
                 limit: int = 200) -> int:
    """Publish pending rows in order, `RELAY_BATCH` to a transaction; stop at the first broker failure.
    Returns how many were handed over."""
    handed = 0
    while handed < limit:
        batch = min(RELAY_BATCH, limit - handed)
        with uow:
            handed_now = _relay(uow.session, clock, publish=publish, limit=batch)
            uow.commit()
        handed += handed_now
        if handed_now < batch:  # nothing more is pending, or the broker refused
            break
    # Each row it hands over has its own line at INFO; the run itself (idle once a second) only at DEBUG.
    log.debug("outbox relay run", extra={"handed_over": handed})
    return handed


def _relay(session: Session, clock: Clock, *, publish: Callable[[OutboxMessage], None], limit: int) -> int:
    # A row whose delivery waits for its next attempt (services/alerts/delivery.py) is handed over once it is due.
    query = select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None),
                                        OutboxMessage.processed_at.is_(None),
                                        or_(OutboxMessage.next_attempt_at.is_(None),
                                            OutboxMessage.next_attempt_at <= clock.now())).order_by(
        OutboxMessage.created_at, OutboxMessage.id).limit(limit)
    handed = 0
    for message in session.exec(_lock_rows(query, session)).all():
        try:
            publish(message)
        except Exception as exc:  # noqa: BLE001 - any broker failure leaves the rest pending
            log.warning("outbox relay: broker unavailable", extra={"error_type": type(exc).__name__,
                                                                   "pending_from": message.id})
            break
        message.dispatched_at = clock.now()
        message.attempts += 1
        handed += 1
        log.info("outbox message relayed", extra={"message_id": message.id, "topic": message.topic,
                                                  "attempt": message.attempts, "request_id": message.request_id})
    return handed


def lock_unprocessed(session: Session, message_id: str) -> OutboxMessage | None:
    """The message if it still needs processing, locked against a twin delivery."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.processed_at.is_(None))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.exec(query).first()


def process_referral_event_message(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                                   message_id: str) -> bool:
    """Commit the effects of one referral event; False when it was already processed (a redelivery)."""
    with uow:
        message = lock_unprocessed(uow.session, message_id)
        if message is None:
            return False
        assert message.topic == REFERRAL_EVENT_TOPIC
        event = uow.session.get(ReferralEvent, message.payload["event_id"])
        handle_referral_event(uow, clock=clock, deadlines=deadlines, event=event)
        message.processed_at = clock.now()
        uow.commit()
    log.info("referral event processed", extra={
        "event_id": event.id, "action": event.action,
        "commit_to_processed_ms": round((message.processed_at - event.at).total_seconds() * 1000, 1)})
    return True


def mark_processed(session: Session, clock: Clock, *, message_id: str) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id,
                                                OutboxMessage.processed_at.is_(None))
                    .values(processed_at=clock.now()))


def redispatch_stuck(session: Session, *, older_than: datetime) -> int:
    """Rows dispatched long ago but never processed go back to the relay; returns how many.

    A delivery waiting in its retry window is not dispatched (the worker gave the row back with its next attempt),
    so it is never taken for a stuck one; nor is a row re-scheduled to a time after `older_than`."""
    stuck = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.processed_at.is_(None), OutboxMessage.dispatched_at.is_not(None),
               OutboxMessage.dispatched_at < older_than,
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at < older_than))
        .values(dispatched_at=None)
    ).rowcount
    return stuck or 0
