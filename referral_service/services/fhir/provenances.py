"""Reading Provenance: one per referral event, per handover event and per deadline mark. Need-to-know and the
access log are get_referral's and get_handover's; one not visible is 404 as one that is not there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent
from referral_service.domain.organisation import User
from referral_service.domain.referral import ReferralEvent
from referral_service.errors import NotFound
from referral_service.fhir.provenance import (
    handover_event_provenance,
    mark_provenance,
    named_by,
    referral_event_provenance,
)
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


def _referral_marks(session: Session, referral_ids: list[str]) -> list[DeadlineMark]:
    """The marks about the referrals themselves (a handover's marks go with the handover)."""
    return list(session.exec(select(DeadlineMark).where(col(DeadlineMark.referral_id).in_(referral_ids),
                                                        col(DeadlineMark.handover_id).is_(None))
                             .order_by(col(DeadlineMark.at), col(DeadlineMark.id)))) if referral_ids else []


def provenances_for_referrals(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """The events and deadline marks of referrals the caller has been shown, by referral, oldest first."""
    ids = [v.referral.id for v in views]
    with req.uow:
        events = events_by_referral(req.uow.session, ids)
        marks = _referral_marks(req.uow.session, ids)
    found: list[Resource] = []
    for referral_id in ids:
        found += [referral_event_provenance(e) for e in events.get(referral_id, [])]
        found += [mark_provenance(m, referral_id=referral_id) for m in marks if m.referral_id == referral_id]
    return found


def provenances_for_handovers(req: FhirRequest, handovers: list[Handover]) -> list[Resource]:
    """The steps and escalations of tasks the caller has been shown, by task, oldest first."""
    ids = [h.id for h in handovers]
    if not ids:
        return []
    referral_of = {h.id: h.referral_id for h in handovers}
    with req.uow:
        session = req.uow.session
        steps = list(session.exec(select(HandoverEvent).where(col(HandoverEvent.handover_id).in_(ids))
                                  .order_by(col(HandoverEvent.at), col(HandoverEvent.id))))
        marks = list(session.exec(select(DeadlineMark).where(col(DeadlineMark.handover_id).in_(ids))
                                  .order_by(col(DeadlineMark.at), col(DeadlineMark.id))))
        organisations = _organisations_of(session, (s.actor_id for s in steps))
    found: list[Resource] = []
    for handover_id in ids:
        found += [handover_event_provenance(s, referral_id=referral_of[handover_id],
                                            actor_organisation_id=organisations.get(s.actor_id or ""))
                  for s in steps if s.handover_id == handover_id]
        found += [mark_provenance(m, referral_id=referral_of[handover_id]) for m in marks
                  if m.handover_id == handover_id]
    return found


def _belongs_to(session: Session, table: str, row_id: str) -> tuple[str, str | None]:
    """Whose the row is: ("handover", task id) or ("referral", referral id); the id None when there is no row."""
    if table == "handover":
        return "handover", session.exec(select(HandoverEvent.handover_id).where(HandoverEvent.id == row_id)).first()
    if table == "mark":
        mark = session.get(DeadlineMark, row_id)
        if mark is not None and mark.handover_id:
            return "handover", mark.handover_id
        return "referral", mark.referral_id if mark else None
    return "referral", session.exec(select(ReferralEvent.referral_id).where(ReferralEvent.id == row_id)).first()


@reads("Provenance")
def read_provenance(req: FhirRequest, provenance_id: str) -> dict[str, Any]:
    """The Provenance of a referral event, a handover step or a deadline mark, seen through its referral or task."""
    with req.uow:
        owner, owner_id = _belongs_to(req.uow.session, *named_by(provenance_id))
    try:
        if owner_id is None:
            raise NotFound(PROVENANCE_NOT_FOUND)
        if owner == "handover":
            view = get_handover(req.uow, actor=req.actor, handover_id=owner_id)  # need-to-know; logs the read
            found = provenances_for_handovers(req, [view.handover])
        else:
            referral = get_referral(req.uow, actor=req.actor, referral_id=owner_id)  # need-to-know; logs the read
            found = provenances_for_referrals(req, [referral])
    except NotFound:
        raise NotFound(PROVENANCE_NOT_FOUND) from None
    return next(p for p in found if p["id"] == provenance_id)
