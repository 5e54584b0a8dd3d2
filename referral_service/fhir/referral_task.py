"""The referral's workflow as a FHIR Task (`Task/{referral id}`, FHIR.md §5): status and businessStatus from one
table, the running deadline, BUP's decisions as outputs.

businessStatus carries two codings: our `referral-status` and, where one applies, the national feedback on a
referral ("Tilbakemelding på henvisning"), Helsedirektoratet's kodeverk 9148 "Henvisning (elektronisk melding)".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.codes import TASK_CODE, code_system, coding, concept, local, reference
from referral_service.fhir.task_parts import (
    as_date,
    data,
    instant,
    meta,
    organisation,
    practitioner_role,
    without_empty,
)

#: Kodeverk 9148 "Henvisning (elektronisk melding)" (Helsedirektoratet, Volven): the codes of the feedback on a
#: referral. The OID form is how no-basis names Volven code systems (as kommunenummer, 3402).
FEEDBACK_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.9148"
FEEDBACK_DISPLAY = {
    "1": "Innkalles til helsehjelp",
    "2": "Rett til helsehjelp, tidspunkt kommer",
    "3": "Henvisningen er videresendt",
    "4": "Henvisningen er avvist",
}


@dataclass(frozen=True)
class TaskState:
    """How one of our statuses reads in FHIR: `Task.status`, our `referral-status` display, the feedback code."""

    status: str
    display: str
    feedback: str | None = None


S = ReferralStatus
#: Our status -> the Task's (FHIR.md §5). `municipal_level` hands the child back as a rejection does: BUP declines
#: the specialist care asked for (rejected, feedback 4). `merged` ends as a duplicate (cancelled); the DPS transfer
#: ends BUP's part after care given (completed), the young person going on at the DPS (output forwarded-to).
STATES: dict[str, TaskState] = {
    S.DRAFT: TaskState("draft", "Draft"),
    S.SUBMITTED: TaskState("requested", "Submitted"),
    S.INFORMATION_REQUESTED: TaskState("on-hold", "Information requested"),
    S.ACCEPTED: TaskState("accepted", "Accepted: right to care, the time follows", "2"),
    S.IN_TREATMENT: TaskState("in-progress", "In treatment", "1"),
    S.DISCHARGED: TaskState("completed", "Discharged"),
    S.REJECTED: TaskState("rejected", "Rejected", "4"),
    S.MUNICIPAL_LEVEL: TaskState("rejected", "Help belongs in the municipality (after an assessment conversation)",
                                 "4"),
    S.FORWARDED: TaskState("cancelled", "Forwarded to another clinic", "3"),
    S.WITHDRAWN: TaskState("cancelled", "Withdrawn"),
    S.MERGED: TaskState("cancelled", "Merged into another referral of the child"),
    S.TRANSFERRED_TO_DPS: TaskState("completed", "Transferred to adult mental health services (DPS)"),
}
assert set(STATES) == set(ReferralStatus), "every status has its Task row"

A = ReferralAction


def task_status(referral: Referral, events: Iterable[ReferralEvent]) -> str:
    """`Task.status`; a submitted referral that has been supplemented since BUP asked is `received`."""
    if referral.status == S.SUBMITTED and any(e.action == A.SUPPLEMENT for e in events):
        return "received"
    return STATES[referral.status].status


def business_status(status: str) -> dict[str, Any]:
    state = STATES[status]
    codings = [coding(code_system("referral-status"), status, state.display)]
    if state.feedback:
        codings.append(coding(FEEDBACK_SYSTEM, state.feedback, FEEDBACK_DISPLAY[state.feedback]))
    return {"coding": codings, "text": state.display}


def running_deadline(referral: Referral) -> Any:
    """The deadline BUP works to now: the assessment while it decides, the start of care once accepted."""
    if referral.status in (S.SUBMITTED, S.INFORMATION_REQUESTED):
        return referral.assessment_due
    if referral.status == S.ACCEPTED:
        return referral.care_start_due
    return None


def _latest(events: Iterable[ReferralEvent], action: ReferralAction) -> ReferralEvent | None:
    found = None
    for event in events:
        if event.action == action:
            found = event
    return found


def _status_reason(referral: Referral, decision: ReferralEvent | None) -> dict[str, Any] | None:
    """Why the referral ended where it did: the rejection's reason code with BUP's explanation, else the words."""
    if decision is None:
        return None
    words = decision.data.get("explanation") or decision.data.get("reason")
    if referral.status == S.REJECTED and decision.data.get("reason_code"):
        return {**local("rejection-reason", decision.data["reason_code"]), **({"text": words} if words else {})}
    return {"text": words} if words else None


#: The event that ended the referral with a reason: its data holds BUP's explanation or the reason given.
DECIDED_BY: dict[str, ReferralAction] = {
    S.REJECTED: A.REJECT, S.MUNICIPAL_LEVEL: A.MUNICIPAL_OUTCOME, S.FORWARDED: A.FORWARD, S.WITHDRAWN: A.WITHDRAW,
    S.TRANSFERRED_TO_DPS: A.TRANSFER_TO_DPS,
}


#: The action that moved the referral on to another clinic, by the status it left the referral in.
MOVED_ON_BY: dict[str, ReferralAction] = {S.FORWARDED: A.FORWARD, S.TRANSFERRED_TO_DPS: A.TRANSFER_TO_DPS}


def _next_clinic(referral: Referral, events: list[ReferralEvent]) -> str | None:
    """The clinic (BUP or DPS) the referral went on to, as the move's event names it. `forwarded-to` is that
    Organization, not the new ServiceRequest: the sender may not see the new referral (it is the next clinic's), and
    a Task sent back names the clinic the same way (fhir/task_updates.py); the new ServiceRequest points back here
    through `replaces`."""
    if referral.status not in MOVED_ON_BY:
        return None
    moved = _latest(events, MOVED_ON_BY[referral.status])
    clinic = moved.data.get("clinic_id") if moved else None
    return clinic if isinstance(clinic, str) and clinic else None


def _outputs(referral: Referral, events: list[ReferralEvent]) -> list[dict[str, Any]]:
    """BUP's decisions as they stand: start of care, advice to the municipality, the discharge, the next clinic."""
    accepted = _latest(events, A.ACCEPT)
    handed_back = _latest(events, A.REJECT if referral.status == S.REJECTED else A.MUNICIPAL_OUTCOME)
    discharge = _latest(events, A.DISCHARGE)
    ends_with_advice = referral.status in (S.REJECTED, S.MUNICIPAL_LEVEL)
    moved_on = _next_clinic(referral, events)
    return data([
        ("care-start-due", referral.care_start_due if accepted else None),
        ("priority", referral.priority if accepted else None),
        ("assessment-conversation",
         as_date(handed_back.data.get("assessment_conversation_on")) if handed_back and ends_with_advice else None),
        ("municipal-advice", handed_back.data.get("municipal_advice") if handed_back and ends_with_advice else None),
        ("discharge-summary", discharge.data.get("summary") if discharge else None),
        ("follow-up-recommendations", discharge.data.get("follow_up_recommendations") if discharge else None),
        ("epikrise-sent", (not referral.epikrise_pending) if discharge else None),
        ("forwarded-to", reference("Organization", moved_on) if moved_on else None),
    ])


def _execution_period(referral: Referral, events: list[ReferralEvent]) -> dict[str, str] | None:
    """From the first appointment to the discharge."""
    if referral.first_appointment_on is None:
        return None
    discharge = _latest(events, A.DISCHARGE)
    return without_empty({"start": referral.first_appointment_on.isoformat(),
                          "end": instant(discharge.at) if discharge else None})


def referral_task(referral: Referral, events: list[ReferralEvent]) -> dict[str, Any]:
    """The referral's Task; `events` are the referral's, oldest first, as the reader may see them."""
    deadline = running_deadline(referral)
    decision = _latest(events, DECIDED_BY[referral.status]) if referral.status in DECIDED_BY else None
    return without_empty({
        "resourceType": "Task",
        "id": referral.id,
        "meta": meta(version=referral.version, updated_at=referral.updated_at),
        "status": task_status(referral, events),
        "statusReason": _status_reason(referral, decision),
        "businessStatus": business_status(referral.status),
        "intent": "order",
        "priority": "urgent" if referral.urgency == "urgent" else "routine",
        "code": concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
        "focus": reference("ServiceRequest", referral.id),
        "for": reference("Patient", referral.child_id),
        "executionPeriod": _execution_period(referral, events),
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(referral.updated_at),
        "requester": practitioner_role(referral.referrer_user_id),
        "owner": organisation(referral.clinic_id),
        "restriction": {"period": {"end": deadline.isoformat()}} if deadline else None,
        "input": data([("assessment-due", referral.assessment_due), ("care-start-due", referral.care_start_due)]),
        "output": _outputs(referral, events),
    })
