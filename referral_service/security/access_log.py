"""Writing the access log: every read or write of a child's data leaves a row."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.visibility import access_basis


def record_access(session: Session, *, actor: Actor, action: str, referrals: Iterable[Referral]) -> None:
    """Add one access-log row per referral to the caller's transaction."""
    for referral in referrals:
        session.add(
            AccessLogEntry(
                user_id=actor.user_id,
                organisation_id=actor.organisation_id,
                role=actor.primary_role,
                action=action,
                referral_id=referral.id,
                child_id=referral.child_id,
                basis=access_basis(actor, referral),
            )
        )
