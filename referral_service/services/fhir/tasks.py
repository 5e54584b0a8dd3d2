"""Reading Tasks: `Task/{referral id}` is the referral's workflow, `Task/{handover id}` the municipality's
follow-up. Need-to-know and the access log are the /api/v1 services' (get_referral, get_handover): a Task the caller
may not see is 404 with the same answer as an id that names nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import Consent, Referral, ReferralEvent
from referral_service.errors import NotFound
from referral_service.fhir.handover_task import HandoverFacts, handover_task
from referral_service.fhir.referral_task import referral_task
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.handovers.tasks import get_handover
from referral_service.services.referrals.drafts import get_referral
from referral_service.services.views import ReferralView

#: One answer for a Task that is not there and one the caller may not see.
TASK_NOT_FOUND = "No such Task, or it is not visible to you."


def events_by_referral(session: Session, referral_ids: Iterable[str]) -> dict[str, list[ReferralEvent]]:
    """The referrals' events, oldest first, in one query."""
    ids = list(set(referral_ids))
    found: dict[str, list[ReferralEvent]] = defaultdict(list)
    if ids:
        for event in session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(ids))
                                  .order_by(col(ReferralEvent.at), col(ReferralEvent.id))):
            found[event.referral_id].append(event)
    return found


def _facts(session: Session, handovers: list[Handover]) -> dict[str, HandoverFacts]:
    """Each task's child, clinic and the guardians' withholding, by task id, in two queries."""
    referral_ids = list({h.referral_id for h in handovers})
    if not referral_ids:
        return {}
    referrals = {r.id: r for r in session.exec(select(Referral).where(col(Referral.id).in_(referral_ids)))}
    withheld = set(session.exec(select(Consent.referral_id).where(
        col(Consent.referral_id).in_(referral_ids), col(Consent.superseded_at).is_(None),
        col(Consent.withhold_from_guardians).is_(True))))
    return {h.id: HandoverFacts(child_id=referrals[h.referral_id].child_id,
                                clinic_id=referrals[h.referral_id].clinic_id,
                                withhold_from_guardians=h.referral_id in withheld) for h in handovers}


def tasks_for_referrals(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """The referral Tasks of referrals the caller has been shown (their reads are logged by whoever found them)."""
    with req.uow:
        events = events_by_referral(req.uow.session, (v.referral.id for v in views))
    return [referral_task(v.referral, events.get(v.referral.id, [])) for v in views]


def tasks_for_handovers(req: FhirRequest, handovers: list[Handover]) -> list[Resource]:
    """The handover Tasks of tasks the caller has been shown (their reads are logged by whoever found them)."""
    with req.uow:
        facts = _facts(req.uow.session, handovers)
    return [handover_task(h, facts[h.id]) for h in handovers]


def _names_a_referral(req: FhirRequest, task_id: str) -> bool:
    """Whether the id is a referral's (else it can only be a handover's): asked before need-to-know, which then
    answers for the one table, so a handover's read is never logged as a refused look at a referral."""
    with req.uow:
        return req.uow.session.exec(select(Referral.id).where(Referral.id == task_id)).first() is not None


def referral_task_of(req: FhirRequest, referral_id: str) -> Resource:
    view = get_referral(req.uow, actor=req.actor, referral_id=referral_id)  # need-to-know; logs the read
    return tasks_for_referrals(req, [view])[0]


def handover_task_of(req: FhirRequest, handover_id: str) -> Resource:
    view = get_handover(req.uow, actor=req.actor, handover_id=handover_id)  # need-to-know; logs the read
    return tasks_for_handovers(req, [view.handover])[0]


@reads("Task")
def read_task(req: FhirRequest, task_id: str) -> dict[str, Any]:
    """The referral's Task or the handover's, by id; 404 alike for unknown and not visible."""
    try:
        if _names_a_referral(req, task_id):
            return referral_task_of(req, task_id)
        return handover_task_of(req, task_id)
    except NotFound:
        raise NotFound(TASK_NOT_FOUND) from None
