"""The tasks: thin adapters that take ids, open their own session and call one service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import current_app, shared_task
from kombu import Connection

from referral_service.domain.outbox import OutboxMessage
from referral_service.services.admin import audit, operations
from referral_service.services.alerts.delivery import deliver_alert_email
from referral_service.services.fhir.notifications import FHIR_NOTIFICATION_TOPIC
from referral_service.services.fhir.subscription_delivery import NotificationSettings, deliver_notification, http_post
from referral_service.services.loop import reconcile, sweeps
from referral_service.services.loop import relay as outbox
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, REFERRAL_EVENT_TOPIC
from referral_service.tasks import task_logging
from referral_service.tasks.runtime import current

log = logging.getLogger(__name__)


def publisher(connection: Connection) -> Callable[[OutboxMessage], None]:
    """Hand one outbox row at a time to the broker, over this connection, as the task for its topic."""
    def publish(message: OutboxMessage) -> None:
        task = {REFERRAL_EVENT_TOPIC: process_referral_event, ALERT_EMAIL_TOPIC: deliver_email,
                FHIR_NOTIFICATION_TOPIC: deliver_fhir_notification}[message.topic]
        # The row's request id travels as a header: the task runs with it (tasks/task_logging.py).
        task.apply_async(args=[message.id], connection=connection,
                         headers={task_logging.REQUEST_ID_HEADER: message.request_id})
    return publish


@shared_task(name="outbox.relay")
def relay_outbox() -> int:
    rt = current()
    # A connection of its own for each run, not one from the shared producer pool: after a broker outage a
    # pooled producer can keep a channel of the closed connection and fail every publish from then on
    # (AttributeError inside kombu), so the relay would never hand over another row.
    with current_app.connection_for_write() as connection:
        return outbox.relay_outbox(rt.unit_of_work(), rt.clock, publish=publisher(connection))


@shared_task(name="outbox.process_referral_event")
def process_referral_event(message_id: str) -> bool:
    rt = current()
    # The alerts it makes wait in the outbox; its commit rings the outbox bell, so they are relayed at once.
    return outbox.process_referral_event_message(rt.unit_of_work(), clock=rt.clock, deadlines=rt.deadlines,
                                                 message_id=message_id)


@shared_task(name="alerts.deliver_email")
def deliver_email(message_id: str) -> str:
    # No Celery retry: a transient failure schedules the next attempt on the outbox row (in the database), and the
    # relay hands the row over again when it is due.
    rt = current()
    return deliver_alert_email(rt.unit_of_work(), rt.clock, message_id=message_id, mailer=rt.mailer,
                               settings=rt.email)


@shared_task(name="fhir.deliver_notification")
def deliver_fhir_notification(message_id: str) -> str:
    # No Celery retry, as for the e-mails: a failed POST schedules the next attempt on the outbox row.
    rt = current()
    settings = NotificationSettings.from_settings(rt.config)
    return deliver_notification(rt.unit_of_work(), rt.clock, message_id=message_id,
                                post=http_post(settings.timeout_seconds, public_only=settings.public_only),
                                settings=settings)


@shared_task(name="deadlines.sweep")
def sweep_deadlines() -> dict[str, int]:
    rt = current()
    return sweeps.run_sweeps(rt.unit_of_work(), clock=rt.clock, deadlines=rt.deadlines).marks


@shared_task(name="outbox.reconcile")
def reconcile_loop() -> int:
    rt = current()
    repairs = reconcile.reconcile(rt.unit_of_work(), clock=rt.clock, deadlines=rt.deadlines,
                                  grace=timedelta(seconds=rt.config.RECONCILE_GRACE_SECONDS))
    with rt.database.session() as session:
        backlog = operations.backlog(session, rt.clock)
    # An empty backlog is the idle service's routine: at DEBUG, like the relay's idle ticks.
    log.log(logging.INFO if backlog["outbox_unprocessed"] else logging.DEBUG, "outbox backlog", extra=backlog)
    return repairs.total


@shared_task(name="audit.checkpoint")
def checkpoint_access_log() -> bool:
    """Verify the access log since its newest checkpoint and seal new ones, inside the database and outside
    (AUDIT_CHECKPOINT_DIR), so `audit verify` stays quick, a deletion at the end or a wipe is caught against
    the line written here, and a broken chain is noticed within AUDIT_CHECKPOINT_INTERVAL_SECONDS."""
    rt = current()
    result = audit.verify_access_log(rt.database, actor=None, config=rt.config)
    if not result.ok:
        log.error("the access log is broken", extra={"first_broken_seq": result.first_broken_seq,
                                                     "problem": result.problem, "reason": result.reason})
    return result.ok


@shared_task(name="retention.sweep")
def sweep_retention() -> dict[str, int]:
    """Delete or anonymise what has been kept long enough (services/retention), once a day."""
    from referral_service.services.retention.policy import RetentionPolicy
    from referral_service.services.retention.sweep import run_retention

    rt = current()
    return run_retention(rt.unit_of_work(), rt.clock, RetentionPolicy.from_settings(rt.config))
