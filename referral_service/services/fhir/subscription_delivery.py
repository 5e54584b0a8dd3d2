"""Delivering a subscription notification, in three steps so no transaction is open while the subscriber's endpoint
is asked: the attempt is claimed (a short transaction: the outbox row is leased to this worker until the POST's
deadline has surely passed), POSTed outside any transaction under a hard total deadline, and its result recorded with
a conditional UPDATE (only a notification still pending, and a failure only by the claim it belongs to).

A worker killed between claim and record leaves the row dispatched and leased: a twin delivery meanwhile finds it
`waiting`; once the lease is over the reconciler hands it back to the relay (services/loop/relay.py
`redispatch_stuck`), and it is tried again. Never lost; at worst POSTed twice with the same event number.

A failure is tried again later (the schedule is kept on the notification's outbox row, so a killed worker or a lost
broker keeps it); given up at the end of its window, when the notification is failed and its subscription goes to
`error`, for the subscriber (GET /fhir/Subscription/{id}, a generic reason) and the administrators (the operations
view; the detail in the log) to see. A notification whose subscription is no longer active, whose subscriber left,
or whose Task the subscriber may no longer see is cancelled, not sent."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import exists, or_, update
from sqlmodel import Session, col, select
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from referral_service.clock import Clock
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral
from referral_service.domain.subscription import (
    FhirSubscription,
    NotificationState,
    SubscriptionNotification,
    SubscriptionStatus,
)
from referral_service.fhir.subscription import FHIR_JSON, is_public_address, notification_bundle
from referral_service.security.handover_visibility import visible_handovers
from referral_service.security.visibility import visible_referrals
from referral_service.services.fhir.subscription_errors import put_in_error
from referral_service.services.loop.relay import lock_unprocessed, mark_processed
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.email_retries import EmailRetryPolicy

log = logging.getLogger(__name__)

#: POSTs the body to the endpoint; returns the HTTP status, raises OSError or requests' errors when none came.
Post = Callable[[str, bytes], int]
#: The addresses a host name resolves to.
Resolve = Callable[[str, int], list[str]]

#: What the subscriber reads (Subscription.error) whatever went wrong: which of its hosts and ports answer how is
#: nothing an outsider learns from us. The detail is in the log and on the notification for the administrators.
SUBSCRIBER_ERROR = "the endpoint could not be reached or did not accept the notification"
#: The lease outlives the POST's deadline by at least this much; a record step slower still leads at worst to a
#: second POST with the same event number (the record is conditional, so the outcome is kept once).
_LEASE_MARGIN_SECONDS = 5.0


class DeliveryFailed(Exception):
    """The endpoint did not take the notification; the message is the detail, for the administrators only."""


class EndpointNotPublic(Exception):
    """The endpoint's host resolved, or connected, to an address that is not on the public internet."""


