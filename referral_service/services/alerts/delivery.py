"""Delivering an alert by e-mail: sent once, retried while the failure is transient, then marked failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.organisation import User
from referral_service.notify.mailer import Mailer, PermanentDeliveryError, TransientDeliveryError, alert_email
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators
from referral_service.services.loop.relay import lock_unprocessed, mark_processed
from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

#: Alerts about failed deliveries do not raise further alerts when they fail themselves.
DELIVERY_FAILED_KIND = "alert_delivery_failed"


@dataclass(frozen=True)
class EmailSettings:
    sender: str
    base_url: str


def deliver_alert_email(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, mailer: Mailer,
                        settings: EmailSettings, final_attempt: bool) -> str:
    """Send the alert's e-mail unless already done. Returns the alert's e-mail state.

    Raises TransientDeliveryError for the caller to retry while attempts remain; the attempt is counted first.
    """
    with uow:
        state = _deliver(uow, clock, message_id=message_id, mailer=mailer, settings=settings,
                         final_attempt=final_attempt)
        uow.commit()
    return state


def _deliver(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, mailer: Mailer,
             settings: EmailSettings, final_attempt: bool) -> str:
    session = uow.session
    message = lock_unprocessed(session, message_id)
    if message is None:
        return "already_processed"
    alert = session.get(Alert, message.payload["alert_id"])
    if alert is None or alert.email_state != "pending":
        mark_processed(session, clock, message_id=message_id)
        return alert.email_state if alert else "missing"
    user = session.get(User, alert.user_id)
    alert.email_attempts += 1
    try:
        mailer.send(alert_email(to=user.email, sender=settings.sender, alert_id=alert.id,
                                base_url=settings.base_url))
    except TransientDeliveryError as exc:
        alert.email_error = str(exc)[:300]
        if not final_attempt:
            # The attempt and its error are kept; the caller retries later.
            uow.commit()
            raise
        _fail(uow, clock, alert=alert, message_id=message_id)
        return "failed"
    except PermanentDeliveryError as exc:
        alert.email_error = str(exc)[:300]
        _fail(uow, clock, alert=alert, message_id=message_id)
        return "failed"
    alert.email_state = "sent"
    alert.email_sent_at = clock.now()
    alert.email_error = None
    mark_processed(session, clock, message_id=message_id)
    log.info("alert e-mail sent", extra={
        "alert_id": alert.id, "kind": alert.kind,
        "commit_to_email_ms": round((alert.email_sent_at - alert.created_at).total_seconds() * 1000, 1)})
    return "sent"


def _fail(uow: SqlUnitOfWork, clock: Clock, *, alert: Alert, message_id: str) -> None:
    alert.email_state = "failed"
    mark_processed(uow.session, clock, message_id=message_id)
    if alert.kind != DELIVERY_FAILED_KIND:
        raise_alerts(uow, clock, users=administrators(uow.session), kind=DELIVERY_FAILED_KIND,
                     dedupe_key=f"alert:{alert.id}:email_failed")
    log.warning("alert e-mail failed", extra={"alert_id": alert.id, "attempts": alert.email_attempts,
                                              "error": alert.email_error})
