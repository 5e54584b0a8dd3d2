"""Delivering a subscription notification: POSTed once to the subscriber's endpoint; a failure is tried again later
(the schedule is kept on the notification's outbox row, so a killed worker or a lost broker keeps it); given up at
the end of its window, when the notification is failed and its subscription goes to `error` with the reason, for
the subscriber (GET /fhir/Subscription/{id}) and the administrators (the operations view) to see."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from referral_service.clock import Clock
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.subscription import (
    FhirSubscription,
    NotificationState,
    SubscriptionNotification,
    SubscriptionStatus,
)
from referral_service.fhir.subscription import FHIR_JSON, notification_bundle
from referral_service.services.fhir.subscription_errors import put_in_error
from referral_service.services.loop.relay import lock_unprocessed, mark_processed
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.email_retries import EmailRetryPolicy

log = logging.getLogger(__name__)

#: POSTs the body to the endpoint; returns the HTTP status, raises OSError or requests' errors when none came.
Post = Callable[[str, bytes], int]


class DeliveryFailed(Exception):
    """The endpoint did not take the notification; the message says why, in words safe to show."""


@dataclass(frozen=True)
class NotificationSettings:
    #: The FHIR base as clients reach it (`{BASE_URL}/fhir`), for the addresses in the notification.
    fhir_base_url: str
    timeout_seconds: float
    #: The same rule as the e-mail retries (workflows/email_retries.py), with this channel's own numbers.
    retries: EmailRetryPolicy
    allow_http: bool

    @classmethod
    def from_settings(cls, config: Any) -> NotificationSettings:
        return cls(fhir_base_url=f"{str(config.BASE_URL).rstrip('/')}/fhir",
                   timeout_seconds=float(config.FHIR_SUBSCRIPTION_TIMEOUT_SECONDS),
                   retries=EmailRetryPolicy(base_seconds=float(config.FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS),
                                            max_seconds=float(config.FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS),
                                            window=timedelta(hours=float(config.FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS))),
                   # Production speaks https only, whatever the setting says.
                   allow_http=bool(config.FHIR_SUBSCRIPTION_ALLOW_HTTP) and config.ENV != "production")


def http_post(timeout_seconds: float) -> Post:
    """The real channel: one POST, no redirects followed (the endpoint is the one the subscriber gave)."""
    def post(url: str, body: bytes) -> int:
        response = requests.post(url, data=body, timeout=timeout_seconds, allow_redirects=False,
                                 headers={"Content-Type": f"{FHIR_JSON}; charset=utf-8", "Accept": FHIR_JSON})
        response.close()
        return response.status_code
    return post


def _send(post: Post, url: str, body: bytes) -> None:
    try:
        status = post(url, body)
    except requests.Timeout:
        raise DeliveryFailed("the endpoint did not answer in time") from None
    except (requests.RequestException, OSError) as exc:
        raise DeliveryFailed(f"the endpoint could not be reached ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the endpoint answered HTTP {status}")


def deliver_notification(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, post: Post,
                         settings: NotificationSettings) -> str:
    """POST the notification unless already done or not yet due. Returns what became of it: delivered, retrying,
    failed, cancelled (its subscription is off), waiting (a twin delivery before it is due) or already_processed."""
    with uow:
        state = _deliver(uow, clock, message_id=message_id, post=post, settings=settings)
        uow.commit()
    return state


def _deliver(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, post: Post,
             settings: NotificationSettings) -> str:
    session = uow.session
    message = lock_unprocessed(session, message_id)
    if message is None:
        return "already_processed"
    now = clock.now()
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return "waiting"  # a redelivered task of an earlier attempt: the relay hands the row over when it is due
    notification = session.get(SubscriptionNotification, message.payload["notification_id"], with_for_update=True)
    if notification is None or notification.state != NotificationState.PENDING:
        mark_processed(session, clock, message_id=message_id)
        return notification.state if notification else "missing"
    subscription = session.get(FhirSubscription, notification.subscription_id)
    assert subscription is not None  # a foreign key guarantees it
    if subscription.status == SubscriptionStatus.OFF:
        notification.state = NotificationState.CANCELLED
        mark_processed(session, clock, message_id=message_id)
        return "cancelled"
    bundle = notification_bundle(notification_id=notification.id, subscription_id=subscription.id,
                                 status=str(subscription.status), event_number=notification.event_number,
                                 occurred_at=notification.occurred_at, sent_at=now, task_id=notification.task_id,
                                 base_url=settings.fhir_base_url)
    notification.attempts += 1
    try:
        _send(post, subscription.endpoint, json.dumps(bundle).encode())
    except DeliveryFailed as exc:
        notification.last_error = str(exc)[:500]
        return _retry_later(uow, clock, notification=notification, subscription=subscription, message=message,
                            retries=settings.retries, now=now)
    notification.state = NotificationState.DELIVERED
    notification.delivered_at = now
    notification.last_error = notification.retry_until = None
    mark_processed(session, clock, message_id=message_id)
    log.info("subscription notification delivered", extra={
        "notification_id": notification.id, "subscription_id": subscription.id,
        "event_number": notification.event_number, "attempts": notification.attempts,
        "change_to_delivery_ms": round((now - notification.occurred_at).total_seconds() * 1000, 1)})
    return "delivered"


def _retry_later(uow: SqlUnitOfWork, clock: Clock, *, notification: SubscriptionNotification,
                 subscription: FhirSubscription, message: OutboxMessage, retries: EmailRetryPolicy,
                 now: datetime) -> str:
    """Give the row back to the relay for later (not dispatched, due at its next attempt), or fail it when the
    window is over. The row is no longer dispatched, so the reconciler never takes it for a stuck one."""
    notification.retry_until = notification.retry_until or retries.retry_until(now)
    next_attempt = retries.next_attempt(failures=max(notification.attempts, 1), now=now,
                                        until=notification.retry_until)
    if next_attempt is None:
        _fail(uow, clock, notification=notification, subscription=subscription, message_id=message.id)
        return "failed"
    message.next_attempt_at = next_attempt
    message.dispatched_at = None
    log.info("subscription notification deferred", extra={
        "notification_id": notification.id, "subscription_id": subscription.id,
        "attempts": notification.attempts, "error": notification.last_error,
        "next_attempt_at": next_attempt.isoformat(), "retry_until": notification.retry_until.isoformat()})
    return "retrying"


def _fail(uow: SqlUnitOfWork, clock: Clock, *, notification: SubscriptionNotification,
          subscription: FhirSubscription, message_id: str) -> None:
    now = clock.now()
    notification.state = NotificationState.FAILED
    notification.failed_at = now
    mark_processed(uow.session, clock, message_id=message_id)
    put_in_error(uow, clock, subscription=subscription, reason=(  # no later notifications; people are alerted
        f"Notification {notification.event_number} was given up after {notification.attempts} attempts: "
        f"{notification.last_error}."))
    log.warning("subscription notification failed", extra={
        "notification_id": notification.id, "subscription_id": subscription.id,
        "event_number": notification.event_number, "attempts": notification.attempts,
        "error": notification.last_error})
