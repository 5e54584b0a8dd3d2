"""Who did what, when, as FHIR Provenance (FHIR.md §8): one per referral event (`Provenance/{event id}`), one per
handover event (`Provenance/handover-{event id}`) and one per deadline mark, a warning, a breach (fristbrudd) or an
escalation the service recorded (`Provenance/mark-{mark id}`, its agent the service itself). The prefixes keep the
three tables' ids apart whatever they hold. `activity` is our `referral-action` code; a handover's steps are
`handover-<step>` in it."""

from __future__ import annotations

from typing import Any

from referral_service.domain.handover import DeadlineMark, HandoverEvent
from referral_service.domain.referral import ReferralEvent
from referral_service.fhir.codes import local, reference
from referral_service.fhir.task_parts import automatic_agent, instant, organisation, practitioner_role

#: The prefix of a handover event's Provenance id, and of a deadline mark's.
HANDOVER_PREFIX = "handover-"
MARK_PREFIX = "mark-"
#: A deadline mark's kind -> its activity (FHIR.md §8: deadline-warning, deadline-breach, escalate); the reminders
#: the service sends on its own are `remind`.
MARK_ACTIVITIES = {
    "assessment_warning": "deadline-warning",
    "assessment_breach": "deadline-breach",
    "care_start_breach": "deadline-breach",
    "handover_unacknowledged": "escalate",
    "handover_no_first_contact": "escalate",
    "waiting_without_municipal_helper": "remind",
    "epikrise_reminder": "remind",
}


def handover_provenance_id(event_id: str) -> str:
    return f"{HANDOVER_PREFIX}{event_id}"


def mark_provenance_id(mark_id: str) -> str:
    return f"{MARK_PREFIX}{mark_id}"


def named_by(provenance_id: str) -> tuple[str, str]:
    """What a Provenance id names: ("handover", event id), ("mark", mark id) or ("referral", event id)."""
    for table, prefix in (("handover", HANDOVER_PREFIX), ("mark", MARK_PREFIX)):
        if provenance_id.startswith(prefix):
            return table, provenance_id.removeprefix(prefix)
    return "referral", provenance_id


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


def mark_provenance(mark: DeadlineMark, *, referral_id: str) -> dict[str, Any]:
    """A warning, breach or escalation the service recorded about a referral or its handover task."""
    targets = [reference("ServiceRequest", referral_id), reference("Task", referral_id)]
    if mark.handover_id:
        targets = [reference("Task", mark.handover_id), reference("ServiceRequest", referral_id)]
    words = mark.kind + (f" (level {mark.level})" if mark.level else "") + (f", due {mark.due}" if mark.due else "")
    return {
        "resourceType": "Provenance",
        "id": mark_provenance_id(mark.id),
        "target": targets,
        "occurredDateTime": instant(mark.at),
        "recorded": instant(mark.at),
        "activity": {**local("referral-action", MARK_ACTIVITIES.get(mark.kind, "remind")), "text": words},
        "agent": [{"who": automatic_agent()}],
    }
