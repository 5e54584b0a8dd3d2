"""The ServiceRequest entry of a transaction Bundle: the clinic, the reasons, urgency, the texts, the identifier,
and the municipal contacts (a contained CareTeam)."""

from __future__ import annotations

from typing import Any

from referral_service.fhir import shape
from referral_service.fhir.codes import HER_ID, code_system, extension
from referral_service.fhir.inbound_referral import ORGANIZATION_REF, Errors, InboundReferral

#: ServiceRequest.priority -> the referral's urgency.
URGENCY_BY_PRIORITY = {"routine": "normal", "urgent": "urgent"}
#: The ServiceRequest statuses a journal system may send a new referral with: it becomes a draft either way.
NEW_REQUEST_STATUSES = ("draft", "active")
#: `note-kind` code -> the referral's text field (either spelling of the code).
NOTE_FIELDS = {"description": "description", "measures-tried": "measures_tried", "measures_tried": "measures_tried",
               "child-view": "child_view", "child_view": "child_view"}


def read_service_request(inbound: InboundReferral, request: dict[str, Any], at: str, patient_url: str,
                         errors: Errors) -> None:
    if request.get("status") not in NEW_REQUEST_STATUSES:
        errors.add(f"{at}.status", "A new referral is sent as 'draft' or 'active' (it becomes a draft).")
    if request.get("intent") != "order":
        errors.add(f"{at}.intent", "A referral's intent is 'order'.")
    if shape.obj(request.get("subject"), f"{at}.subject").get("reference") != patient_url:
        errors.add(f"{at}.subject", "The subject must be the Patient entry's fullUrl.")
    _read_identifier(inbound, request, at)
    _read_performer(inbound, request, at, errors)
    reasons: list[str] = []
    for r, concept in enumerate(shape.objs(request.get("reasonCode"), f"{at}.reasonCode")):
        ours = shape.codes(concept, code_system("referral-reason"), f"{at}.reasonCode[{r}]")
        if not ours:
            errors.add(f"{at}.reasonCode[{r}]", "Each reason must have a coding in the referral-reason code system.")
        inbound.origins[f"reasons.{len(reasons)}"] = f"{at}.reasonCode[{r}]"
        reasons.extend(ours[:1])
    inbound.body["reasons"] = reasons
    inbound.origins["reasons"] = f"{at}.reasonCode"
    priority = shape.text(request.get("priority"), f"{at}.priority")
    if priority is not None:
        inbound.body["urgency"] = URGENCY_BY_PRIORITY.get(priority, priority)
        inbound.origins["urgency"] = f"{at}.priority"
    _read_notes(inbound, request, at, errors)
    _read_municipal_contacts(inbound, request, at)


def _read_identifier(inbound: InboundReferral, request: dict[str, Any], at: str) -> None:
    """The first identifier with a system and a value (each a string, or 422: a replay must be recognised)."""
    for i, identifier in enumerate(shape.objs(request.get("identifier"), f"{at}.identifier")):
        system = shape.text(identifier.get("system"), f"{at}.identifier[{i}].system")
        value = shape.text(identifier.get("value"), f"{at}.identifier[{i}].value")
        if system and value:
            inbound.identifier = f"{system}|{value}"
            inbound.origins["identifier"] = f"{at}.identifier[{i}]"
            return


def _read_performer(inbound: InboundReferral, request: dict[str, Any], at: str, errors: Errors) -> None:
    performers = shape.objs(request.get("performer"), f"{at}.performer")
    inbound.origins["clinic_id"] = f"{at}.performer[0]"
    if len(performers) != 1:
        errors.add(f"{at}.performer", "Name exactly one performer: the BUP clinic.")
        return
    performer = performers[0]
    matched = ORGANIZATION_REF.match(shape.text(performer.get("reference"), f"{at}.performer[0].reference") or "")
    identifier = shape.obj(performer.get("identifier"), f"{at}.performer[0].identifier")
    if matched:
        inbound.body["clinic_id"] = matched.group(1)
        inbound.origins["clinic_id"] = f"{at}.performer[0].reference"
    elif identifier.get("system") == HER_ID and isinstance(identifier.get("value"), str):
        inbound.clinic_her_id = identifier["value"]
        inbound.origins["clinic_id"] = f"{at}.performer[0].identifier.value"
    else:
        errors.add(f"{at}.performer[0]", "Name the clinic as Organization/{id} or by its HER-id.")


def _note_kind(note: dict[str, Any], at: str) -> str | None:
    for e, ext in enumerate(shape.objs(note.get("extension"), f"{at}.extension")):
        if ext.get("url") == extension("note-kind"):
            coding = shape.obj(ext.get("valueCoding"), f"{at}.extension[{e}].valueCoding")
            return (shape.text(ext.get("valueCode"), f"{at}.extension[{e}].valueCode")
                    or shape.text(coding.get("code"), f"{at}.extension[{e}].valueCoding.code"))
    return None


def _read_notes(inbound: InboundReferral, request: dict[str, Any], at: str, errors: Errors) -> None:
    for n, note in enumerate(shape.objs(request.get("note"), f"{at}.note")):
        kind = _note_kind(note, f"{at}.note[{n}]") or "description"
        body_field = NOTE_FIELDS.get(kind)
        if body_field is None:
            errors.add(f"{at}.note[{n}].extension", "The note-kind is not one of this server's.")
        elif body_field in inbound.body:
            errors.add(f"{at}.note[{n}]", "Send one note of each kind.")
        else:
            inbound.body[body_field] = note.get("text")
            inbound.origins[body_field] = f"{at}.note[{n}].text"


def _read_municipal_contacts(inbound: InboundReferral, request: dict[str, Any], at: str) -> None:
    """The people in the municipality around the child: a contained CareTeam the request's supportingInfo names."""
    teams = {f"#{c.get('id')}": (i, c) for i, c in enumerate(shape.objs(request.get("contained"), f"{at}.contained"))
             if c.get("resourceType") == "CareTeam"}
    contacts: list[dict[str, Any]] = []
    for info in shape.objs(request.get("supportingInfo"), f"{at}.supportingInfo"):
        team_at = teams.get(str(info.get("reference")))
        if team_at is None:
            continue
        t, team = team_at
        for p, participant in enumerate(shape.objs(team.get("participant"), f"{at}.contained[{t}].participant")):
            path = f"{at}.contained[{t}].participant[{p}]"
            roles = [shape.text(r.get("text"), f"{path}.role[{i}].text")
                     for i, r in enumerate(shape.objs(participant.get("role"), f"{path}.role"))]
            on_behalf_of = shape.obj(participant.get("onBehalfOf"), f"{path}.onBehalfOf")
            organisation = ORGANIZATION_REF.match(shape.text(on_behalf_of.get("reference"),
                                                             f"{path}.onBehalfOf.reference") or "")
            inbound.origins[f"municipal_contacts.{len(contacts)}"] = path
            inbound.origins[f"municipal_contacts.{len(contacts)}.role"] = f"{path}.role"
            inbound.origins[f"municipal_contacts.{len(contacts)}.name"] = f"{path}.member.display"
            inbound.origins[f"municipal_contacts.{len(contacts)}.organisation_id"] = f"{path}.onBehalfOf"
            contacts.append({"role": next((r for r in roles if r), ""),
                             "name": shape.obj(participant.get("member"), f"{path}.member").get("display") or "",
                             "organisation_id": organisation.group(1) if organisation else None})
    inbound.body["municipal_contacts"] = contacts
    inbound.origins["municipal_contacts"] = f"{at}.supportingInfo"
