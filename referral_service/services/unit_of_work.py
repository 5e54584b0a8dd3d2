"""The unit of work: one use case, one transaction, and the events it raised written to the outbox in it.

A service does `with uow: ...; uow.commit()`. Leaving the block without `commit()` (an error, a refusal,
a read that changed nothing) rolls everything back. Nothing else commits or rolls back: not helpers,
not routes, not views, not tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlmodel import Session

from referral_service.db import begin_transaction
from referral_service.domain.alert import Alert
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.outbox_bell import OutboxBell
from referral_service.request_context import current_request_id
from referral_service.security.access_log import commit_with_access_log
from referral_service.services.fhir.notifications import write_notifications
from referral_service.services.repositories import (
    AccessLogRepository,
    DeadlineMarkRepository,
    HandoverRepository,
    OrganisationRepository,
    ReferralRepository,
    SqlAccessLog,
    SqlDeadlineMarks,
    SqlHandovers,
    SqlOrganisations,
    SqlReferrals,
)

REFERRAL_EVENT_TOPIC = "referral.event"
ALERT_EMAIL_TOPIC = "alert.email"

#: What a use case may raise: a referral's event (its consequences follow in a worker) or an alert (its e-mail).
DomainEvent = ReferralEvent | Alert


def outbox_message_for(event: DomainEvent, at: datetime | None = None) -> OutboxMessage:
    """The outbox row that carries one domain event to the worker; ids only, the worker reads the rest.
    It carries the current request id too (the web request's, or the task's that raised it), for the logs.
    `at` is when it was raised, when that is not when the event happened (an alert's e-mail sent again)."""
    if isinstance(event, ReferralEvent):
        return OutboxMessage(topic=REFERRAL_EVENT_TOPIC, event_id=event.id, created_at=at or event.at,
                             payload={"event_id": event.id}, request_id=current_request_id())
    return OutboxMessage(topic=ALERT_EMAIL_TOPIC, created_at=at or event.created_at, payload={"alert_id": event.id},
                         request_id=current_request_id())


class UnitOfWork:
    """The repositories of one use case and its transaction; subclasses say where they are stored."""

    referrals: ReferralRepository
    handovers: HandoverRepository
    organisations: OrganisationRepository
    marks: DeadlineMarkRepository
    access_log: AccessLogRepository

    def __init__(self) -> None:
        self._events: list[tuple[DomainEvent, datetime | None]] = []
        self._committed = False

    def __enter__(self) -> Self:
        self._events = []
        self._committed = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._committed:
            self.rollback()
        self._events = []

    def raise_event(self, event: DomainEvent, *, at: datetime | None = None) -> None:
        """Keep the event for the outbox; it is written with the transaction, or not at all. `at`: when it is
        raised, if not when it happened (outbox_message_for)."""
        self._events.append((event, at))

    def record_event(self, event: ReferralEvent) -> ReferralEvent:
        """Store a referral event and raise it."""
        self.add(event)
        self.raise_event(event)
        return event

    def commit(self) -> None:
        # The notifications first: a subscription they put in error raises alerts, whose events go out below.
        wrote_outbox = self._notify_subscribers() > 0
        wrote_outbox = bool(self._events) or wrote_outbox
        for event, at in self._events:
            self.add(outbox_message_for(event, at))
        self._events = []
        if wrote_outbox:
            self._ring_in()
        self._commit()
        self._committed = True
        if wrote_outbox:
            self._rung()

    def _notify_subscribers(self) -> int:
        """Write the FHIR subscription notifications of the Tasks this transaction changed; none here."""
        return 0

    def _ring_in(self) -> None:
        """Ring the outbox's bell inside the transaction (outbox_bell.py); nothing here."""

    def _rung(self) -> None:
        """Ring the outbox's bell after the commit; nothing here."""

    def add(self, row: object) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError


class SqlUnitOfWork(UnitOfWork):
    """A unit of work on a database session.

    `session_factory` opens the session; a request passes its own session (closed when the request ends),
    a worker or the command line a new one, which this unit of work closes again (`close=True`).
    `bell`, when given, is rung for a commit that wrote outbox rows, so the worker relays them at once.
    `read_only` says the use case only reads (the access-log rows it records aside, which are written in
    a short transaction of their own as it commits): its transaction takes no write lock.
    """

    def __init__(self, session_factory: Callable[[], Session], *, close: bool, read_only: bool = False,
                 bell: OutboxBell | None = None) -> None:
        super().__init__()
        self._session_factory = session_factory
        self._close = close
        self.read_only = read_only
        self._bell = bell
        self._session: Session | None = None

    @classmethod
    def on(cls, session: Session, *, read_only: bool = False) -> SqlUnitOfWork:
        """A unit of work on a session its caller opened and will close."""
        return cls(lambda: session, close=False, read_only=read_only)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work on the same sessions that only reads: on SQLite its transaction takes no write lock,
        so a background pass can look for its candidates, however long that takes, while requests write."""
        return SqlUnitOfWork(self._session_factory, close=self._close, read_only=True)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session

    def __enter__(self) -> Self:
        super().__enter__()
        self._session = session = self._session_factory()
        begin_transaction(session, read_only=self.read_only)
        self.referrals = SqlReferrals(session)
        self.handovers = SqlHandovers(session)
        self.organisations = SqlOrganisations(session)
        self.marks = SqlDeadlineMarks(session)
        self.access_log = SqlAccessLog(session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._close and self._session is not None:
                self._session.close()
            self._session = None

    def add(self, row: object) -> None:
        self.session.add(row)

    def _notify_subscribers(self) -> int:
        return write_notifications(self)

    def _ring_in(self) -> None:
        if self._bell is not None:
            self._bell.ring_in(self.session)

    def _rung(self) -> None:
        if self._bell is not None:
            self._bell.rung()

    def _commit(self) -> None:
        commit_with_access_log(self.session)

    def rollback(self) -> None:
        self.session.rollback()
