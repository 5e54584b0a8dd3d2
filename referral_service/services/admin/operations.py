"""Operational visibility: the outbox backlog, failed alerts and the reconciler's repairs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, or_, type_coerce
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.enums import Role
from referral_service.domain.handover import RepairReport
from referral_service.domain.organisation import Organisation
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.subscription import (
    FhirSubscription,
    NotificationState,
    SubscriptionNotification,
    SubscriptionStatus,
)
from referral_service.domain.types import UTCDateTime
from referral_service.errors import Forbidden
from referral_service.security.actor import Actor
from referral_service.services.fhir.notifications import FHIR_NOTIFICATION_TOPIC
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC


def backlog(session: Session, clock: Clock) -> dict[str, Any]:
    """The rows still waiting, each counted in the index that starts with its NULL (ix_outbox_pending,
    ix_outbox_unprocessed): the cost follows the backlog, not the years of delivered rows.

    An e-mail waiting in its retry window (next_attempt_at ahead) is not backlog: nothing is stuck, its next
    attempt is planned; it is counted apart (`email_retries_waiting`), so a mail outage does not hide a real
    backlog behind it, nor look like one."""
    now = clock.now()
    due = or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    count = lambda *where: session.exec(select(func.count()).select_from(OutboxMessage).where(*where)).one()  # noqa: E731
    oldest = session.exec(select(type_coerce(func.min(OutboxMessage.created_at), UTCDateTime))
                          .where(OutboxMessage.processed_at.is_(None), due)).one()
    return {
        "outbox_pending": count(OutboxMessage.dispatched_at.is_(None), OutboxMessage.processed_at.is_(None), due),
        "outbox_unprocessed": count(OutboxMessage.processed_at.is_(None), due),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        "email_retries_waiting": count(OutboxMessage.processed_at.is_(None), OutboxMessage.next_attempt_at > now,
                                       OutboxMessage.topic == ALERT_EMAIL_TOPIC),
        # FHIR subscription notifications waiting for their next attempt (issue 16), counted apart likewise.
        "subscription_retries_waiting": count(OutboxMessage.processed_at.is_(None),
                                              OutboxMessage.next_attempt_at > now,
                                              OutboxMessage.topic == FHIR_NOTIFICATION_TOPIC),
    }


def operations_status(session: Session, clock: Clock, *, actor: Actor) -> dict[str, Any]:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only administrators see the operations view.")
    # Each count reads only its own entries in the index on (email_state, created_at), never every alert.
    alerts_in = lambda state: session.exec(select(func.count()).select_from(Alert)  # noqa: E731
                                           .where(Alert.email_state == state)).one()
    since = clock.now() - timedelta(hours=24)
    last = session.exec(select(RepairReport).order_by(RepairReport.at.desc()).limit(1)).first()
    repairs = session.exec(select(func.coalesce(func.sum(RepairReport.missing_handovers
                                                         + RepairReport.stuck_messages), 0))
                           .where(RepairReport.at >= since)).one()
    return {
        **backlog(session, clock),
        "alerts_failed": alerts_in("failed"),
        "alerts_pending_email": alerts_in("pending"),
        "repairs_last_24h": int(repairs),
        "last_repair_at": last.at if last else None,
        # FHIR subscriptions (issue 16): notifications given up, and the subscriptions that stopped for it.
        "subscription_notifications_failed": session.exec(
            select(func.count()).select_from(SubscriptionNotification)
            .where(SubscriptionNotification.state == NotificationState.FAILED)).one(),
        "subscriptions_in_error": session.exec(select(func.count()).select_from(FhirSubscription)
                                               .where(FhirSubscription.status == SubscriptionStatus.ERROR)).one(),
    }


def subscriptions_in_error(session: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """The FHIR subscriptions that stopped because a notification was given up: whose, where to, and why (no child
    data: the error names the notification's number and the endpoint's answer)."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only administrators see the operations view.")
    rows = session.exec(select(FhirSubscription, Organisation.name)
                        .join(Organisation, Organisation.id == FhirSubscription.organisation_id)
                        .where(FhirSubscription.status == SubscriptionStatus.ERROR)
                        .order_by(FhirSubscription.updated_at.desc()).limit(100)).all()
    return [{"subscription_id": sub.id, "organisation": name, "endpoint": shown_endpoint(sub.endpoint),
             "error": sub.error,
             "since": sub.updated_at} for sub, name in rows]


def shown_endpoint(endpoint: str) -> str:
    """An endpoint as people may see it (the Drift page, the administration log): scheme, host, port and path; a
    query string or user part, where a subscriber may have put a secret, is left out."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))
