"""Reading Communications: BUP's questions and the referrer's answers, each a referral event. Need-to-know and the
access log are get_referral's; one not visible is 404 as one that is not there."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from referral_service.domain.referral import ReferralEvent
from referral_service.errors import NotFound
from referral_service.fhir.communication import KINDS, communications
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.fhir.tasks import events_by_referral
from referral_service.services.referrals.drafts import get_referral
from referral_service.services.views import ReferralView

COMMUNICATION_NOT_FOUND = "No such Communication, or it is not visible to you."


def communications_for(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """The questions and answers of referrals the caller has been shown, by referral, oldest first."""
    with req.uow:
        events = events_by_referral(req.uow.session, (v.referral.id for v in views))
    return [message for v in views for message in communications(v.referral, events.get(v.referral.id, []))]


@reads("Communication")
def read_communication(req: FhirRequest, communication_id: str) -> dict[str, Any]:
    with req.uow:
        referral_id = req.uow.session.exec(select(ReferralEvent.referral_id).where(
            ReferralEvent.id == communication_id, col(ReferralEvent.action).in_(list(KINDS)))).first()
    try:
        if referral_id is None:
            raise NotFound(COMMUNICATION_NOT_FOUND)
        view = get_referral(req.uow, actor=req.actor, referral_id=referral_id)  # need-to-know; logs the read
    except NotFound:
        raise NotFound(COMMUNICATION_NOT_FOUND) from None
    return next(c for c in communications_for(req, [view]) if c["id"] == communication_id)
