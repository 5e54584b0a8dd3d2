"""Alerts: stored once per recipient and key, each with an e-mail that leaves through the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, false, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.organisation import User
from referral_service.errors import NotFound
from referral_service.security.actor import Actor
from referral_service.services.pagination import (
    Branch,
    Order,
    Page,
    PageRequest,
    SortKey,
    count_rows,
    counted,
    first_rows,
    page_of,
)
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


#: Within the unread alerts, and within the read ones: newest first. Each part has an index that serves this order:
#: (user_id, read_at, created_at) for the unread, (user_id, created_at) for the read.
_NEWEST_FIRST = Order((SortKey(col(Alert.created_at), descending=True), SortKey(col(Alert.id))))
#: The inbox: unread first (0), then read (1), each newest first.
_INBOX = Order((SortKey(col(Alert.read_at).is_not(None)), *_NEWEST_FIRST.keys))


def _unread_after(values: tuple[Any, ...]) -> Any:
    return _NEWEST_FIRST.after(values[1:]) if values[0] == 0 else false()


def _read_after(values: tuple[Any, ...]) -> Any:
    return _NEWEST_FIRST.after(values[1:]) if values[0] == 1 else None


def list_alerts(session: Session, *, actor: Actor, wanted: PageRequest, unread: bool = False) -> Page[Alert]:
    """The reader's alerts, unread first, newest first: one page read through the indexes, never every alert."""
    mine = col(Alert.user_id) == actor.user_id
    branches = [Branch(where=mine & col(Alert.read_at).is_(None), order=_NEWEST_FIRST, after=_unread_after)]
    if not unread:
        branches.append(Branch(where=mine & col(Alert.read_at).is_not(None), order=_NEWEST_FIRST, after=_read_after))
    rows = list(session.exec(first_rows(Alert, branches=branches, order=_INBOX, wanted=wanted)))
    total, capped = counted(wanted, lambda cap: count_rows(
        session, Alert, and_(mine, col(Alert.read_at).is_(None)) if unread else mine, cap=cap))
    return page_of(rows, wanted=wanted, total=total, total_capped=capped,
                   key_of=lambda a: (int(a.read_at is not None), a.created_at, a.id))


def unread_count(session: Session, *, actor: Actor) -> int:
    """Counted in the index on (user_id, read_at, created_at): only the unread entries are read."""
    return session.exec(select(func.count()).select_from(Alert).where(
        col(Alert.user_id) == actor.user_id, col(Alert.read_at).is_(None))).one()


def mark_read(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, alert_id: str) -> Alert:
    with uow:
        alert = uow.session.exec(select(Alert).where(Alert.id == alert_id, Alert.user_id == actor.user_id)).first()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.read_at is None:
            alert.read_at = clock.now()
        uow.commit()
    return alert
