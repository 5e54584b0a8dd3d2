"""Running the background work in-process, step by step, for tests that need no broker."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import Flask

from referral_service.bootstrap import dependencies
from referral_service.domain.outbox import OutboxMessage
from referral_service.notify.mailer import FakeMailer, Mailer
from referral_service.services.alerts.delivery import EmailSettings, deliver_alert_email
from referral_service.services.fhir.notifications import FHIR_NOTIFICATION_TOPIC
from referral_service.services.fhir.subscription_delivery import NotificationSettings, Post, deliver_notification
from referral_service.services.loop import relay as outbox
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, REFERRAL_EVENT_TOPIC, SqlUnitOfWork


def _nobody_answers(_url: str, _body: bytes) -> int:
    raise ConnectionRefusedError("no endpoint in this test")


@dataclass
class InProcessWorker:
    """The relay hands messages to a local queue; `run()` processes them like the Celery tasks do.

    A transiently failed e-mail waits in the database for its next attempt (the service's retry schedule);
    `run_retries(clock)` moves a test clock on to each next attempt until every e-mail is sent or failed."""

    app: Flask
    mailer: Mailer = field(default_factory=FakeMailer)
    queue: list[tuple[str, str]] = field(default_factory=list)
    #: Where FHIR subscription notifications are POSTed (url, body) -> status; None: no endpoint answers.
    fhir_post: Post | None = None

    @property
    def database(self):
        return self.app.extensions["referral_db"]

    @property
    def deps(self):
        return dependencies(self.app)

    def relay(self) -> int:
        with self.database.session() as session:
            return outbox.relay_outbox(SqlUnitOfWork.on(session), self.deps.clock,
                                       publish=lambda m: self.queue.append((m.topic, m.id)))

    @property
    def email_settings(self) -> EmailSettings:
        return replace(self.deps.email, sender="ikke-svar@test.example", base_url="http://test.example")

    def process(self, topic: str, message_id: str) -> None:
        with self.database.session() as session:
            if topic == REFERRAL_EVENT_TOPIC:
                outbox.process_referral_event_message(SqlUnitOfWork.on(session), clock=self.deps.clock,
                                                      deadlines=self.deps.deadlines, message_id=message_id)
            elif topic == ALERT_EMAIL_TOPIC:
                deliver_alert_email(SqlUnitOfWork.on(session), self.deps.clock, message_id=message_id,
                                    mailer=self.mailer, settings=self.email_settings)
            elif topic == FHIR_NOTIFICATION_TOPIC:
                deliver_notification(SqlUnitOfWork.on(session), self.deps.clock, message_id=message_id,
                                     post=self.fhir_post or _nobody_answers,
                                     settings=NotificationSettings.from_settings(self.deps.config))

    def run(self, *, rounds: int = 10) -> None:
        """Relay and process until nothing is left (the alert e-mails included)."""
        for _ in range(rounds):
            self.relay()
            if not self.queue:
                return
            pending, self.queue = self.queue, []
            for item in pending:
                self.process(*item)
        raise AssertionError("the background work did not settle")

    def next_attempt(self) -> datetime | None:
        """The earliest next attempt of a delivery waiting in its retry window."""
        from sqlalchemy import func, type_coerce
        from sqlmodel import select

        from referral_service.domain.types import UTCDateTime

        with self.database.session() as session:
            return session.exec(select(type_coerce(func.min(OutboxMessage.next_attempt_at), UTCDateTime)).where(
                OutboxMessage.processed_at.is_(None), OutboxMessage.next_attempt_at.is_not(None))).one()

    def run_retries(self, clock, *, limit: timedelta = timedelta(days=3)) -> int:
        """Run, then move the (set) test clock to each next attempt and run again, until nothing waits; returns
        how many times the clock moved."""
        start, moves = clock(), 0
        self.run()
        while (due := self.next_attempt()) is not None:
            assert due - start <= limit, "the retries did not end"
            clock.set(max(due, clock()))
            self.run()
            moves += 1
        return moves

    def pending_outbox(self) -> list[OutboxMessage]:
        from sqlmodel import select

        with self.database.session() as session:
            return list(session.exec(select(OutboxMessage).where(OutboxMessage.processed_at.is_(None))))
