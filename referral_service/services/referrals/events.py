"""Recording a referral event in the use case's unit of work (its outbox row is written on commit)."""

from __future__ import annotations

from typing import Any

from referral_service.clock import Clock
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.actor import Actor
from referral_service.services.unit_of_work import UnitOfWork


def record_event(uow: UnitOfWork, clock: Clock, *, referral: Referral, action: str,
                 from_status: str | None, actor: Actor, data: dict[str, Any] | None = None) -> ReferralEvent:
    """An event that changes who holds the child never comes through here: those are lifecycle decisions."""
    return uow.record_event(ReferralEvent(
        referral_id=referral.id, action=action, from_status=from_status, to_status=referral.status,
        actor_id=actor.user_id, actor_org_id=actor.organisation_id, at=clock.now(), data=data or {}))
