"""A Task update read as one lifecycle action (FHIR.md §5, read backwards).

Pure: the referral's current status and the Task a client PUTs in, the action and its REST body out, with the
FHIR element each body field came from. Whether the action is allowed is not decided here: the lifecycle table
(`workflows/referral_lifecycle.py`) stays the one rule, applied by `take_action`. What changed is read from
`businessStatus` (our `referral-status` coding) or, without it, from `Task.status`; the action's data from
`statusReason` (the rejection reason and the explanation) and the `input`/`output` entries typed by `task-data`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from referral_service.domain.enums import HandoverStatus, ReferralAction, ReferralStatus
from referral_service.errors import InvalidData
from referral_service.fhir.codes import TASK_CODE, code_system, extension
from referral_service.workflows.handover_lifecycle import HandoverAction

S, A = ReferralStatus, ReferralAction

#: `Task.status` -> the status it asks for, when no `businessStatus` says it more exactly (FHIR.md §5's table).
STATUS_BY_TASK_STATUS: dict[str, ReferralStatus] = {
    "draft": S.DRAFT, "requested": S.SUBMITTED, "received": S.SUBMITTED, "on-hold": S.INFORMATION_REQUESTED,
    "accepted": S.ACCEPTED, "in-progress": S.IN_TREATMENT, "completed": S.DISCHARGED, "rejected": S.REJECTED,
    "cancelled": S.WITHDRAWN,
}
#: The status a Task update asks for -> the action that reaches it. From `information_requested` a referral goes
#: back to `submitted` by the referrer's supplement, from a draft by submitting it.
ACTION_TO: dict[ReferralStatus, ReferralAction] = {
    S.SUBMITTED: A.SUBMIT, S.INFORMATION_REQUESTED: A.REQUEST_INFORMATION, S.ACCEPTED: A.ACCEPT,
    S.IN_TREATMENT: A.START_TREATMENT, S.DISCHARGED: A.DISCHARGE, S.REJECTED: A.REJECT,
    S.MUNICIPAL_LEVEL: A.MUNICIPAL_OUTCOME, S.FORWARDED: A.FORWARD, S.WITHDRAWN: A.WITHDRAW,
    S.TRANSFERRED_TO_DPS: A.TRANSFER_TO_DPS,
}
#: Where each action's body field is read from: `statusReason` ("reason-code": its rejection-reason coding,
#: "reason-text": its text), `executionPeriod.start`, or the `input`/`output` entry of that task-data code.
SOURCES: dict[ReferralAction, dict[str, str]] = {
    A.SUBMIT: {},
    A.REQUEST_INFORMATION: {"questions": "questions|reason-text"},
    A.SUPPLEMENT: {"text": "supplement|reason-text"},
    A.ACCEPT: {"care_start_due": "care-start-due|restriction-end", "priority": "priority"},
    A.REJECT: {"reason_code": "reason-code", "explanation": "reason-text", "municipal_advice": "municipal-advice"},
    A.MUNICIPAL_OUTCOME: {"assessment_conversation_on": "assessment-conversation", "explanation": "reason-text",
                          "municipal_advice": "municipal-advice"},
    A.FORWARD: {"clinic_id": "forwarded-to", "reason": "reason-text"},
    A.START_TREATMENT: {"first_appointment_on": "execution-start|first-appointment"},
    A.DISCHARGE: {"summary": "discharge-summary", "follow_up_recommendations": "follow-up-recommendations",
                  "epikrise_sent": "epikrise-sent"},
    A.WITHDRAW: {"reason": "reason-text"},
    A.PLAN_DISCHARGE: {"planned_discharge_on": "planned-discharge"},
    A.RECORD_EPIKRISE: {},
    A.TRANSFER_TO_DPS: {"clinic_id": "forwarded-to", "reason": "reason-text"},
}
ORGANIZATION_REF = re.compile(r"^(?:.*/)?Organization/([A-Za-z0-9\-.]{1,64})$")
VALUE_KEYS = ("valueString", "valueDate", "valueBoolean", "valueCode", "valueDateTime", "valueInteger")


@dataclass
class TaskChange:
    """The lifecycle action a Task update asks for (None: nothing the lifecycle tracks changed), its REST body,
    and the FHIR element each body field came from."""

    action: ReferralAction | None
    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def fhir_path(self, body_field: str) -> str:
        return self.origins.get(body_field.split(".")[0], "Task")


def asked_status(task: dict[str, Any]) -> ReferralStatus:
    """The status the sent Task asks for: its `businessStatus` in our code system, else its `Task.status`."""
    ours = [c.get("code") for c in (task.get("businessStatus") or {}).get("coding") or []
            if isinstance(c, dict) and c.get("system") == code_system("referral-status")]
    if ours:
        if ours[0] not in set(ReferralStatus):
            raise InvalidData("The Task's businessStatus is not a referral status.",
                              errors={"Task.businessStatus": ["Not a code of the referral-status code system."]})
        status = ReferralStatus(ours[0])
        if task.get("status") is not None and STATUS_BY_TASK_STATUS.get(task["status"]) is None:
            raise InvalidData("The Task's status is not one a referral takes.",
                              errors={"Task.status": ["Not a status a referral's Task takes."]})
        return status
    if task.get("status") not in STATUS_BY_TASK_STATUS:
        raise InvalidData("The Task's status is not one a referral takes.",
                          errors={"Task.status": ["Not a status a referral's Task takes."]})
    status = STATUS_BY_TASK_STATUS[task["status"]]
    if status is S.WITHDRAWN and _datum(task, "forwarded-to") is not None:
        return S.FORWARDED
    return status


#: The code a referral's Task and a handover's Task carry (FHIR.md §5, §6).
REFERRAL_TASK_CODE = (TASK_CODE, "fulfill")
HANDOVER_TASK_CODE = (code_system("task-type"), "municipal-handover")


def check_task(task: Any, *, task_id: str, handover: bool) -> dict[str, Any]:
    """The sent body as the Task with this id, of the kind the id names (422 otherwise)."""
    if not isinstance(task, dict) or task.get("resourceType") != "Task":
        raise InvalidData("Send a Task.", errors={"Task": ["Must be a Task resource."]})
    if task.get("id") != task_id:
        raise InvalidData("The Task's id must be the one in the address.", errors={"Task.id": ["Must match the URL."]})
    system, code = HANDOVER_TASK_CODE if handover else REFERRAL_TASK_CODE
    codes = [c.get("code") for c in (task.get("code") or {}).get("coding") or [] if isinstance(c, dict)
             and c.get("system") == system]
    if task.get("code") is not None and codes != [code]:
        raise InvalidData("The Task's code does not fit the task it updates.",
                          errors={"Task.code": [f"This Task's code is '{code}'."]})
    return task


def read_change(*, current: ReferralStatus, task: dict[str, Any], epikrise_pending: bool) -> TaskChange:
    """The one action the sent Task asks for against the referral's current status, and its body."""
    asked = asked_status(task)
    if asked == current:
        action = _same_status_action(current, task, epikrise_pending=epikrise_pending)
    elif asked is S.SUBMITTED and current is S.INFORMATION_REQUESTED:
        action = A.SUPPLEMENT
    else:
        action = ACTION_TO.get(asked)
        if action is None:  # draft, merged: no action reaches them
            raise InvalidData("No action of the referral leads to the status asked for.",
                              errors={"Task.businessStatus": ["No action leads to this status."]})
    if action is None:
        return TaskChange(action=None)
    change = TaskChange(action=action)
    for body_field, sources in SOURCES[action].items():
        for source in sources.split("|"):
            found = _source_value(task, source)
            if found is not None:
                change.data[body_field], change.origins[body_field] = found
                break
        else:
            change.origins[body_field] = _expected_at(sources.split("|")[0])
    return change


