"""Recording a referral event, and its outbox message, in the caller's transaction."""

from __future__ import annotations

from sqlmodel import Session

from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.actor import Actor
from referral_service.services.rules import ServiceRules

REFERRAL_EVENT_TOPIC = "referral.event"


def record_event(session: Session, rules: ServiceRules, *, referral: Referral, action: str,
                 from_status: str | None, actor: Actor, data: dict | None = None,
                 handover_trigger: str | None = None) -> ReferralEvent:
    """Add the event and its outbox message; both commit, or neither does, with the decision."""
    event = ReferralEvent(
        referral_id=referral.id,
        action=action,
        from_status=from_status,
        to_status=referral.status,
        actor_id=actor.user_id,
        actor_org_id=actor.organisation_id,
        at=rules.now(),
        data=data or {},
    )
    session.add(event)
    session.add(
        OutboxMessage(
            topic=REFERRAL_EVENT_TOPIC,
            event_id=event.id,
            created_at=event.at,
            payload={
                "event_id": event.id,
                "referral_id": referral.id,
                "action": action,
                "to_status": referral.status,
                "handover_trigger": handover_trigger,
            },
        )
    )
    return event
