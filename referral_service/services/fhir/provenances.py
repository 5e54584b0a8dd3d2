"""Reading Provenance: one per referral event and one per handover event. Need-to-know and the access log are
get_referral's and get_handover's; one not visible is 404 as one that is not there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import User
from referral_service.domain.referral import ReferralEvent
from referral_service.errors import NotFound
from referral_service.fhir.provenance import handover_event_id, handover_event_provenance, referral_event_provenance
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.fhir.tasks import events_by_referral
from referral_service.services.handovers.tasks import get_handover
from referral_service.services.referrals.drafts import get_referral
from referral_service.services.views import ReferralView

PROVENANCE_NOT_FOUND = "No such Provenance, or it is not visible to you."


def _organisations_of(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    ids = list({u for u in user_ids if u})
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.organisation_id).where(col(User.id).in_(ids))).all())


def provenances_for_referrals(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """The events of referrals the caller has been shown, by referral, oldest first."""
    with req.uow:
        events = events_by_referral(req.uow.session, (v.referral.id for v in views))
    return [referral_event_provenance(e) for v in views for e in events.get(v.referral.id, [])]


def provenances_for_handovers(req: FhirRequest, handovers: list[Handover]) -> list[Resource]:
    """The steps of tasks the caller has been shown, by task, oldest first."""
    ids = [h.id for h in handovers]
    referral_of = {h.id: h.referral_id for h in handovers}
    with req.uow:
        session = req.uow.session
        steps = list(session.exec(select(HandoverEvent).where(col(HandoverEvent.handover_id).in_(ids))
                                  .order_by(col(HandoverEvent.at), col(HandoverEvent.id)))) if ids else []
        organisations = _organisations_of(session, (s.actor_id for s in steps))
    steps.sort(key=lambda s: ids.index(s.handover_id))  # stable: by task, each task's oldest first
    return [handover_event_provenance(s, referral_id=referral_of[s.handover_id],
                                      actor_organisation_id=organisations.get(s.actor_id or ""))
            for s in steps]


def _referral_event(req: FhirRequest, event_id: str) -> Resource:
    with req.uow:
        referral_id = req.uow.session.exec(select(ReferralEvent.referral_id)
                                           .where(ReferralEvent.id == event_id)).first()
    if referral_id is None:
        raise NotFound(PROVENANCE_NOT_FOUND)
    view = get_referral(req.uow, actor=req.actor, referral_id=referral_id)  # need-to-know; logs the read
    return next(p for p in provenances_for_referrals(req, [view]) if p["id"] == event_id)


def _handover_event(req: FhirRequest, provenance_id: str, event_id: str) -> Resource:
    with req.uow:
        handover_id = req.uow.session.exec(select(HandoverEvent.handover_id)
                                           .where(HandoverEvent.id == event_id)).first()
    if handover_id is None:
        raise NotFound(PROVENANCE_NOT_FOUND)
    view = get_handover(req.uow, actor=req.actor, handover_id=handover_id)  # need-to-know; logs the read
    return next(p for p in provenances_for_handovers(req, [view.handover]) if p["id"] == provenance_id)


@reads("Provenance")
def read_provenance(req: FhirRequest, provenance_id: str) -> dict[str, Any]:
    event_id = handover_event_id(provenance_id)
    try:
        if event_id is None:
            return _referral_event(req, provenance_id)
        return _handover_event(req, provenance_id, event_id)
    except NotFound:
        raise NotFound(PROVENANCE_NOT_FOUND) from None
