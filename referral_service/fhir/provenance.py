"""Who did what, when, as FHIR Provenance (FHIR.md §8): one per referral event (`Provenance/{event id}`) and one
per handover event (`Provenance/handover-{event id}`: the prefix keeps the two tables' ids apart whatever they
hold). `activity` is our `referral-action` code; a handover's steps are `handover-<step>` in it."""

from __future__ import annotations

from typing import Any

from referral_service.domain.handover import HandoverEvent
from referral_service.domain.referral import ReferralEvent
from referral_service.fhir.codes import local, reference
from referral_service.fhir.task_parts import automatic_agent, instant, organisation, practitioner_role

#: The prefix of a handover event's Provenance id.
HANDOVER_PREFIX = "handover-"


def handover_provenance_id(event_id: str) -> str:
    return f"{HANDOVER_PREFIX}{event_id}"


def handover_event_id(provenance_id: str) -> str | None:
    """The handover event a Provenance id names, or None when it names a referral event."""
    return provenance_id.removeprefix(HANDOVER_PREFIX) if provenance_id.startswith(HANDOVER_PREFIX) else None


def _agent(user_id: str | None, organisation_id: str | None) -> dict[str, Any]:
    if user_id is None:
        return {"who": automatic_agent()}
    return {"who": practitioner_role(user_id), **({"onBehalfOf": organisation(organisation_id)}
                                                  if organisation_id else {})}


def referral_event_provenance(event: ReferralEvent) -> dict[str, Any]:
    """One step of the referral: the referral and its Task are what it changed."""
    return {
        "resourceType": "Provenance",
        "id": event.id,
        "target": [reference("ServiceRequest", event.referral_id), reference("Task", event.referral_id)],
        "occurredDateTime": instant(event.at),
        "recorded": instant(event.at),
        "activity": local("referral-action", event.action),
        "agent": [_agent(event.actor_id, event.actor_org_id)],
    }


def handover_event_provenance(event: HandoverEvent, *, referral_id: str,
                              actor_organisation_id: str | None) -> dict[str, Any]:
    """One step of a handover task (`actor_organisation_id`: the organisation its person acted for)."""
    return {
        "resourceType": "Provenance",
        "id": handover_provenance_id(event.id),
        "target": [reference("Task", event.handover_id), reference("ServiceRequest", referral_id)],
        "occurredDateTime": instant(event.at),
        "recorded": instant(event.at),
        "activity": local("referral-action", f"handover-{event.action}"),
        "agent": [_agent(event.actor_id, actor_organisation_id)],
    }
