"""Subscription notifications, written in the same transaction as the Task change they tell of.

For each Task change (services/fhir/task_changes.py) and each active subscription whose filter it matches and
whose organisation may see the Task (the need-to-know rule, asked as the user who subscribed), one notification
row with the subscription's next event number, and one outbox row that carries its id to the delivering task.
A change is told to a subscription once: (subscription, change) is unique, and so is the outbox row's event id.

The cost does not grow with the subscriptions a change has nothing to do with: the filters are matched in SQL (the
index on (status, filter_kind, filter_value)), the need-to-know rule is asked once per matching subscription for
all the changes together, and its numbers are taken with one UPDATE ... RETURNING.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral
from referral_service.domain.subscription import FhirSubscription, SubscriptionNotification, SubscriptionStatus
from referral_service.request_context import current_request_id
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import visible_handovers
from referral_service.security.visibility import visible_referrals
from referral_service.services.fhir.task_changes import TaskChange, take_task_changes

if TYPE_CHECKING:
    from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

FHIR_NOTIFICATION_TOPIC = "fhir.notification"
_NOTIFICATIONS = uuid.UUID("5d0f1b7e-3c2a-4f4e-9a61-6a1f0c2b9e47")  # the namespace of the notifications' ids


def notification_id(subscription_id: str, change_id: str) -> str:
    """The same for the same (subscription, change): the notification's key and its outbox row's event id, so a
    change told again could never make a second one (the insert would fail, not send twice)."""
    return str(uuid.uuid5(_NOTIFICATIONS, f"{subscription_id}:{change_id}"))


def _owners(session: Session, changes: list[TaskChange]) -> dict[str, str]:
    """Task.owner of each changed Task, by Task id: the clinic for the referral Task, the owning organisation for
    the handover Task (FHIR.md). The changed rows are usually in the session already (no query); the others are
    read in at most two queries, whatever the number of changes."""
    owners: dict[str, str] = {}
    missing_referrals: set[str] = set()
    missing_handovers: set[str] = set()
    for change in changes:
        kind, wanted, missing = ((Handover, change.handover_id, missing_handovers) if change.handover_id is not None
                                 else (Referral, change.task_id, missing_referrals))
        held = session.identity_map.get(identity_key(kind, wanted))
        if held is None:
            missing.add(wanted)
        elif (owner := held.owner_org_id if kind is Handover else held.clinic_id) is not None:
            owners[change.task_id] = owner
    if missing_referrals:
        owners.update(session.exec(select(Referral.id, Referral.clinic_id)
                                   .where(col(Referral.id).in_(missing_referrals))).all())
    if missing_handovers:
        owners.update((i, o) for i, o in session.exec(select(Handover.id, Handover.owner_org_id)
                                                      .where(col(Handover.id).in_(missing_handovers))).all()
                      if o is not None)
    return owners


def _matching(session: Session, changes: list[TaskChange], owners: dict[str, str]) -> list[FhirSubscription]:
    """The active subscriptions whose filter one of the changes matches, found in SQL; in id order, so two
    transactions that number the same subscriptions take their row locks in one order."""
    task_ids = {c.task_id for c in changes}
    wanted = [col(FhirSubscription.filter_kind).is_(None),
              and_(col(FhirSubscription.filter_kind) == "id", col(FhirSubscription.filter_value).in_(task_ids))]
    if owners:
        wanted.append(and_(col(FhirSubscription.filter_kind) == "owner",
                           col(FhirSubscription.filter_value).in_(set(owners.values()))))
    return list(session.exec(select(FhirSubscription).where(
        FhirSubscription.status == SubscriptionStatus.ACTIVE, or_(*wanted)).order_by(FhirSubscription.id)))


def _matches(subscription: FhirSubscription, change: TaskChange, owners: dict[str, str]) -> bool:
    if subscription.filter_kind == "id":
        return change.task_id == subscription.filter_value
    if subscription.filter_kind == "owner":
        return owners.get(change.task_id) == subscription.filter_value
    return True


def _subscribers(session: Session, subscriptions: list[FhirSubscription]) -> dict[str, Actor]:
    """The users who subscribed, as the need-to-know rule sees them, by subscription id; a subscription whose user
    left (or moved organisation) is missing. Two queries for all of them."""
    from referral_service.services.admin.auth import actor_for_user  # the admin services import the unit of work

    users = {u.id: u for u in session.exec(select(User).where(
        col(User.id).in_({s.created_by_user_id for s in subscriptions})))}
    organisations = {o.id: o for o in session.exec(select(Organisation).where(
        col(Organisation.id).in_({s.organisation_id for s in subscriptions})))}
    actors = {}
    for subscription in subscriptions:
        user, organisation = users.get(subscription.created_by_user_id), organisations.get(subscription.organisation_id)
        if user is not None and organisation is not None and user.active and user.organisation_id == organisation.id:
            actors[subscription.id] = actor_for_user(user, organisation)
    return actors


def _visible(session: Session, actor: Actor, changes: list[TaskChange]) -> set[str]:
    """The changed Tasks the subscriber would find at GET /fhir/Task/{id}, now, after the changes: one query per
    kind of Task, for all the changes together."""
    referral_ids = {c.task_id for c in changes if c.handover_id is None}
    handover_ids = {c.handover_id for c in changes if c.handover_id is not None}
    seen: set[str] = set()
    if referral_ids:
        seen.update(session.exec(select(Referral.id).where(col(Referral.id).in_(referral_ids),
                                                           visible_referrals(actor))).all())
    if handover_ids:
        seen.update(session.exec(select(Handover.id).where(col(Handover.id).in_(handover_ids),
                                                           visible_handovers(actor))).all())
    return seen


def _take_event_numbers(session: Session, subscription: FhirSubscription, count: int) -> range:
    """The subscription's next `count` event numbers, in one UPDATE ... RETURNING; the UPDATE locks its row until
    the transaction ends, so two transactions never take the same number."""
    last = session.execute(update(FhirSubscription).where(col(FhirSubscription.id) == subscription.id)
                           .values(events_count=FhirSubscription.events_count + count)
                           .returning(FhirSubscription.events_count)
                           .execution_options(synchronize_session=False)).scalar_one()
    return range(int(last) - count + 1, int(last) + 1)


def write_notifications(uow: SqlUnitOfWork) -> int:
    """The notifications for the Task changes of this transaction; returns how many were written."""
    from referral_service.services.fhir.subscription_errors import put_in_error  # it imports the alerts

    session = uow.session
    session.flush()  # the changes still only added are gathered as they are flushed
    changes = sorted(take_task_changes(session), key=lambda c: (c.at, c.change_id))
    if not changes:
        return 0
    owners = _owners(session, changes)
    subscriptions = _matching(session, changes, owners)
    if not subscriptions:
        return 0
    actors = _subscribers(session, subscriptions)
    written = 0
    for subscription in subscriptions:
        actor = actors.get(subscription.id)
        if actor is None:
            # Found at the time of the change (the service's clock, which the unit of work does not carry).
            put_in_error(uow, Clock(source=lambda: changes[-1].at, timezone=UTC), subscription=subscription,
                         reason="The user who created the subscription no longer uses the service.")
            continue
        matched = [c for c in changes if _matches(subscription, c, owners)]
        visible = _visible(session, actor, matched) if matched else set()
        told = [c for c in matched if c.task_id in visible]
        if not told:
            continue
        for change, number in zip(told, _take_event_numbers(session, subscription, len(told)), strict=True):
            notification = SubscriptionNotification(
                id=notification_id(subscription.id, change.change_id), subscription_id=subscription.id,
                change_id=change.change_id, task_id=change.task_id, event_number=number, occurred_at=change.at)
            session.add(notification)
            session.add(OutboxMessage(topic=FHIR_NOTIFICATION_TOPIC, event_id=notification.id,
                                      created_at=change.at, payload={"notification_id": notification.id},
                                      request_id=current_request_id()))
            written += 1
    if written:
        log.info("subscription notifications written", extra={"notifications": written, "changes": len(changes)})
    return written
