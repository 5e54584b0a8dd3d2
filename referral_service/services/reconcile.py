"""The reconciler: finds gaps in the loop and repairs them, whatever the broker lost."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.handover import Handover, RepairReport
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.event_handling import handle_referral_event
from referral_service.services.events import REFERRAL_EVENT_TOPIC
from referral_service.services.outbox import redispatch_stuck
from referral_service.services.rules import ServiceRules

log = logging.getLogger(__name__)

#: Events that must have a handover: rejections, discharges and withdrawals after acceptance.
TRIGGERING = or_(
    ReferralEvent.action == ReferralAction.REJECT,
    ReferralEvent.action == ReferralAction.DISCHARGE,
    and_(ReferralEvent.action == ReferralAction.WITHDRAW,
         ReferralEvent.from_status.in_([ReferralStatus.ACCEPTED, ReferralStatus.IN_TREATMENT])),
)


@dataclass(frozen=True)
class Repairs:
    missing_handovers: int
    stuck_messages: int

    @property
    def total(self) -> int:
        return self.missing_handovers + self.stuck_messages


def events_without_handover(session: Session, *, older_than) -> list[ReferralEvent]:
    return list(session.exec(
        select(ReferralEvent)
        .outerjoin(Handover, Handover.trigger_event_id == ReferralEvent.id)
        .where(TRIGGERING, Handover.id.is_(None), ReferralEvent.at < older_than)
        .order_by(ReferralEvent.at)
    ).all())


def _repair(session: Session, rules: ServiceRules, *, event: ReferralEvent) -> bool:
    """Create the event's handover and mark its outbox row done, in one transaction.

    The outbox row is locked first, in the same order a worker takes its locks; a row a worker
    holds right now is left to that worker.
    """
    query = select(OutboxMessage).where(OutboxMessage.event_id == event.id,
                                        OutboxMessage.topic == REFERRAL_EVENT_TOPIC)
    if session.get_bind().dialect.name == "postgresql":
        total = len(session.exec(query).all())
        messages = session.exec(query.with_for_update(skip_locked=True)).all()
        if len(messages) < total:
            session.rollback()
            return False
    else:
        messages = session.exec(query).all()
    handle_referral_event(session, rules, event=event)
    for message in messages:
        message.processed_at = message.processed_at or rules.now()
    session.commit()
    return True


def reconcile(session: Session, rules: ServiceRules, *, grace: timedelta) -> Repairs:
    """Create any missing handover (with its alerts) and send stuck outbox rows back to the relay.

    `grace` leaves the normal path time to work before the reconciler steps in.
    """
    cutoff = rules.now() - grace
    repaired = 0
    for event in events_without_handover(session, older_than=cutoff):
        try:
            repaired += _repair(session, rules, event=event)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop every other repair
            session.rollback()
            log.error("reconciler could not repair an event", extra={"event_id": event.id,
                                                                     "error_type": type(exc).__name__})
    stuck = redispatch_stuck(session, older_than=cutoff)
    repairs = Repairs(missing_handovers=repaired, stuck_messages=stuck)
    if repairs.total:
        session.add(RepairReport(at=rules.now(), missing_handovers=repairs.missing_handovers,
                                 stuck_messages=repairs.stuck_messages))
        log.warning("reconciler repaired gaps", extra={"missing_handovers": repairs.missing_handovers,
                                                       "stuck_messages": repairs.stuck_messages})
    session.commit()
    return repairs
