"""The handover (tilbakehenvisning) as a FHIR Task (`Task/{handover id}`, FHIR.md §6): the municipality's
follow-up of a child BUP handed back, beside the referral's Task (`partOf`), with its own deadlines.

What BUP wrote travels in `input` as the task holds it: the handover keeps only what the consent lets its owner
see (workflows/handover_rules.py, services/handovers/routing.py), as the REST task shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referral_service.domain.enums import HandoverOutcome, HandoverStatus
from referral_service.domain.handover import Handover
from referral_service.fhir.codes import code_system, coding, extension, local, reference
from referral_service.fhir.task_parts import (
    as_date,
    data,
    instant,
    meta,
    organisation,
    without_empty,
)

H = HandoverStatus
#: The handover's status -> `Task.status` (FHIR.md §6).
STATUSES: dict[str, str] = {
    H.OPEN: "requested",
    H.ACKNOWLEDGED: "accepted",
    H.ASSIGNED: "in-progress",
    H.FOLLOW_UP_PLANNED: "in-progress",
    H.CLOSED: "completed",
}
assert set(STATUSES) == set(HandoverStatus), "every handover status has its Task row"
#: A task closed because the family moved is not done: it goes on in the new home municipality's task (`output`
#: continued-by). So it reads `cancelled`, with our business status `transferred`, never `completed`.
TRANSFERRED = "transferred"
DISPLAYS = {H.OPEN: "Open", H.ACKNOWLEDGED: "Acknowledged", H.ASSIGNED: "Assigned",
            H.FOLLOW_UP_PLANNED: "Follow-up planned", H.CLOSED: "Closed",
            TRANSFERRED: "Transferred to the new home municipality"}
#: Statuses in which the first contact with the child is still to be planned (its deadline runs).
AWAITING_FIRST_CONTACT = (H.ACKNOWLEDGED, H.ASSIGNED)


@dataclass(frozen=True)
class HandoverFacts:
    """What the handover Task names beside the task row: its referral's child and clinic, and whether the child
    (12-16) asked that the guardians are not informed."""

    child_id: str
    clinic_id: str
    withhold_from_guardians: bool = False


def _transferred(handover: Handover) -> bool:
    return handover.status == H.CLOSED and handover.outcome_code == HandoverOutcome.TRANSFERRED


def business_code(handover: Handover) -> str:
    return TRANSFERRED if _transferred(handover) else str(handover.status)


def task_status(handover: Handover) -> str:
    return "cancelled" if _transferred(handover) else STATUSES[handover.status]


def running_deadline(handover: Handover) -> Any:
    """Acknowledge first; then plan the first contact."""
    if handover.status == H.OPEN:
        return handover.acknowledge_due
    if handover.status in AWAITING_FIRST_CONTACT:
        return handover.first_contact_due
    return None


def _inputs(handover: Handover) -> list[dict[str, Any]]:
    """The deadlines, why the child was handed back, and BUP's words to the owner."""
    content = handover.content
    reason_code = content.get("reason_code")
    return data([
        ("acknowledge-due", handover.acknowledge_due),
        ("first-contact-due", handover.first_contact_due),
        ("trigger", local("handover-trigger", str(handover.trigger))),
        ("rejection-reason", local("rejection-reason", reason_code) if reason_code else None),
        ("assessment-conversation", as_date(content.get("assessment_conversation_on"))),
        ("explanation", content.get("explanation")),
        ("municipal-advice", content.get("municipal_advice")),
        ("discharge-summary", content.get("summary")),
        ("follow-up-recommendations", content.get("follow_up_recommendations")),
        ("epikrise-sent", content.get("epikrise_sent")),
        ("withdrawal-reason", content.get("reason")),
    ])


def _outputs(handover: Handover) -> list[dict[str, Any]]:
    """The plan and the first contact, how the task ended, and the task that goes on after a move."""
    outcome = None
    if handover.outcome_code is not None:
        outcome = {**local("handover-outcome", str(handover.outcome_code)),
                   **({"text": handover.outcome} if handover.outcome else {})}
    return data([
        ("plan", handover.plan),
        ("first-contact", handover.first_contact_on),
        ("outcome", outcome),
        ("continued-by", reference("Task", handover.transferred_to_id) if handover.transferred_to_id else None),
    ])


def _assignee(handover: Handover) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = [{"url": extension("escalation-level"),
                                         "valueInteger": handover.escalation_level}]
    if handover.assignee_user_id:
        extensions.append({"url": extension("assignee"),
                           "valueReference": reference("PractitionerRole", handover.assignee_user_id)})
    return extensions


def handover_task(handover: Handover, facts: HandoverFacts) -> dict[str, Any]:
    """The handover's Task."""
    deadline = running_deadline(handover)
    status_code = business_code(handover)
    request = reference("ServiceRequest", handover.referral_id)
    return without_empty({
        "resourceType": "Task",
        "id": handover.id,
        "meta": meta(version=handover.version, updated_at=handover.updated_at),
        "extension": _assignee(handover),
        "basedOn": [request],
        "partOf": [reference("Task", handover.referral_id)],
        "status": task_status(handover),
        "businessStatus": {"coding": [coding(code_system("handover-status"), status_code, DISPLAYS[status_code])],
                           "text": DISPLAYS[status_code]},
        "intent": "order",
        "code": local("task-type", "municipal-handover", "Municipal follow-up of a child handed back by BUP"),
        "focus": request,
        "for": reference("Patient", facts.child_id),
        "executionPeriod": without_empty({
            "start": instant(handover.acknowledged_at) if handover.acknowledged_at else None,
            "end": instant(handover.closed_at) if handover.closed_at else None}),
        "authoredOn": instant(handover.created_at),
        "lastModified": instant(handover.updated_at),
        "requester": organisation(facts.clinic_id),
        "performerType": [{"text": handover.assigned_service}] if handover.assigned_service else None,
        "owner": organisation(handover.owner_org_id) if handover.owner_org_id else None,
        "note": [{"text": "The child has asked that the guardians are not informed."}]
        if facts.withhold_from_guardians else None,
        "restriction": {"period": {"end": deadline.isoformat()}} if deadline else None,
        "input": _inputs(handover),
        "output": _outputs(handover),
    })
