"""The referral as a FHIR ServiceRequest (FHIR.md §4): what is asked of whom, for which child, and why."""

from __future__ import annotations

from typing import Any

from referral_service.domain.enums import ReferralStatus, Urgency
from referral_service.domain.referral import MunicipalContact, Referral
from referral_service.fhir.codes import CANON, SNOMED, code_system, concept, extension, local, reference
from referral_service.services.views import ReferralView

#: Our referral id as a business identifier, so a client can quote it beside the resource's own id.
REFERRAL_IDENTIFIER_SYSTEM = f"{CANON}/NamingSystem/referral-id"

#: Our status -> ServiceRequest.status (`request-status`), the last column of FHIR.md §5's table. The ends the table
#: leaves out: after an assessment conversation the help belongs in the municipality (BUP will not give it: revoked,
#: like a rejection); a referral merged into another ends as a request no longer acted on (revoked, the other goes
#: on); a transfer to adult mental health ends BUP's care as done (completed; the DPS has a referral of its own).
SERVICE_REQUEST_STATUS: dict[str, str] = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.SUBMITTED: "active",
    ReferralStatus.INFORMATION_REQUESTED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.IN_TREATMENT: "active",
    ReferralStatus.DISCHARGED: "completed",
    ReferralStatus.REJECTED: "revoked",
    ReferralStatus.FORWARDED: "revoked",
    ReferralStatus.WITHDRAWN: "revoked",
    ReferralStatus.MUNICIPAL_LEVEL: "revoked",
    ReferralStatus.MERGED: "revoked",
    ReferralStatus.TRANSFERRED_TO_DPS: "completed",
}
assert set(SERVICE_REQUEST_STATUS) == set(ReferralStatus), "every status needs its ServiceRequest.status"

#: Our urgency -> ServiceRequest.priority (`request-priority`).
PRIORITY: dict[str, str] = {Urgency.NORMAL: "routine", Urgency.URGENT: "urgent"}

#: SNOMED CT 3457005 "Patient referral" (FHIR.md §4).
REFERRAL_CATEGORY = concept(SNOMED, "3457005", "Patient referral")
#: No national code for "a referral to BUP" is known (FHIR.md §4 [U]): text only.
REFERRAL_CODE = {"text": "Henvisning til BUP"}

#: The free texts of a referral, in the order a reader meets them, as `note-kind` codes.
NOTE_KINDS = (("description", "description", "Beskrivelse"),
              ("measures_tried", "measures-tried", "Tiltak som er prøvd"),
              ("child_view", "child-view", "Barnets syn"))

#: The contained CareTeam of the people in the municipality around the child (laget rundt barnet).
CARE_TEAM_ID = "municipal-contacts"


def fhir_instant(moment: Any) -> str:
    """A timestamp as FHIR's `instant` (seconds, with the zone): our datetimes are UTC."""
    text = moment.isoformat(timespec="seconds")
    return text if moment.tzinfo is not None else text + "+00:00"


def meta_of(referral: Referral) -> dict[str, str]:
    """The version a client sends back in If-Match, and when it last changed."""
    return {"versionId": str(referral.version), "lastUpdated": fhir_instant(referral.updated_at)}


def note(kind: str, display: str, text: str) -> dict[str, Any]:
    return {"extension": [{"url": extension("note-kind"),
                           "valueCoding": {"system": code_system("note-kind"), "code": kind, "display": display}}],
            "text": text}


def care_team(child_id: str, contacts: list[MunicipalContact]) -> dict[str, Any]:
    """The municipal contacts as a CareTeam: each person by name and role, on behalf of their organisation."""
    participants = []
    for contact in contacts:
        participant: dict[str, Any] = {"role": [{"text": contact.role}], "member": {"display": contact.name}}
        if contact.organisation_id:
            participant["onBehalfOf"] = reference("Organization", contact.organisation_id)
        participants.append(participant)
    return {"resourceType": "CareTeam", "id": CARE_TEAM_ID, "status": "active", "name": "Laget rundt barnet",
            "subject": reference("Patient", child_id), "participant": participants}


def service_request(view: ReferralView, *, requester_name: str | None = None,
                    clinic_name: str | None = None) -> dict[str, Any]:
    """The referral as the reader's view shows it (the view is already filtered for the reader)."""
    referral = view.referral
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": referral.id,
        "meta": meta_of(referral),
        "identifier": [{"system": REFERRAL_IDENTIFIER_SYSTEM, "value": referral.id}],
        "status": SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [REFERRAL_CATEGORY],
        "priority": PRIORITY.get(referral.urgency, "routine"),
        "code": REFERRAL_CODE,
        "subject": reference("Patient", referral.child_id),
        "authoredOn": fhir_instant(referral.created_at),
        "requester": reference("PractitionerRole", referral.referrer_user_id, requester_name),
        "performer": [reference("Organization", referral.clinic_id, clinic_name)],
    }
    if view.municipal_contacts:
        resource["contained"] = [care_team(referral.child_id, view.municipal_contacts)]
    if referral.forwarded_from_id:
        resource["replaces"] = [reference("ServiceRequest", referral.forwarded_from_id)]
    if referral.reasons:
        resource["reasonCode"] = [local("referral-reason", reason) for reason in referral.reasons]
    supporting = ([reference("Consent", referral.id)] if view.consent is not None else []) + (
        [{"reference": f"#{CARE_TEAM_ID}", "display": "Laget rundt barnet"}] if view.municipal_contacts else [])
    if supporting:
        resource["supportingInfo"] = supporting
    notes = [note(kind, display, text) for field, kind, display in NOTE_KINDS if (text := getattr(referral, field))]
    if notes:
        resource["note"] = notes
    return resource
