"""Subscription notifications, written in the same transaction as the Task change they tell of.

For each Task change (services/fhir/task_changes.py) and each active subscription whose filter it matches and
whose organisation may see the Task (the need-to-know rule, asked as the user who subscribed), one notification
row with the subscription's next event number, and one outbox row that carries its id to the delivering task.
A change is told to a subscription once: (subscription, change) is unique, and so is the outbox row's event id.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

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

log = logging.getLogger(__name__)

FHIR_NOTIFICATION_TOPIC = "fhir.notification"
_NOTIFICATIONS = uuid.UUID("5d0f1b7e-3c2a-4f4e-9a61-6a1f0c2b9e47")  # the namespace of the notifications' ids


def notification_id(subscription_id: str, change_id: str) -> str:
    """The same for the same (subscription, change): the notification's key and its outbox row's event id, so a
    change told again could never make a second one (the insert would fail, not send twice)."""
    return str(uuid.uuid5(_NOTIFICATIONS, f"{subscription_id}:{change_id}"))


def _subscriber(session: Session, subscription: FhirSubscription) -> Actor | None:
    """The user who subscribed, as the need-to-know rule sees them; None once they left (nothing is told)."""
    from referral_service.services.admin.auth import actor_for_user  # the admin services import the unit of work

    user = session.get(User, subscription.created_by_user_id)
    organisation = session.get(Organisation, subscription.organisation_id)
    if user is None or organisation is None or not user.active or user.organisation_id != organisation.id:
        return None
    return actor_for_user(user, organisation)


def _owner_of(session: Session, change: TaskChange) -> str | None:
    """Task.owner: the clinic for the referral Task, the owning organisation for the handover Task (FHIR.md)."""
    if change.handover_id is None:
        referral = session.get(Referral, change.task_id)
        return referral.clinic_id if referral else None
    handover = session.get(Handover, change.handover_id)
    return handover.owner_org_id if handover else None


def _matches(session: Session, subscription: FhirSubscription, change: TaskChange) -> bool:
    if subscription.filter_kind == "id":
        return change.task_id == subscription.filter_value
    if subscription.filter_kind == "owner":
        return _owner_of(session, change) == subscription.filter_value
    return True


def _may_see(session: Session, actor: Actor, change: TaskChange) -> bool:
    """The Task as the subscriber would find it at GET /fhir/Task/{id}: visible now, after the change."""
    if change.handover_id is None:
        query = select(Referral.id).where(Referral.id == change.task_id, visible_referrals(actor))
    else:
        query = select(Handover.id).where(Handover.id == change.handover_id, visible_handovers(actor))
    return session.exec(query).first() is not None


def _next_event_number(session: Session, subscription: FhirSubscription) -> int:
    """The subscription's next event number; the UPDATE locks its row until the transaction ends, so two
    transactions never take the same number."""
    session.execute(update(FhirSubscription).where(col(FhirSubscription.id) == subscription.id)
                    .values(events_count=FhirSubscription.events_count + 1)
                    .execution_options(synchronize_session=False))
    number = session.exec(select(FhirSubscription.events_count)
                          .where(FhirSubscription.id == subscription.id)).one()
    return int(number)


def write_notifications(session: Session) -> int:
    """The notifications for the Task changes of this transaction; returns how many were written."""
    session.flush()  # the changes still only added are gathered as they are flushed
    changes = take_task_changes(session)
    if not changes:
        return 0
    # In id order, so two transactions that number the same subscriptions take their row locks in one order.
    subscriptions = session.exec(select(FhirSubscription).where(
        FhirSubscription.status == SubscriptionStatus.ACTIVE).order_by(FhirSubscription.id)).all()
    written = 0
    for subscription in subscriptions:
        actor = _subscriber(session, subscription)
        if actor is None:
            continue
        for change in sorted(changes, key=lambda c: (c.at, c.change_id)):
            if not (_matches(session, subscription, change) and _may_see(session, actor, change)):
                continue
            notification = SubscriptionNotification(
                id=notification_id(subscription.id, change.change_id), subscription_id=subscription.id,
                change_id=change.change_id, task_id=change.task_id,
                event_number=_next_event_number(session, subscription), occurred_at=change.at)
            session.add(notification)
            session.add(OutboxMessage(topic=FHIR_NOTIFICATION_TOPIC, event_id=notification.id,
                                      created_at=change.at, payload={"notification_id": notification.id},
                                      request_id=current_request_id()))
            written += 1
    if written:
        log.info("subscription notifications written", extra={"notifications": written, "changes": len(changes)})
    return written
