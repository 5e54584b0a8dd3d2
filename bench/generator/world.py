"""What every story writes through: the rows of one event, alert, mark or access, shaped as the service writes
them (unit_of_work.outbox_message_for, alerts/inbox.raise_alerts, escalation marks, security/access_log)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from bench.generator.directory import Directory, Org, Person, new_uuid
from bench.generator.writer import BulkWriter
from referral_service.domain.alert import Alert
from referral_service.domain.handover import DeadlineMark
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, REFERRAL_EVENT_TOPIC
from referral_service.workflows.calendar import WorkingDayCalendar

EVENTS = ReferralEvent.__table__  # type: ignore[attr-defined]
ALERTS = Alert.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
MARKS = DeadlineMark.__table__  # type: ignore[attr-defined]

class _RememberingCalendar(WorkingDayCalendar):
    """The service's calendar, remembering each day's answer (the generator asks about the same days millions
    of times)."""

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[date, bool] = {}

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = super().is_working_day(day)
        return known


_CALENDAR = _RememberingCalendar()


@lru_cache(maxsize=200_000)
def add_working_days(day: date, days: int) -> date:
    return _CALENDAR.add_working_days(day, days)


def is_working_day(day: date) -> bool:
    return _CALENDAR.is_working_day(day)


@dataclass
class World:
    rng: random.Random
    writer: BulkWriter
    directory: Directory
    now: datetime  # nothing generated happens at or after this moment

    def id(self) -> str:
        return new_uuid(self.rng)

    def office_hours(self, day: date) -> datetime:
        """A moment of a working day at the office (07:00-14:30 UTC, about 08-16 in Norway)."""
        return datetime.combine(day, time(7), tzinfo=UTC) + timedelta(seconds=self.rng.randint(0, 27_000))

    def working_days_after(self, moment: datetime, low: int, high: int) -> datetime:
        return self.office_hours(add_working_days(moment.date(), self.rng.randint(low, high)))

    def past(self, moment: datetime) -> bool:
        return moment < self.now

    # --- rows ------------------------------------------------------------------------------------------------

    def event(self, *, referral_id: str, action: str, from_status: str | None, to_status: str, actor: Person,
              at: datetime, data: dict[str, Any], trigger: str | None = None) -> str:
        """A referral event and its outbox row, processed about a second after the commit."""
        event_id = self.id()
        self.writer.add(EVENTS, {"id": event_id, "referral_id": referral_id, "action": action,
                                 "from_status": from_status, "to_status": to_status, "actor_id": actor.id,
                                 "actor_org_id": actor.organisation_id, "at": at, "data": data,
                                 "handover_trigger": trigger})
        self._outbox(topic=REFERRAL_EVENT_TOPIC, event_id=event_id, payload={"event_id": event_id}, at=at)
        return event_id

    def _outbox(self, *, topic: str, event_id: str | None, payload: dict[str, str], at: datetime) -> None:
        dispatched = at + timedelta(milliseconds=self.rng.randint(5, 900))
        self.writer.add(OUTBOX, {"id": self.id(), "topic": topic, "event_id": event_id, "payload": payload,
                                 "created_at": at, "dispatched_at": dispatched,
                                 "processed_at": dispatched + timedelta(milliseconds=self.rng.randint(20, 400)),
                                 "attempts": 1})

    def alerts(self, people: list[Person], *, kind: str, dedupe_key: str, at: datetime, data: dict[str, Any],
               referral_id: str | None = None, handover_id: str | None = None,
               settled: datetime | None = None) -> None:
        """One alert per person (most read within days; `settled` reads it when the task step answers it)."""
        for person in {p.id: p for p in people}.values():
            alert_id = self.id()
            read = at + timedelta(hours=self.rng.expovariate(1 / 20))
            if settled is not None:
                read = min(read, settled)
            if self.rng.random() < 0.03:
                read = self.now  # never read
            self.writer.add(ALERTS, {
                "id": alert_id, "user_id": person.id, "kind": kind, "dedupe_key": dedupe_key,
                "referral_id": referral_id, "handover_id": handover_id, "data": data, "message": "",
                "created_at": at, "read_at": read if self.past(read) else None, "email_state": "sent",
                "email_attempts": 1, "email_error": None, "email_sent_at": at + timedelta(seconds=2)})
            self._outbox(topic=ALERT_EMAIL_TOPIC, event_id=None, payload={"alert_id": alert_id}, at=at)

    def mark(self, *, key: str, kind: str, at: datetime, due: date | None, level: int = 0,
             referral_id: str | None = None, handover_id: str | None = None) -> None:
        self.writer.add(MARKS, {"id": self.id(), "key": key, "kind": kind, "referral_id": referral_id,
                                "handover_id": handover_id, "level": level, "due": due, "at": at})

    def access(self, person: Person, *, action: str, referral_id: str, child_id: str, basis: str,
               at: datetime) -> None:
        if self.past(at):
            self.writer.access((at, person.id, person.organisation_id, person.role, action, referral_id, child_id,
                                basis))

    def reads(self, person: Person, actions: tuple[str, ...], *, referral_id: str, child_id: str, basis: str,
              start: datetime, end: datetime, count: int) -> None:
        """`count` reads by one person between two moments (lists, pages, histories)."""
        end = min(end, start + timedelta(days=180))  # nobody keeps reading a referral for years
        span = max(1.0, (end - start).total_seconds())
        for _ in range(count):
            at = start + timedelta(seconds=self.rng.uniform(0, span))
            self.access(person, action=self.rng.choice(actions), referral_id=referral_id, child_id=child_id,
                        basis=basis, at=at)


def someone(rng: random.Random, org: Org) -> Person:
    return rng.choice(org.people)