@dataclass(frozen=True)
class NotificationSettings:
    #: The FHIR base as clients reach it (`{BASE_URL}/fhir`), for the addresses in the notification.
    fhir_base_url: str
    #: The hard limit on one POST, from connecting to the answer's status line and headers.
    timeout_seconds: float
    #: The same rule as the e-mail retries (workflows/email_retries.py), with this channel's own numbers.
    retries: EmailRetryPolicy
    allow_http: bool
    #: Endpoints must be on public internet addresses (checked at creation and at each delivery).
    public_only: bool = False
    #: How long a claimed attempt is this worker's; after it, a killed worker's attempt is made again.
    claim_seconds: float = 60.0

    @classmethod
    def from_settings(cls, config: Any) -> NotificationSettings:
        timeout = float(config.FHIR_SUBSCRIPTION_TIMEOUT_SECONDS)
        return cls(fhir_base_url=f"{str(config.BASE_URL).rstrip('/')}/fhir",
                   timeout_seconds=timeout,
                   retries=EmailRetryPolicy(base_seconds=float(config.FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS),
                                            max_seconds=float(config.FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS),
                                            window=timedelta(hours=float(config.FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS))),
                   # Production speaks https only, whatever the setting says.
                   allow_http=bool(config.FHIR_SUBSCRIPTION_ALLOW_HTTP) and config.ENV != "production",
                   public_only=bool(config.FHIR_SUBSCRIPTION_PUBLIC_ONLY),
                   claim_seconds=max(float(config.FHIR_SUBSCRIPTION_CLAIM_SECONDS),
                                     timeout + _LEASE_MARGIN_SECONDS))


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (TCP)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def endpoint_addresses_refused(endpoint: str, resolve: Resolve = resolve_host) -> str | None:
    """Why the endpoint may not be posted to under the public-only rule (for the log), or None. A host that does
    not resolve, or resolves to any address that is not public, is refused."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = resolve(host, port)
    except (OSError, ValueError, UnicodeError):
        return "its host does not resolve"
    if not addresses:
        return "its host does not resolve"
    if not all(is_public_address(address) for address in addresses):
        return "its host resolves to an address that is not public"
    return None


# --- the real channel -------------------------------------------------------------------------------------------

class _Guard:
    """One POST's limits: each socket it opens must connect to a public address (when asked; this catches a host
    that resolved to a public address when checked and to another one when connected), and every socket is shut
    when the deadline passes, whatever the endpoint is doing (a dripped answer included)."""

    def __init__(self, *, public_only: bool) -> None:
        self.public_only = public_only
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def connected(self, sock: socket.socket) -> None:
        if self.public_only and not is_public_address(str(sock.getpeername()[0])):
            sock.close()
            raise EndpointNotPublic("connected to an address that is not public")
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("the deadline passed")
            self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _guarded_adapter(guard: _Guard) -> HTTPAdapter:
    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            guard.connected(sock)
            return sock

    class TlsConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            guard.connected(sock)
            return sock

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = TlsConnection

    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}
    return adapter


def http_post(timeout_seconds: float, *, public_only: bool = False) -> Post:
    """The real channel: one POST, no redirects followed (the endpoint is the one the subscriber gave), no proxy or
    .netrc from the environment; only the status line and headers are read, and all of it within
    `timeout_seconds` in total."""
    def post(url: str, body: bytes) -> int:
        guard = _Guard(public_only=public_only)
        watchdog = threading.Timer(timeout_seconds, guard.expire)
        watchdog.daemon = True
        with requests.Session() as session:
            session.trust_env = False
            adapter = _guarded_adapter(guard)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            watchdog.start()
            try:
                response = session.post(url, data=body, timeout=timeout_seconds, allow_redirects=False, stream=True,
                                        headers={"Content-Type": f"{FHIR_JSON}; charset=utf-8",
                                                 "Accept": FHIR_JSON})
                response.close()  # the body is never read
            except (requests.RequestException, OSError):
                if guard.expired:
                    raise requests.Timeout("the total deadline passed") from None
                raise
            finally:
                watchdog.cancel()
        if guard.expired:
            raise requests.Timeout("the total deadline passed")
        return response.status_code
    return post


def _send(post: Post, url: str, body: bytes) -> None:
    try:
        status = post(url, body)
    except EndpointNotPublic:
        raise DeliveryFailed("the endpoint connected to an address that is not public") from None
    except requests.Timeout:
        raise DeliveryFailed("the endpoint did not answer in time") from None
    except (requests.RequestException, OSError) as exc:
        raise DeliveryFailed(f"the endpoint could not be reached ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"the endpoint answered HTTP {status}")


# --- claim, POST, record ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claim:
    """An attempt this worker holds: what it POSTs, and the attempt number that is its token."""

    message_id: str
    notification_id: str
    subscription_id: str
    attempt: int
    endpoint: str
    body: bytes


def deliver_notification(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, post: Post,
                         settings: NotificationSettings, resolve: Resolve = resolve_host) -> str:
    """POST the notification unless already done or not yet due. Returns what became of it: delivered, retrying,
    failed, cancelled (its subscription is not active, its subscriber left or may no longer see the Task),
    waiting (a twin delivery before it is due, or while another worker holds it), superseded (this worker's claim
    ran out and another took it) or already_processed."""
    with uow:
        claim = _claim(uow, clock, message_id=message_id, settings=settings)
        uow.commit()
    if isinstance(claim, str):
        return claim
    failure = _attempt(claim, post=post, settings=settings, resolve=resolve)  # outside any transaction
    with uow:
        state = _record(uow, clock, claim=claim, failure=failure, settings=settings)
        uow.commit()
    return state


def _claim(uow: SqlUnitOfWork, clock: Clock, *, message_id: str, settings: NotificationSettings) -> _Claim | str:
    session = uow.session
    message = lock_unprocessed(session, message_id)
    if message is None:
        return "already_processed"
    now = clock.now()
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return "waiting"  # a redelivered task of an earlier attempt, or another worker's claim still running
    notification = session.get(SubscriptionNotification, message.payload["notification_id"], with_for_update=True)
    if notification is None or notification.state != NotificationState.PENDING:
        mark_processed(session, clock, message_id=message_id)
        return notification.state if notification else "missing"
    subscription = session.get(FhirSubscription, notification.subscription_id)
    assert subscription is not None  # a foreign key guarantees it
    why_not = _why_not_told(session, subscription, notification)
    if why_not is not None:
        notification.state = NotificationState.CANCELLED
        mark_processed(session, clock, message_id=message_id)
        log.info("subscription notification cancelled", extra={
            "notification_id": notification.id, "subscription_id": subscription.id, "reason": why_not})
        return "cancelled"
    bundle = notification_bundle(notification_id=notification.id, subscription_id=subscription.id,
                                 status=str(subscription.status), event_number=notification.event_number,
                                 occurred_at=notification.occurred_at, sent_at=now, task_id=notification.task_id,
                                 base_url=settings.fhir_base_url)
    notification.attempts += 1
    # The lease: dispatched, and not due again until the POST is surely over. A twin finds it `waiting`; a killed
    # worker's row is sent back to the relay by the reconciler once the lease (and its grace) is over.
    message.dispatched_at = now
    message.next_attempt_at = now + timedelta(seconds=settings.claim_seconds)
    return _Claim(message_id=message.id, notification_id=notification.id, subscription_id=subscription.id,
                  attempt=notification.attempts, endpoint=subscription.endpoint, body=json.dumps(bundle).encode())


def _why_not_told(session: Session, subscription: FhirSubscription,
                  notification: SubscriptionNotification) -> str | None:
    """Why the notification must not go out now (None: it may): what was true when it was written may not be."""
    from referral_service.services.admin.auth import actor_for_user  # the admin services import the unit of work

    if subscription.status != SubscriptionStatus.ACTIVE:
        return f"the subscription is {subscription.status}"
    found = session.exec(select(User, Organisation).join(Organisation, col(Organisation.id) == User.organisation_id)
                         .where(User.id == subscription.created_by_user_id,
                                Organisation.id == subscription.organisation_id)).first()
    if found is None or not found[0].active:
        return "the subscriber is no longer active"
    actor = actor_for_user(*found)
    task_id = notification.task_id
    visible = session.exec(select(or_(
        exists(select(Referral.id).where(Referral.id == task_id, visible_referrals(actor))),
        exists(select(Handover.id).where(Handover.id == task_id, visible_handovers(actor)))))).one()
    return None if visible else "the subscriber may no longer see the Task"


def _attempt(claim: _Claim, *, post: Post, settings: NotificationSettings, resolve: Resolve) -> str | None:
    """POST the claimed notification; None when it was taken, else why not (the detail, for the administrators)."""
    if settings.public_only:
        refused = endpoint_addresses_refused(claim.endpoint, resolve)
        if refused is not None:
            return f"the endpoint was not posted to: {refused}"
    try:
        _send(post, claim.endpoint, claim.body)
    except DeliveryFailed as exc:
        return str(exc)
    return None


def _record(uow: SqlUnitOfWork, clock: Clock, *, claim: _Claim, failure: str | None,
            settings: NotificationSettings) -> str:
    session = uow.session
    now = clock.now()
    pending = (col(SubscriptionNotification.id) == claim.notification_id,
               col(SubscriptionNotification.state) == NotificationState.PENDING)
    if failure is None:
        # Taken is taken, whichever claim it was: a later claim's record then finds nothing pending.
        done = session.execute(update(SubscriptionNotification).where(*pending).values(
            state=NotificationState.DELIVERED, delivered_at=now, last_error=None, retry_until=None)
            .execution_options(synchronize_session=False)).rowcount
        if not done:
            return "superseded"
        mark_processed(session, clock, message_id=claim.message_id)
        notification = session.get(SubscriptionNotification, claim.notification_id, populate_existing=True)
        assert notification is not None
        log.info("subscription notification delivered", extra={
            "notification_id": notification.id, "subscription_id": claim.subscription_id,
            "event_number": notification.event_number, "attempts": notification.attempts,
            "change_to_delivery_ms": round((now - notification.occurred_at).total_seconds() * 1000, 1)})
        return "delivered"
    # A failure counts only for the claim that is still the newest: a later claim decides for itself.
    kept = session.execute(update(SubscriptionNotification).where(
        *pending, col(SubscriptionNotification.attempts) == claim.attempt).values(last_error=failure[:500])
        .execution_options(synchronize_session=False)).rowcount
    if not kept:
        return "superseded"
    notification = session.get(SubscriptionNotification, claim.notification_id, populate_existing=True)
    message = session.get(OutboxMessage, claim.message_id, populate_existing=True)
    subscription = session.get(FhirSubscription, claim.subscription_id, populate_existing=True)
    assert notification is not None and message is not None and subscription is not None
    return _retry_later(uow, clock, notification=notification, subscription=subscription, message=message,
                        retries=settings.retries, now=now)


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
        f"{SUBSCRIBER_ERROR}."))
    log.warning("subscription notification failed", extra={
        "notification_id": notification.id, "subscription_id": subscription.id,
        "event_number": notification.event_number, "attempts": notification.attempts,
        "error": notification.last_error})