def _same_status_action(current: ReferralStatus, task: dict[str, Any], *, epikrise_pending: bool) \
        -> ReferralAction | None:
    """Changes that keep the status: a planned discharge during treatment, the epikrise sent after a discharge."""
    if current is S.IN_TREATMENT and _datum(task, "planned-discharge") is not None:
        return A.PLAN_DISCHARGE
    sent = _datum(task, "epikrise-sent")
    if current is S.DISCHARGED and epikrise_pending and sent is not None and sent[0].get("valueBoolean") is True:
        return A.RECORD_EPIKRISE
    return None


def _datum(task: dict[str, Any], code: str) -> tuple[dict[str, Any], str] | None:
    """The `output` (else `input`) entry of a task-data code, and its path."""
    for element in ("output", "input"):
        for i, entry in enumerate(task.get(element) or []):
            codings = ((entry or {}).get("type") or {}).get("coding") or []
            if any(isinstance(c, dict) and c.get("system") == code_system("task-data") and c.get("code") == code
                   for c in codings):
                return entry, f"Task.{element}[{i}]"
    return None


def _source_value(task: dict[str, Any], source: str) -> tuple[Any, str] | None:
    reason = task.get("statusReason") or {}
    if source == "reason-text":
        return (reason["text"], "Task.statusReason.text") if reason.get("text") else None
    if source == "reason-code":
        codes = [c.get("code") for c in reason.get("coding") or [] if isinstance(c, dict)
                 and c.get("system") == code_system("rejection-reason")]
        return (codes[0], "Task.statusReason.coding") if codes else None
    if source == "restriction-end":
        end = (((task.get("restriction") or {}).get("period")) or {}).get("end")
        return (end[:10], "Task.restriction.period.end") if isinstance(end, str) else None
    if source == "execution-start":
        start = (task.get("executionPeriod") or {}).get("start")
        return (start[:10], "Task.executionPeriod.start") if isinstance(start, str) else None
    found = _datum(task, source)
    if found is None:
        return None
    entry, path = found
    return _value(entry, path)


