"""The inbox grouped by task: a page's alerts about one handover (or one referral that has none) together, under
the child they are about, with the group's unread count; a whole group can be marked read at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.child import Child
from referral_service.domain.enums import HandoverStatus
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.errors import NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import visible_handovers
from referral_service.security.visibility import visible_referrals
from referral_service.services.pagination import COUNT_CAP, count_rows
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import masked_national_id
from referral_service.workflows.referral_lifecycle import OPEN_STATUSES as OPEN_REFERRAL_STATUSES

#: The group of the alerts about no task (a failed e-mail, a municipality that is not connected).
OTHER = "other"


def group_key(*, handover_id: str | None, referral_id: str | None) -> str:
    """Alerts about a handover go together; alerts about a referral with no handover named, by the referral."""
    if handover_id:
        return f"handover:{handover_id}"
    if referral_id:
        return f"referral:{referral_id}"
    return OTHER


@dataclass
class AlertGroup:
    key: str
    handover_id: str | None = None
    referral_id: str | None = None
    #: The child's name and masked number, when the reader may see the referral; None otherwise.
    child: str | None = None
    #: The reader may open the task (the handover, or the referral): the group links to it.
    may_open: bool = False
    #: The task is done: the handover is closed, or the referral has ended.
    done: bool = False
    #: Newest first.
    alerts: list[Alert] = field(default_factory=list)
    #: All the reader's unread alerts of the group, also those beyond this page (counted up to a cap: `unread_capped`).
    unread: int = 0
    unread_capped: bool = False


def group_alerts(uow: SqlUnitOfWork, *, actor: Actor, alerts: Sequence[Alert]) -> list[AlertGroup]:
    """The page's alerts by task, in the order the page first reaches each group (so groups with unread alerts
    come first); each named by its child where the reader may see the referral, and that reading is logged.

    A few queries for the whole page, each by primary key or by the reader's unread alerts: never one per group."""
    groups: dict[str, AlertGroup] = {}
    for alert in alerts:
        key = group_key(handover_id=alert.handover_id, referral_id=alert.referral_id)
        group = groups.setdefault(key, AlertGroup(key=key, handover_id=alert.handover_id,
                                                  referral_id=None if alert.handover_id else alert.referral_id))
        group.alerts.append(alert)
    for group in groups.values():
        group.alerts.sort(key=lambda a: (a.created_at, a.id), reverse=True)
    with uow:
        _describe(uow.session, actor=actor, groups=list(groups.values()))
        uow.commit()
    return list(groups.values())


def _describe(session: Session, *, actor: Actor, groups: list[AlertGroup]) -> None:
    handover_ids = {g.handover_id for g in groups if g.handover_id}
    tasks = {h.id: h for h in session.exec(select(Handover).where(col(Handover.id).in_(handover_ids)))
             } if handover_ids else {}
    openable = set(session.exec(select(Handover.id).where(col(Handover.id).in_(handover_ids),
                                                          visible_handovers(actor)))) if handover_ids else set()
    referral_ids = {g.referral_id for g in groups if g.referral_id} | {h.referral_id for h in tasks.values()}
    referrals = {r.id: r for r in session.exec(select(Referral).where(col(Referral.id).in_(referral_ids),
                                                                      visible_referrals(actor)))
                 } if referral_ids else {}
    children = {c.id: c for c in session.exec(select(Child).where(
        col(Child.id).in_({r.child_id for r in referrals.values()})))} if referrals else {}
    shown = []
    for group in groups:
        task = tasks.get(group.handover_id) if group.handover_id else None
        referral = referrals.get(task.referral_id if task else group.referral_id or "")
        if group.handover_id:
            group.may_open = group.handover_id in openable
            group.done = task is not None and task.status == HandoverStatus.CLOSED
        elif referral is not None:
            group.may_open = True
            group.done = referral.status not in OPEN_REFERRAL_STATUSES
        if referral is not None and referral.child_id in children:
            group.child = (f"{referral.child_given_name} {referral.child_family_name} "
                           f"({masked_national_id(children[referral.child_id].birth_date)})")
            shown.append(referral)
    if shown:
        record_access(session, actor=actor, action="read_alerts", referrals={r.id: r for r in shown}.values())
    _count_unread(session, actor=actor, groups=groups)


def _count_unread(session: Session, *, actor: Actor, groups: list[AlertGroup]) -> None:
    """The reader's unread alerts of the page's groups: one grouped count for the tasks (through the index on the
    alert's task), one for the referrals (through the index on its referral), and a bounded count of the rest."""
    by_key = {g.key: g for g in groups}
    mine_unread = and_(col(Alert.user_id) == actor.user_id, col(Alert.read_at).is_(None))
    handover_ids = [g.handover_id for g in groups if g.handover_id]
    referral_ids = [g.referral_id for g in groups if g.referral_id]
    counts: list[tuple[str, int]] = []
    if handover_ids:
        counts += [(f"handover:{task}", n) for task, n in session.exec(
            select(Alert.handover_id, func.count()).where(mine_unread, col(Alert.handover_id).in_(handover_ids))
            .group_by(col(Alert.handover_id))).all()]
    if referral_ids:
        counts += [(f"referral:{referral}", n) for referral, n in session.exec(
            select(Alert.referral_id, func.count()).where(mine_unread, col(Alert.referral_id).in_(referral_ids),
                                                          col(Alert.handover_id).is_(None))
            .group_by(col(Alert.referral_id))).all()]
    for key, count in counts:
        by_key[key].unread = count
    if OTHER in by_key:
        by_key[OTHER].unread, by_key[OTHER].unread_capped = count_rows(session, Alert, and_(
            mine_unread, col(Alert.handover_id).is_(None), col(Alert.referral_id).is_(None)), cap=COUNT_CAP)


def _in_group(key: str) -> ColumnElement[bool]:
    """The alerts of a group, from its key; 404 for a key that names no group."""
    kind, _, task_id = key.partition(":")
    if kind == "handover" and task_id:
        return col(Alert.handover_id) == task_id
    if kind == "referral" and task_id:
        return and_(col(Alert.handover_id).is_(None), col(Alert.referral_id) == task_id)
    if key == OTHER:
        return and_(col(Alert.handover_id).is_(None), col(Alert.referral_id).is_(None))
    raise NotFound("No such group of alerts.")


def mark_group_read(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, key: str) -> int:
    """Every unread alert of the reader's in the group is read now; returns how many. Only the reader's own."""
    where = _in_group(key)
    with uow:
        marked = uow.session.execute(
            update(Alert).where(col(Alert.user_id) == actor.user_id, col(Alert.read_at).is_(None), where)
            .values(read_at=clock.now()).execution_options(synchronize_session=False)).rowcount
        uow.commit()
    return marked


__all__ = ["OTHER", "AlertGroup", "group_alerts", "group_key", "mark_group_read"]
