"""FHIR Subscriptions: an organisation asks to hear of Task changes at its endpoint (create), sees its
subscription's status and error (read), and turns it off (delete). Only the owning organisation sees one: any other
caller gets 404, as for an unknown id. What it hears is decided in services/fhir/notifications.py."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from referral_service.domain.subscription import FhirSubscription, SubscriptionStatus
from referral_service.errors import Conflict, InvalidData, NotFound
from referral_service.fhir.subscription import NOT_PUBLIC, parse_subscription, subscription_resource
from referral_service.services.admin import events
from referral_service.services.admin.operations import shown_endpoint
from referral_service.services.fhir.registry import OTHER_INTERACTIONS, FhirRequest, Resource, reads
from referral_service.services.fhir.subscription_delivery import NotificationSettings, endpoint_addresses_refused

log = logging.getLogger(__name__)

NOT_FOUND = "No such Subscription."

OTHER_INTERACTIONS["Subscription"] = ("create", "update", "delete")


def _resource(subscription: FhirSubscription) -> Resource:
    return subscription_resource(subscription_id=subscription.id, status=str(subscription.status),
                                 endpoint=subscription.endpoint, filter_kind=subscription.filter_kind,
                                 filter_value=subscription.filter_value, reason=subscription.reason,
                                 error=subscription.error, version=subscription.version,
                                 updated_at=subscription.updated_at)


def _logged(subscription: FhirSubscription) -> dict[str, Any]:
    """What the administration log keeps of a subscription (its endpoint without a query string)."""
    return {"organisation_id": subscription.organisation_id, "endpoint": shown_endpoint(subscription.endpoint),
            "filter_kind": subscription.filter_kind, "filter_value": subscription.filter_value,
            "status": str(subscription.status)}


def _owned(req: FhirRequest, subscription_id: str) -> FhirSubscription:
    subscription = req.uow.session.exec(select(FhirSubscription).where(
        FhirSubscription.id == subscription_id,
        FhirSubscription.organisation_id == req.actor.organisation_id)).first()
    if subscription is None:
        raise NotFound(NOT_FOUND)
    return subscription


def create_subscription(req: FhirRequest, body: Any) -> Resource:
    """A new subscription of the caller's organisation, active at once (no handshake is sent)."""
    settings = NotificationSettings.from_settings(req.deps.config)
    asked = parse_subscription(body, allow_http=settings.allow_http)
    if settings.public_only:  # resolved before any transaction: a slow resolver holds no lock
        refused = endpoint_addresses_refused(asked.endpoint)
        if refused is not None:
            log.info("subscription endpoint refused", extra={"reason": refused})
            raise InvalidData("The Subscription cannot be served.", errors={"channel.endpoint": [NOT_PUBLIC]})
    now = req.deps.clock.now()
    with req.uow:
        subscription = FhirSubscription(organisation_id=req.actor.organisation_id,
                                        created_by_user_id=req.actor.user_id, endpoint=asked.endpoint,
                                        filter_kind=asked.filter_kind, filter_value=asked.filter_value,
                                        reason=asked.reason, status=SubscriptionStatus.ACTIVE,
                                        created_at=now, updated_at=now)
        req.uow.add(subscription)
        req.uow.session.flush()
        events.record(req.uow.session, clock=req.deps.clock, actor=req.actor, action=events.SUBSCRIPTION_CREATED,
                      target_kind="fhir_subscription", target_id=subscription.id,
                      after=_logged(subscription))
        req.uow.commit()
        return _resource(subscription)


@reads("Subscription")
def read_subscription(req: FhirRequest, subscription_id: str) -> Resource:
    """Its status, its error once a notification was given up, and how many events it was told of."""
    with req.uow:
        return _resource(_owned(req, subscription_id))


def reactivate_subscription(req: FhirRequest, subscription_id: str, body: Any) -> Resource:
    """PUT by its owner with status `active` (or `requested`): a subscription in `error` is active again, its
    error cleared; the changes made while it was in error are not told. Only the status may change (another
    endpoint or filter is a new subscription); one turned off stays off (409)."""
    settings = NotificationSettings.from_settings(req.deps.config)
    asked = parse_subscription(body, allow_http=settings.allow_http)
    with req.uow:
        subscription = _owned(req, subscription_id)
        if body.get("id") not in (None, subscription_id):
            raise InvalidData("The resource's id is not the one in the address.", errors={"id": ["Not this id."]})
        if (asked.endpoint, asked.filter_kind, asked.filter_value) != (
                subscription.endpoint, subscription.filter_kind, subscription.filter_value):
            raise InvalidData("Only the status of a subscription may change.",
                              errors={"channel.endpoint": ["Create a new subscription for another endpoint or "
                                                           "filter."]})
        if subscription.status == SubscriptionStatus.OFF:
            raise Conflict("A subscription that was turned off stays off; create a new one.")
        before = _logged(subscription)
        # One conditional UPDATE: from `error` only, so a delivery or a deletion meanwhile is never overwritten.
        moved = req.uow.session.execute(update(FhirSubscription).where(
            col(FhirSubscription.id) == subscription_id, col(FhirSubscription.status) == SubscriptionStatus.ERROR)
            .values(status=SubscriptionStatus.ACTIVE, error=None, updated_at=req.deps.clock.now(),
                    version=FhirSubscription.version + 1).execution_options(synchronize_session=False)).rowcount
        if moved:
            events.record(req.uow.session, clock=req.deps.clock, actor=req.actor,
                          action=events.SUBSCRIPTION_REACTIVATED, target_kind="fhir_subscription",
                          target_id=subscription_id, before=before, after={**before, "status": "active"})
        req.uow.commit()
    with req.uow:
        req.uow.session.refresh(subscription)  # as the UPDATE left it
        return _resource(subscription)


def delete_subscription(req: FhirRequest, subscription_id: str) -> None:
    """Off: nothing more is written for it, and what still waits is not sent. The row stays, so its history and
    its notifications remain for the administrators."""
    with req.uow:
        subscription = _owned(req, subscription_id)
        before = _logged(subscription)
        # One conditional UPDATE: a delivery giving up at the same moment (to `error`) never overwrites it.
        turned_off = req.uow.session.execute(update(FhirSubscription).where(
            col(FhirSubscription.id) == subscription_id, col(FhirSubscription.status) != SubscriptionStatus.OFF)
            .values(status=SubscriptionStatus.OFF, updated_at=req.deps.clock.now(),
                    version=FhirSubscription.version + 1).execution_options(synchronize_session=False)).rowcount
        if turned_off:
            events.record(req.uow.session, clock=req.deps.clock, actor=req.actor,
                          action=events.SUBSCRIPTION_TURNED_OFF, target_kind="fhir_subscription",
                          target_id=subscription_id, before=before, after={**before, "status": "off"})
        req.uow.commit()


def subscriptions_for(req: FhirRequest, subscriptions: list[FhirSubscription]) -> list[dict[str, Any]]:
    """The resources of many subscriptions already known to be the caller's (for a search)."""
    return [_resource(s) for s in subscriptions if s.organisation_id == req.actor.organisation_id]