def _value(entry: dict[str, Any], path: str) -> tuple[Any, str] | None:
    for key in VALUE_KEYS:
        if key in entry:
            return entry[key], f"{path}.{key}"
    if "valueReference" in entry:
        matched = ORGANIZATION_REF.match((entry["valueReference"] or {}).get("reference") or "")
        return (matched.group(1) if matched else "", f"{path}.valueReference")
    codes = [c.get("code") for c in (entry.get("valueCodeableConcept") or {}).get("coding") or []
             if isinstance(c, dict)]
    return (codes[0], f"{path}.valueCodeableConcept") if codes else None


def _expected_at(source: str) -> str:
    """Where a missing value belongs, for the 422's expression."""
    return {"reason-text": "Task.statusReason.text", "reason-code": "Task.statusReason.coding",
            "restriction-end": "Task.restriction.period.end",
            "execution-start": "Task.executionPeriod.start"}.get(source, "Task.output")


# --- The handover's Task (FHIR.md §6): the municipality acknowledges, assigns, plans and closes -----------------

H, HA = HandoverStatus, HandoverAction
#: `Task.status` -> the handover status it asks for, when no `businessStatus` says it more exactly.
HANDOVER_STATUS_BY_TASK_STATUS: dict[str, HandoverStatus] = {
    "requested": H.OPEN, "accepted": H.ACKNOWLEDGED, "in-progress": H.ASSIGNED, "completed": H.CLOSED,
}
#: The handover status asked for -> the step that reaches it.
HANDOVER_ACTION_TO: dict[HandoverStatus, HandoverAction] = {
    H.ACKNOWLEDGED: HA.ACKNOWLEDGE, H.ASSIGNED: HA.ASSIGN, H.FOLLOW_UP_PLANNED: HA.PLAN, H.CLOSED: HA.CLOSE,
}


