"""Alerts: stored once per recipient and key, each with an e-mail that leaves through the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.organisation import User
from referral_service.errors import NotFound
from referral_service.security.actor import Actor
from referral_service.services.pagination import Page, paginate
from referral_service.services.unit_of_work import SqlUnitOfWork


def raise_alerts(uow: SqlUnitOfWork, clock: Clock, *, users: Iterable[User], kind: str, dedupe_key: str,
                 data: dict[str, Any] | None = None, referral_id: str | None = None,
                 handover_id: str | None = None) -> list[Alert]:
    """Alert each user once for this key, in the caller's unit of work; returns the alerts made now.

    Each alert is raised as an event, so its e-mail leaves through the outbox when the work commits.
    """
    session = uow.session
    made = []
    for user in users:
        if session.exec(select(Alert.id).where(Alert.user_id == user.id, Alert.dedupe_key == dedupe_key)).first():
            continue
        alert = Alert(user_id=user.id, kind=kind, dedupe_key=dedupe_key, data=data or {},
                      referral_id=referral_id, handover_id=handover_id, created_at=clock.now())
        try:
            # A savepoint, so a concurrent twin that won the unique constraint costs only this row.
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue
        uow.raise_event(alert)
        made.append(alert)
    return made


def list_alerts(session: Session, *, actor: Actor, page: int, per_page: int,
                unread: bool = False) -> Page[Alert]:
    query = select(Alert).where(Alert.user_id == actor.user_id)
    if unread:
        query = query.where(Alert.read_at.is_(None))
    query = query.order_by(Alert.read_at.is_not(None), Alert.created_at.desc(), Alert.id)
    return paginate(session, query, page=page, per_page=per_page)


def unread_count(session: Session, *, actor: Actor) -> int:
    return len(session.exec(select(Alert.id).where(Alert.user_id == actor.user_id, Alert.read_at.is_(None))).all())


def mark_read(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, alert_id: str) -> Alert:
    with uow:
        alert = uow.session.exec(select(Alert).where(Alert.id == alert_id, Alert.user_id == actor.user_id)).first()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.read_at is None:
            alert.read_at = clock.now()
        uow.commit()
    return alert
