"""Alerts: stored once per recipient and key, each with an e-mail that leaves through the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.child import Child
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import User
from referral_service.domain.referral import Referral
from referral_service.errors import NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import visible_referrals
from referral_service.services.pagination import Page, paginate
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import masked_national_id


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


def children_in(uow: SqlUnitOfWork, *, actor: Actor, alerts: Iterable[Alert]) -> dict[str, str]:
    """Which child each alert is about, for the in-app inbox only (e-mails never name a child): the name and the
    masked number by referral id, for the referrals the reader may see; the reading is logged."""
    with uow:
        session = uow.session
        referral_ids = {a.referral_id for a in alerts if a.referral_id}
        handover_referrals = dict(session.exec(select(Handover.id, Handover.referral_id).where(
            Handover.id.in_({a.handover_id for a in alerts if a.handover_id and not a.referral_id}))).all())
        wanted = referral_ids | set(handover_referrals.values())
        referrals = list(session.exec(select(Referral).where(Referral.id.in_(wanted), visible_referrals(actor)))
                         ) if wanted else []
        children = {c.id: c for c in session.exec(select(Child).where(
            Child.id.in_({r.child_id for r in referrals})))} if referrals else {}
        if referrals:
            record_access(session, actor=actor, action="read_alerts", referrals=referrals)
        uow.commit()
    named = {r.id: f"{r.child_given_name} {r.child_family_name} ({masked_national_id(children[r.child_id].birth_date)})"
             for r in referrals if r.child_id in children}
    for handover_id, referral_id in handover_referrals.items():
        if referral_id in named:
            named[handover_id] = named[referral_id]
    return named
