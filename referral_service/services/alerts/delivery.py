"""Delivering an alert by e-mail: sent once; a transient failure is tried again later (the schedule is kept in the
database, on the alert's outbox row, so a killed worker or a lost broker keeps it); given up at the end of its
window, when the administrators are alerted once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.organisation import User
from referral_service.domain.outbox import OutboxMessage
from referral_service.notify.mailer import Mailer, PermanentDeliveryError, TransientDeliveryError, alert_email
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators
from referral_service.services.loop.relay import lock_unprocessed, mark_processed
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.email_retries import EmailRetryPolicy

log = logging.getLogger(__name__)

#: Alerts about failed deliveries do not raise further alerts when they fail themselves.
DELIVERY_FAILED_KIND = "alert_delivery_failed"


@dataclass(frozen=True)
class EmailSettings:
    sender: str
    base_url: str
    #: The domain of the Message-ID (notify/mailer.py `message_id_domain`).
    message_id_domain: str
    retries: EmailRetryPolicy


def deliver_alert_email(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, mailer: Mailer,
                        settings: EmailSettings) -> str:
    """Send the alert's e-mail unless already done or not yet due. Returns what became of it:
    sent, retrying (a transient failure: the row waits for its next attempt), failed, waiting (a twin delivery
    before the row is due), or the state of an alert that needs no e-mail."""
    with uow:
        state = _deliver(uow, clock, message_id=message_id, mailer=mailer, settings=settings)
        uow.commit()
    return state


def _deliver(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, mailer: Mailer, settings: EmailSettings) -> str:
    session = uow.session
    message = lock_unprocessed(session, message_id)
    if message is None:
        return "already_processed"
    now = clock.now()
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return "waiting"  # a redelivered task of an earlier attempt: the relay hands the row over when it is due
    # The alert is locked too: two rows for one alert (a resend beside a redelivery) never both send.
    alert = session.get(Alert, message.payload["alert_id"], with_for_update=True)
    if alert is None or alert.email_state != "pending":
        mark_processed(session, clock, message_id=message_id)
        return alert.email_state if alert else "missing"
    user = session.get(User, alert.user_id)
    alert.email_attempts += 1
    try:
        mailer.send(alert_email(to=user.email, sender=settings.sender, alert_id=alert.id,
                                base_url=settings.base_url, domain=settings.message_id_domain, date=now))
    except TransientDeliveryError as exc:
        alert.email_error = str(exc)[:300]
        return _retry_later(uow, clock, alert=alert, message=message, retries=settings.retries, now=now)
    except PermanentDeliveryError as exc:
        alert.email_error = str(exc)[:300]
        _fail(uow, clock, alert=alert, message_id=message_id)
        return "failed"
    alert.email_state = "sent"
    alert.email_sent_at = now
    alert.email_error = alert.email_retry_until = alert.email_next_attempt_at = None
    mark_processed(session, clock, message_id=message_id)
    log.info("alert e-mail sent", extra={
        "alert_id": alert.id, "kind": alert.kind, "attempts": alert.email_attempts,
        "commit_to_email_ms": round((alert.email_sent_at - alert.created_at).total_seconds() * 1000, 1)})
    return "sent"


def _retry_later(uow: SqlUnitOfWork, clock: Clock, *, alert: Alert, message: OutboxMessage,
                 retries: EmailRetryPolicy, now: datetime) -> str:
    """Give the row back to the relay for later (not dispatched, due at its next attempt), or fail it when the
    window is over. The row is no longer dispatched, so the reconciler never takes it for a stuck one."""
    alert.email_retry_until = alert.email_retry_until or retries.retry_until(now)
    next_attempt = retries.next_attempt(failures=max(message.attempts, 1), now=now, until=alert.email_retry_until)
    if next_attempt is None:
        _fail(uow, clock, alert=alert, message_id=message.id)
        return "failed"
    message.next_attempt_at = alert.email_next_attempt_at = next_attempt
    message.dispatched_at = None
    log.info("alert e-mail deferred", extra={"alert_id": alert.id, "attempts": alert.email_attempts,
                                             "error": alert.email_error, "next_attempt_at": next_attempt.isoformat(),
                                             "retry_until": alert.email_retry_until.isoformat()})
    return "retrying"


def _fail(uow: SqlUnitOfWork, clock: Clock, *, alert: Alert, message_id: str) -> None:
    alert.email_state = "failed"
    alert.email_failed_at = clock.now()
    alert.email_next_attempt_at = None
    mark_processed(uow.session, clock, message_id=message_id)
    if alert.kind != DELIVERY_FAILED_KIND:
        # One alert per failure: a resent e-mail that fails again has more attempts, so a key of its own.
        raise_alerts(uow, clock, users=administrators(uow.session), kind=DELIVERY_FAILED_KIND,
                     dedupe_key=f"alert:{alert.id}:email_failed:{alert.email_attempts}")
    log.warning("alert e-mail failed", extra={"alert_id": alert.id, "attempts": alert.email_attempts,
                                              "error": alert.email_error})
