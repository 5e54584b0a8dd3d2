"""BUP's questions and the referrer's answers as FHIR Communications (`Communication/{referral event id}`,
FHIR.md §8): one per information request and one per supplement, the answer `inResponseTo` the question."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from referral_service.domain.enums import ReferralAction
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.codes import local, reference
from referral_service.fhir.task_parts import instant, organisation, practitioner_role, without_empty

A = ReferralAction
#: The events that are messages: their `communication-kind` and the field of their data that holds the words.
KINDS: dict[str, tuple[str, str]] = {
    A.REQUEST_INFORMATION: ("information-request", "questions"),
    A.SUPPLEMENT: ("information-supplement", "text"),
}


def is_message(event: ReferralEvent) -> bool:
    return event.action in KINDS


def answered(events: Iterable[ReferralEvent]) -> dict[str, str]:
    """Supplement event id -> the id of the question it answers: the latest request for information before it."""
    pairs: dict[str, str] = {}
    question: str | None = None
    for event in events:  # oldest first
        if event.action == A.REQUEST_INFORMATION:
            question = event.id
        elif event.action == A.SUPPLEMENT and question is not None:
            pairs[event.id] = question
    return pairs


def communication(event: ReferralEvent, referral: Referral, *, in_response_to: str | None = None) -> dict[str, Any]:
    """One question from BUP (to the referring organisation) or one answer (to the clinic)."""
    kind, field = KINDS[event.action]
    recipient = referral.referrer_org_id if event.action == A.REQUEST_INFORMATION else referral.clinic_id
    return without_empty({
        "resourceType": "Communication",
        "id": event.id,
        "basedOn": [reference("ServiceRequest", referral.id)],
        "partOf": [reference("Task", referral.id)],
        "inResponseTo": [reference("Communication", in_response_to)] if in_response_to else None,
        "status": "completed",
        "category": [local("communication-kind", kind)],
        "subject": reference("Patient", referral.child_id),
        "sent": instant(event.at),
        "recipient": [organisation(recipient)],
        "sender": practitioner_role(event.actor_id),
        "payload": [{"contentString": str(event.data.get(field) or "")}] if event.data.get(field) else None,
    })


def communications(referral: Referral, events: list[ReferralEvent]) -> list[dict[str, Any]]:
    """The referral's questions and answers, oldest first."""
    replies = answered(events)
    return [communication(e, referral, in_response_to=replies.get(e.id)) for e in events if is_message(e)]