@dataclass
class HandoverChange:
    """The handover step a Task update asks for (None: nothing changed), its REST body, and where each field
    came from."""

    action: HandoverAction | None
    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def fhir_path(self, body_field: str) -> str:
        return self.origins.get(body_field.split(".")[0], "Task")


def asked_handover_status(task: dict[str, Any]) -> HandoverStatus:
    """The handover status the sent Task asks for: `businessStatus` in handover-status, else `Task.status` (an
    in-progress Task with a planned first contact is `follow_up_planned`)."""
    ours = [c.get("code") for c in (task.get("businessStatus") or {}).get("coding") or []
            if isinstance(c, dict) and c.get("system") == code_system("handover-status")]
    if ours and ours[0] in set(HandoverStatus):
        return HandoverStatus(ours[0])
    if ours:
        raise InvalidData("The Task's businessStatus is not a handover status this server takes.",
                          errors={"Task.businessStatus": ["Not a handover status that an update may ask for."]})
    status = HANDOVER_STATUS_BY_TASK_STATUS.get(task.get("status") or "")
    if status is None:
        raise InvalidData("The Task's status is not one a handover takes.",
                          errors={"Task.status": ["Not a status a handover's Task takes."]})
    if status is H.ASSIGNED and _datum(task, "first-contact") is not None:
        return H.FOLLOW_UP_PLANNED
    return status


def _assignee_of(task: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Who the Task is assigned to: a person (extension `assignee`) or a service (`performerType`)."""
    for i, ext in enumerate(task.get("extension") or []):
        if (ext or {}).get("url") == extension("assignee"):
            person = ((ext.get("valueReference") or {}).get("reference") or "").rsplit("/", 1)[-1]
            return {"assignee_user_id": person}, {"assignee_user_id": f"Task.extension[{i}].valueReference"}
    services = [(i, (p or {}).get("text")) for i, p in enumerate(task.get("performerType") or [])]
    if services and services[0][1]:
        return {"service": services[0][1]}, {"service": "Task.performerType[0].text"}
    return {}, {"assignee_user_id": "Task.extension"}


def read_handover_change(*, current: HandoverStatus, assigned_to: dict[str, str | None],
                         task: dict[str, Any]) -> HandoverChange:
    """The one step the sent handover Task asks for against the task as it stands; `assigned_to` is its current
    assignee (`assignee_user_id` or `service`)."""
    asked = asked_handover_status(task)
    assignee, assignee_origins = _assignee_of(task)
    if asked == current:
        reassigned = asked is H.ASSIGNED and assignee and any(
            assigned_to.get(key) != value for key, value in assignee.items())
        if not reassigned:
            return HandoverChange(action=None)
    action = HANDOVER_ACTION_TO.get(asked)
    if action is None:
        raise InvalidData("No step of the handover leads to the status asked for.",
                          errors={"Task.status": ["No step leads to this status."]})
    change = HandoverChange(action=action)
    if action is HA.ASSIGN:
        change.data, change.origins = assignee, assignee_origins
    elif action is HA.PLAN:
        for body_field, code in (("first_contact_on", "first-contact"), ("plan", "plan")):
            found = _source_value(task, code)
            change.origins[body_field] = found[1] if found else "Task.output"
            if found is not None:
                change.data[body_field] = found[0]
    elif action is HA.CLOSE:
        outcome = _datum(task, "outcome")
        concept = (outcome[0].get("valueCodeableConcept") or {}) if outcome else {}
        codes = [c.get("code") for c in concept.get("coding") or [] if isinstance(c, dict)
                 and c.get("system") == code_system("handover-outcome")]
        path = f"{outcome[1]}.valueCodeableConcept" if outcome else "Task.output"
        change.data = {"outcome": concept.get("text") or "", **({"outcome_code": codes[0]} if codes else {})}
        change.origins = {"outcome": f"{path}.text", "outcome_code": f"{path}.coding"}
    return change
