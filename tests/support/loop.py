"""Running the background work in-process, step by step, for tests that need no broker."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from referral_service.bootstrap import dependencies
from referral_service.domain.outbox import OutboxMessage
from referral_service.notify.mailer import FakeMailer, Mailer, TransientDeliveryError
from referral_service.services.alerts.delivery import EmailSettings, deliver_alert_email
from referral_service.services.loop import relay as outbox
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, REFERRAL_EVENT_TOPIC, SqlUnitOfWork


@dataclass
class InProcessWorker:
    """The relay hands messages to a local queue; `run()` processes them like the Celery tasks do."""

    app: Flask
    mailer: Mailer = field(default_factory=FakeMailer)
    max_email_attempts: int = 3
    queue: list[tuple[str, str]] = field(default_factory=list)

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

    def process(self, topic: str, message_id: str, attempt: int = 0) -> None:
        with self.database.session() as session:
            if topic == REFERRAL_EVENT_TOPIC:
                outbox.process_referral_event_message(SqlUnitOfWork.on(session), clock=self.deps.clock,
                                                      deadlines=self.deps.deadlines, message_id=message_id)
            elif topic == ALERT_EMAIL_TOPIC:
                try:
                    deliver_alert_email(SqlUnitOfWork.on(session), self.deps.clock, message_id=message_id,
                                        mailer=self.mailer, settings=EmailSettings("ikke-svar@test.example", "http://test.example"),
                                        final_attempt=attempt + 1 >= self.max_email_attempts)
                except TransientDeliveryError:
                    self.queue.append((topic, message_id, attempt + 1))

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

    def pending_outbox(self) -> list[OutboxMessage]:
        from sqlmodel import select

        with self.database.session() as session:
            return list(session.exec(select(OutboxMessage).where(OutboxMessage.processed_at.is_(None))))
