"""A subscription that can no longer be served goes to `error`, with the reason, and people are told.

Two things put one there: its notification was given up (services/fhir/subscription_delivery.py), or the user who
created it, as whom the need-to-know rule is asked, was deactivated (services/admin/staff.py) or is otherwise
gone (services/fhir/notifications.py). Nothing is written for it afterwards, so the administrators and the owning
organisation's leads are alerted, once per time it goes to `error`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col, select

from referral_service.clock import Clock
from referral_service.domain.organisation import Organisation
from referral_service.domain.subscription import FhirSubscription, SubscriptionStatus
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators, users_with_role
from referral_service.workflows.family_nudges import lead_role

if TYPE_CHECKING:  # the unit of work writes the notifications, which put subscriptions in error
    from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

#: The alert's kind (notify/alert_texts.py words it).
SUBSCRIPTION_ERROR = "fhir_subscription_error"
#: Said after every reason: what the subscriber and the administrators must know.
NOTHING_MORE = "No later Task changes are written for this subscription until it is set active again."


def put_in_error(uow: SqlUnitOfWork, clock: Clock, *, subscription: FhirSubscription, reason: str) -> bool:
    """Put an active subscription in `error` with the reason and alert, in the caller's transaction. One
    conditional UPDATE: a subscription turned off or already in error meanwhile stays as it is (of two reasons
    the first is kept), and only the call that moved it alerts. Returns whether it moved."""
    now = clock.now()
    moved = uow.session.execute(
        update(FhirSubscription)
        .where(col(FhirSubscription.id) == subscription.id,
               col(FhirSubscription.status) == SubscriptionStatus.ACTIVE)
        .values(status=SubscriptionStatus.ERROR, updated_at=now, version=FhirSubscription.version + 1,
                error=f"{reason} {NOTHING_MORE}"[:500])
        .returning(FhirSubscription.version)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if moved is None:
        return False
    organisation = uow.session.get(Organisation, subscription.organisation_id)
    leads = users_with_role(uow.session, organisation_id=subscription.organisation_id,
                            role=lead_role(organisation.kind)) if organisation else []
    people = {user.id: user for user in [*administrators(uow.session), *leads]}
    # Once per time it goes to error: the version it reached tells this time from a later one after reactivation.
    raise_alerts(uow, clock, users=sorted(people.values(), key=lambda u: u.id), kind=SUBSCRIPTION_ERROR,
                 dedupe_key=f"subscription:{subscription.id}:error:{moved}",
                 data={"subscription_id": subscription.id})
    log.warning("subscription put in error", extra={"subscription_id": subscription.id, "reason": reason})
    return True


def put_in_error_for_user(uow: SqlUnitOfWork, clock: Clock, *, user_id: str, reason: str) -> int:
    """Every active subscription the user created goes to `error` (the index on created_by_user_id)."""
    subscriptions = uow.session.exec(select(FhirSubscription).where(
        FhirSubscription.created_by_user_id == user_id, FhirSubscription.status == SubscriptionStatus.ACTIVE)
        .order_by(FhirSubscription.id)).all()
    return sum(put_in_error(uow, clock, subscription=s, reason=reason) for s in subscriptions)
