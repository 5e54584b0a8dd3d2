"""A Task update read as one lifecycle action (FHIR.md §5 and §6, read backwards).

Pure: the referral's (or handover's) current status and the Task a client PUTs in, the action and its REST body
out, with the FHIR element each body field came from. Whether the action is allowed is not decided here: the
lifecycle tables stay the one rule, applied by `take_action` / `act_on_handover`.

What is asked for is what CHANGED against the task as it stands: a client reads the Task, changes `Task.status`
(or our `businessStatus` coding, or both) and PUTs it back. When only one of them changed, that one says it; when
both changed they must agree (422 at `Task.status` otherwise); when neither changed, the status stays (a planned
discharge or the epikrise sent may still be recorded). The statuses are read backwards from the outbound tables
(`referral_task.STATES`, `handover_task.STATUSES`), so the §5/§6 table exists once. The action's data comes from
`statusReason` and the `input`/`output` entries typed by `task-data`; an element of the wrong JSON shape is 422
at its path (`fhir/shape.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from referral_service.domain.enums import HandoverStatus, ReferralAction, ReferralStatus
from referral_service.errors import InvalidData
from referral_service.fhir import shape
from referral_service.fhir.codes import TASK_CODE, code_system, extension
from referral_service.fhir.handover_task import STATUSES as HANDOVER_TASK_STATUSES
from referral_service.fhir.handover_task import TRANSFERRED
from referral_service.fhir.referral_task import STATES
from referral_service.workflows.handover_lifecycle import HandoverAction

S, A = ReferralStatus, ReferralAction

#: `Task.status` -> the statuses of ours it stands for, read backwards from the one table (FHIR.md §5,
#: `referral_task.STATES`); `received` is a submitted referral that has been supplemented.
STATUSES_BY_TASK_STATUS: dict[str, tuple[ReferralStatus, ...]] = {
    **{task_status: tuple(S(s) for s, state in STATES.items() if state.status == task_status)
       for task_status in dict.fromkeys(state.status for state in STATES.values())},
    "received": (S.SUBMITTED,),
}
#: Where one `Task.status` stands for several of ours, the one it means when sent alone (without `businessStatus`);
#: `cancelled` with an output `forwarded-to` is a forward (see `_by_data`).
PLAIN_STATUS: dict[str, ReferralStatus] = {"rejected": S.REJECTED, "cancelled": S.WITHDRAWN,
                                           "completed": S.DISCHARGED}
assert all(status in STATUSES_BY_TASK_STATUS[task_status] for task_status, status in PLAIN_STATUS.items())
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


def _status_sent(task: dict[str, Any], known: set[str], kind: str) -> str | None:
    status = shape.text(task.get("status"), "Task.status")
    if status is not None and status not in known:
        raise InvalidData(f"The Task's status is not one a {kind} takes.",
                          errors={"Task.status": [f"Not a status a {kind}'s Task takes."]})
    return status


def _business_sent(task: dict[str, Any], system: str) -> str | None:
    """Our `businessStatus` code, if the Task carries one."""
    ours = shape.codes(shape.obj(task.get("businessStatus"), "Task.businessStatus"), system, "Task.businessStatus")
    return ours[0] if ours else None


def _disagree() -> InvalidData:
    return InvalidData("The Task's status and businessStatus ask for different things.",
                       errors={"Task.status": ["Does not fit the businessStatus sent with it."]})


def asked_status(task: dict[str, Any], current: ReferralStatus) -> ReferralStatus:
    """The status the sent Task asks for, read from what changed against `current` (see the module's doc)."""
    status = _status_sent(task, set(STATUSES_BY_TASK_STATUS), "referral")
    business = _business_sent(task, code_system("referral-status"))
    if business is not None and business not in set(ReferralStatus):
        raise InvalidData("The Task's businessStatus is not a referral status.",
                          errors={"Task.businessStatus": ["Not a code of the referral-status code system."]})
    if status is None and business is None:
        raise InvalidData("The Task has no status.", errors={"Task.status": ["Required."]})
    business_changed = business is not None and business != current
    status_changed = status is not None and current not in STATUSES_BY_TASK_STATUS[status]
    if business_changed:
        if status_changed and S(str(business)) not in STATUSES_BY_TASK_STATUS[str(status)]:
            raise _disagree()
        return S(str(business))
    if not status_changed:
        return current
    assert status is not None
    return _plain_status(task, status)


def _plain_status(task: dict[str, Any], status: str) -> ReferralStatus:
    """What a changed `Task.status` asks for without `businessStatus`."""
    forwarded = _datum(task, "forwarded-to") is not None
    if status == "cancelled" and forwarded:
        return S.FORWARDED
    if status == "completed" and forwarded:  # a discharge, or the transfer to DPS (which also ends `completed`)
        raise InvalidData("Say with businessStatus whether the referral is discharged or transferred to DPS.",
                          errors={"Task.businessStatus": ["Required with a completed Task that names "
                                                          "forwarded-to."]})
    candidates = STATUSES_BY_TASK_STATUS[status]
    return candidates[0] if len(candidates) == 1 else PLAIN_STATUS[status]


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
    sent_code = shape.obj(task.get("code"), "Task.code")
    if task.get("code") is not None and shape.codes(sent_code, system, "Task.code") != [code]:
        raise InvalidData("The Task's code does not fit the task it updates.",
                          errors={"Task.code": [f"This Task's code is '{code}'."]})
    return task


def read_change(*, current: ReferralStatus, task: dict[str, Any], epikrise_pending: bool) -> TaskChange:
    """The one action the sent Task asks for against the referral's current status, and its body."""
    asked = asked_status(task, current)
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
        for i, entry in enumerate(shape.objs(task.get(element), f"Task.{element}")):
            at = f"Task.{element}[{i}]"
            if code in shape.codes(shape.obj(entry.get("type"), f"{at}.type"), code_system("task-data"),
                                   f"{at}.type"):
                return entry, at
    return None


def _source_value(task: dict[str, Any], source: str) -> tuple[Any, str] | None:
    reason = shape.obj(task.get("statusReason"), "Task.statusReason")
    if source == "reason-text":
        said = shape.text(reason.get("text"), "Task.statusReason.text")
        return (said, "Task.statusReason.text") if said else None
    if source == "reason-code":
        codes = shape.codes(reason, code_system("rejection-reason"), "Task.statusReason")
        return (codes[0], "Task.statusReason.coding") if codes else None
    if source == "restriction-end":
        period = shape.obj(shape.obj(task.get("restriction"), "Task.restriction").get("period"),
                           "Task.restriction.period")
        end = shape.text(period.get("end"), "Task.restriction.period.end")
        return (end[:10], "Task.restriction.period.end") if end is not None else None
    if source == "execution-start":
        start = shape.text(shape.obj(task.get("executionPeriod"), "Task.executionPeriod").get("start"),
                           "Task.executionPeriod.start")
        return (start[:10], "Task.executionPeriod.start") if start is not None else None
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
        reference = shape.text(shape.obj(entry["valueReference"], f"{path}.valueReference").get("reference"),
                               f"{path}.valueReference.reference")
        matched = ORGANIZATION_REF.match(reference or "")
        return (matched.group(1) if matched else "", f"{path}.valueReference")
    concept_at = f"{path}.valueCodeableConcept"
    codes = [c.get("code") for c in shape.objs(shape.obj(entry.get("valueCodeableConcept"), concept_at)
                                               .get("coding"), f"{concept_at}.coding")]
    return (codes[0], concept_at) if codes else None


def _expected_at(source: str) -> str:
    """Where a missing value belongs, for the 422's expression."""
    return {"reason-text": "Task.statusReason.text", "reason-code": "Task.statusReason.coding",
            "restriction-end": "Task.restriction.period.end",
            "execution-start": "Task.executionPeriod.start"}.get(source, "Task.output")


# --- The handover's Task (FHIR.md §6): the municipality acknowledges, assigns, plans and closes -----------------

H, HA = HandoverStatus, HandoverAction
#: `Task.status` -> the handover statuses it stands for, read backwards from `handover_task.STATUSES`; a task
#: closed because the family moved reads `cancelled` (business status `transferred`).
HANDOVER_STATUSES_BY_TASK_STATUS: dict[str, tuple[HandoverStatus, ...]] = {
    **{task_status: tuple(H(s) for s, st in HANDOVER_TASK_STATUSES.items() if st == task_status)
       for task_status in dict.fromkeys(HANDOVER_TASK_STATUSES.values())},
    "cancelled": (H.CLOSED,),
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


def _handover_by_status(task: dict[str, Any], status: str) -> HandoverStatus:
    """What a `Task.status` asks for alone: `in-progress` with a planned first contact is `follow_up_planned`."""
    if status == "cancelled":
        raise InvalidData("A handover is not cancelled through its Task.",
                          errors={"Task.status": ["Not a status an update may ask for."]})
    candidates = HANDOVER_STATUSES_BY_TASK_STATUS[status]
    if H.FOLLOW_UP_PLANNED in candidates:
        return H.FOLLOW_UP_PLANNED if _datum(task, "first-contact") is not None else H.ASSIGNED
    return candidates[0]


def asked_handover_status(task: dict[str, Any], current: HandoverStatus) -> HandoverStatus:
    """The handover status the sent Task asks for, read from what changed against `current` as for a referral's
    Task. A planned first contact sent with an unchanged `in-progress` asks for `follow_up_planned`."""
    status = _status_sent(task, set(HANDOVER_STATUSES_BY_TASK_STATUS), "handover")
    business = _business_sent(task, code_system("handover-status"))
    if business == TRANSFERRED and current is H.CLOSED:
        business = H.CLOSED
    if business is not None and business not in set(HandoverStatus):
        raise InvalidData("The Task's businessStatus is not a handover status this server takes.",
                          errors={"Task.businessStatus": ["Not a handover status that an update may ask for."]})
    if status is None and business is None:
        raise InvalidData("The Task has no status.", errors={"Task.status": ["Required."]})
    business_changed = business is not None and business != current
    status_changed = status is not None and current not in HANDOVER_STATUSES_BY_TASK_STATUS[status]
    if business_changed:
        if status_changed and H(str(business)) not in HANDOVER_STATUSES_BY_TASK_STATUS[str(status)]:
            raise _disagree()
        return H(str(business))
    if status is not None and (status_changed or (current is H.ASSIGNED and status == "in-progress")):
        return _handover_by_status(task, status)
    return current


def _assignee_of(task: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Who the Task is assigned to: a person (extension `assignee`) or a service (`performerType`)."""
    for i, ext in enumerate(shape.objs(task.get("extension"), "Task.extension")):
        if ext.get("url") == extension("assignee"):
            at = f"Task.extension[{i}].valueReference"
            reference = shape.text(shape.obj(ext.get("valueReference"), at).get("reference"), f"{at}.reference")
            return {"assignee_user_id": (reference or "").rsplit("/", 1)[-1]}, {"assignee_user_id": at}
    services = [(i, shape.text(p.get("text"), f"Task.performerType[{i}].text"))
                for i, p in enumerate(shape.objs(task.get("performerType"), "Task.performerType"))]
    if services and services[0][1]:
        return {"service": services[0][1]}, {"service": "Task.performerType[0].text"}
    return {}, {"assignee_user_id": "Task.extension"}


def read_handover_change(*, current: HandoverStatus, assigned_to: dict[str, str | None],
                         task: dict[str, Any]) -> HandoverChange:
    """The one step the sent handover Task asks for against the task as it stands; `assigned_to` is its current
    assignee (`assignee_user_id` or `service`)."""
    asked = asked_handover_status(task, current)
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
        path = f"{outcome[1]}.valueCodeableConcept" if outcome else "Task.output"
        concept = shape.obj(outcome[0].get("valueCodeableConcept"), path) if outcome else {}
        codes = shape.codes(concept, code_system("handover-outcome"), path)
        change.data = {"outcome": shape.text(concept.get("text"), f"{path}.text") or "",
                       **({"outcome_code": codes[0]} if codes else {})}
        change.origins = {"outcome": f"{path}.text", "outcome_code": f"{path}.coding"}
    return change
