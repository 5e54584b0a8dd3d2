"""A journal system's transaction Bundle read back into the body `POST /api/v1/referrals` takes (FHIR.md §9).

Pure: the Bundle in, the REST body out, with where in the Bundle each field came from, so that the REST service's
field errors can be told as FHIR paths (`Bundle.entry[0].resource.identifier[0].value`). The body is then checked
by the same schema and created by the same service as the REST API's; nothing here decides what a valid referral
is. Messages name what is wrong, never the value sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from referral_service.errors import InvalidData
from referral_service.fhir.codes import (
    D_NUMMER,
    FODSELSNUMMER,
    HER_ID,
    KOMMUNENUMMER,
    KOMMUNENUMMER_URI,
    MUNICIPALITY_EXTENSION,
    PARTICIPATION_TYPE,
    ROLE_CODE,
    code_system,
    extension,
)

#: The entries a transaction may hold, and how many of each (FHIR.md §9).
REQUIRED_ENTRIES = ("Patient", "ServiceRequest")
OPTIONAL_ENTRIES = ("Consent",)
#: The identity numbers a child may be sent with; other national systems (H-nummer, FH-nummer) are refused.
CHILD_NUMBER_SYSTEMS = (FODSELSNUMMER, D_NUMMER)
REFUSED_NUMBER_SYSTEMS = ("urn:oid:2.16.578.1.12.4.1.4.3", "urn:oid:2.16.578.1.12.4.1.4.5")
INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
#: ServiceRequest.priority -> the referral's urgency.
URGENCY_BY_PRIORITY = {"routine": "normal", "urgent": "urgent"}
#: The ServiceRequest statuses a journal system may send a new referral with: it becomes a draft either way.
NEW_REQUEST_STATUSES = ("draft", "active")
#: `note-kind` code -> the referral's text field (either spelling of the code).
NOTE_FIELDS = {"description": "description", "measures-tried": "measures_tried", "measures_tried": "measures_tried",
               "child-view": "child_view", "child_view": "child_view"}
#: Consent.provision.actor, by the display of a recipient without an Organization -> what the consent shares with.
RECIPIENTS = {"bup": "bup", "municipality": "municipality", "kommunen": "municipality", "kommune": "municipality",
              "school": "school", "skolen": "school", "skole": "school", "child_welfare": "child_welfare",
              "barnevernet": "child_welfare", "barnevern": "child_welfare", "barneverntjenesten": "child_welfare"}
#: Consent.performer named by display only -> who gave the consent (as the Consent reader names them).
GIVERS = {"foresatte": "guardian", "guardian": "guardian", "barneverntjenesten": "child_welfare",
          "barnevernet": "child_welfare", "child_welfare": "child_welfare"}
ORGANIZATION_REF = re.compile(r"^(?:.*/)?Organization/([A-Za-z0-9\-.]{1,64})$")


@dataclass
class InboundReferral:
    """What a transaction Bundle asks for, as the REST API's body."""

    #: The body of POST /api/v1/referrals (before its schema loads it).
    body: dict[str, Any] = field(default_factory=dict)
    #: A body field ("child.national_id", "consent") -> the FHIR element it came from.
    origins: dict[str, str] = field(default_factory=dict)
    #: The request entries' resource types, in the Bundle's order (the answer has one entry for each).
    entries: list[str] = field(default_factory=list)
    #: The clinic named by its HER-id (the service finds its id); its FHIR path.
    clinic_her_id: str | None = None
    #: Consent.provision.actor naming an Organization: its id -> the FHIR path (the service looks up its kind).
    recipient_organisations: dict[str, str] = field(default_factory=dict)
    #: The ServiceRequest's business identifier ("system|value"), for replays without an Idempotency-Key.
    identifier: str | None = None

    def fhir_path(self, body_field: str) -> str | None:
        """The FHIR element a REST field error is about: the field's own origin, or its nearest parent's."""
        parts = body_field.split(".")
        for end in range(len(parts), 0, -1):
            origin = self.origins.get(".".join(parts[:end]))
            if origin is not None:
                return origin
        return None


class _Errors(dict[str, list[str]]):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def read_transaction(bundle: Any) -> InboundReferral:
    """The draft referral a transaction Bundle asks for; 422 (with FHIR paths) for anything else."""
    errors = _Errors()
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidData("Send a Bundle.", errors={"Bundle": ["Must be a Bundle resource."]})
    if bundle.get("type") != "transaction":
        raise InvalidData("Only a transaction Bundle may be sent here.",
                          errors={"Bundle.type": ["Must be 'transaction'."]})
    found = _request_entries(bundle, errors)
    for kind in REQUIRED_ENTRIES:
        if kind not in found and not errors:
            errors.add("Bundle.entry", f"A transaction must hold one POST {kind} entry.")
    if errors:
        raise InvalidData("The Bundle holds entries this server does not take.", errors=errors)
    inbound = InboundReferral(entries=[kind for kind, _ in sorted(found.items(), key=lambda item: item[1][0])])
    patient_at, patient = found["Patient"][0], found["Patient"][1]
    patient_url = found["Patient"][2]
    _read_patient(inbound, patient, f"Bundle.entry[{patient_at}].resource", errors)
    request_at, service_request = found["ServiceRequest"][0], found["ServiceRequest"][1]
    _read_service_request(inbound, service_request, f"Bundle.entry[{request_at}].resource", patient_url, errors)
    if "Consent" in found:
        consent_at, consent = found["Consent"][0], found["Consent"][1]
        _read_consent(inbound, consent, f"Bundle.entry[{consent_at}].resource", patient_url, errors)
    if errors:
        raise InvalidData("The referral in the Bundle is not valid.", errors=errors)
    return inbound


def _request_entries(bundle: dict[str, Any], errors: _Errors) -> dict[str, tuple[int, dict[str, Any], str]]:
    """Resource type -> (entry index, resource, fullUrl) for each allowed entry; errors for every other."""
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        errors.add("Bundle.entry", "A transaction must hold a Patient and a ServiceRequest.")
        return {}
    found: dict[str, tuple[int, dict[str, Any], str]] = {}
    for i, entry in enumerate(entries):
        at = f"Bundle.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        request = (entry.get("request") or {}) if isinstance(entry, dict) else {}
        if kind not in REQUIRED_ENTRIES + OPTIONAL_ENTRIES:
            errors.add(f"{at}.resource", "Only Patient, ServiceRequest and Consent entries are taken.")
            continue
        assert isinstance(resource, dict)
        if request.get("method") != "POST" or request.get("url") != kind:
            errors.add(f"{at}.request", f"Each entry must be a POST to '{kind}'.")
        full_url = entry.get("fullUrl")
        if not isinstance(full_url, str) or not full_url.startswith("urn:uuid:"):
            errors.add(f"{at}.fullUrl", "Each entry must have a 'urn:uuid:' fullUrl.")
        if kind in found:
            errors.add(f"{at}.resource", f"Only one {kind} may be sent.")
            continue
        found[kind] = (i, resource, full_url if isinstance(full_url, str) else "")
    return found


def _codes(concept: Any, system: str) -> list[str]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [str(c["code"]) for c in codings or [] if isinstance(c, dict) and c.get("system") == system
            and isinstance(c.get("code"), str)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _read_patient(inbound: InboundReferral, patient: dict[str, Any], at: str, errors: _Errors) -> None:
    child: dict[str, Any] = {}
    inbound.body["child"] = child
    inbound.origins["child"] = at
    numbers = [(j, i) for j, i in enumerate(patient.get("identifier") or []) if isinstance(i, dict)]
    for j, identifier in numbers:
        if identifier.get("system") in REFUSED_NUMBER_SYSTEMS:
            errors.add(f"{at}.identifier[{j}].system", "H-numbers and FH-numbers are not taken yet.")
    children = [(j, i) for j, i in numbers if i.get("system") in CHILD_NUMBER_SYSTEMS]
    if len(children) != 1:
        errors.add(f"{at}.identifier", "The Patient must have exactly one fødselsnummer or D-nummer.")
    else:
        j, identifier = children[0]
        value = identifier.get("value")
        child["national_id"] = value.strip() if isinstance(value, str) else value
        inbound.origins["child.national_id"] = f"{at}.identifier[{j}].value"
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    index = names.index(name) if name in names else 0
    child["given_name"] = " ".join(g for g in name.get("given") or [] if isinstance(g, str))
    child["family_name"] = _text(name.get("family")) or ""
    inbound.origins["child.given_name"] = f"{at}.name[{index}].given"
    inbound.origins["child.family_name"] = f"{at}.name[{index}].family"
    if patient.get("birthDate") is not None:
        child["birth_date"] = patient["birthDate"]
        inbound.origins["child.birth_date"] = f"{at}.birthDate"
    _read_home_municipality(inbound, child, patient, at)
    _read_guardians(inbound, child, patient, at)
    _read_interpreter(inbound, patient, at)


def _read_home_municipality(inbound: InboundReferral, child: dict[str, Any], patient: dict[str, Any],
                            at: str) -> None:
    inbound.origins["child.home_municipality"] = f"{at}.address"
    for a, address in enumerate(patient.get("address") or []):
        district = (address or {}).get("_district") or {}
        for e, ext in enumerate(district.get("extension") or []):
            coding = (ext or {}).get("valueCoding") or {}
            if ext.get("url") == MUNICIPALITY_EXTENSION and coding.get("system") in (KOMMUNENUMMER,
                                                                                     KOMMUNENUMMER_URI):
                child["home_municipality"] = coding.get("code")
                inbound.origins["child.home_municipality"] = (
                    f"{at}.address[{a}].district.extension[{e}].valueCoding.code")
                return


def _read_guardians(inbound: InboundReferral, child: dict[str, Any], patient: dict[str, Any], at: str) -> None:
    guardians: list[dict[str, Any]] = []
    for c, contact in enumerate(patient.get("contact") or []):
        if not isinstance(contact, dict) or not any(
                "GUARD" in _codes(r, ROLE_CODE) for r in contact.get("relationship") or []):
            continue
        name = contact.get("name") or {}
        full_name = _text(name.get("text")) or " ".join(
            [*(g for g in name.get("given") or [] if isinstance(g, str)), _text(name.get("family")) or ""]).strip()
        guardian: dict[str, Any] = {"name": full_name}
        for telecom in contact.get("telecom") or []:
            if (telecom or {}).get("system") in ("phone", "email"):
                guardian[telecom["system"]] = telecom.get("value")
        inbound.origins[f"child.guardians.{len(guardians)}"] = f"{at}.contact[{c}]"
        inbound.origins[f"child.guardians.{len(guardians)}.name"] = f"{at}.contact[{c}].name"
        guardians.append(guardian)
    child["guardians"] = guardians


def _read_interpreter(inbound: InboundReferral, patient: dict[str, Any], at: str) -> None:
    required = [e for e in patient.get("extension") or [] if (e or {}).get("url") == INTERPRETER_REQUIRED]
    if not required:
        return
    languages = [c for c in patient.get("communication") or [] if isinstance(c, dict)]
    preferred = next((c for c in languages if c.get("preferred")), languages[0] if languages else {})
    codes = [c.get("code") for c in (preferred.get("language") or {}).get("coding") or [] if isinstance(c, dict)]
    inbound.body["interpreter"] = {"needed": required[0].get("valueBoolean"),
                                   "language": codes[0] if codes else None}
    inbound.origins["interpreter"] = f"{at}.extension"
    inbound.origins["interpreter.language"] = f"{at}.communication"


def _read_service_request(inbound: InboundReferral, request: dict[str, Any], at: str, patient_url: str,
                          errors: _Errors) -> None:
    if request.get("status") not in NEW_REQUEST_STATUSES:
        errors.add(f"{at}.status", "A new referral is sent as 'draft' or 'active' (it becomes a draft).")
    if request.get("intent") != "order":
        errors.add(f"{at}.intent", "A referral's intent is 'order'.")
    if ((request.get("subject") or {}).get("reference")) != patient_url:
        errors.add(f"{at}.subject", "The subject must be the Patient entry's fullUrl.")
    _read_identifier(inbound, request, at)
    _read_performer(inbound, request, at, errors)
    reasons: list[str] = []
    for r, concept in enumerate(request.get("reasonCode") or []):
        ours = _codes(concept, code_system("referral-reason"))
        if not ours:
            errors.add(f"{at}.reasonCode[{r}]", "Each reason must have a coding in the referral-reason code system.")
        inbound.origins[f"reasons.{len(reasons)}"] = f"{at}.reasonCode[{r}]"
        reasons.extend(ours[:1])
    inbound.body["reasons"] = reasons
    inbound.origins["reasons"] = f"{at}.reasonCode"
    if request.get("priority") is not None:
        inbound.body["urgency"] = URGENCY_BY_PRIORITY.get(request["priority"], request["priority"])
        inbound.origins["urgency"] = f"{at}.priority"
    _read_notes(inbound, request, at, errors)
    _read_municipal_contacts(inbound, request, at)


def _read_identifier(inbound: InboundReferral, request: dict[str, Any], at: str) -> None:
    for i, identifier in enumerate(request.get("identifier") or []):
        system, value = (identifier or {}).get("system"), (identifier or {}).get("value")
        if isinstance(system, str) and isinstance(value, str) and value:
            inbound.identifier = f"{system}|{value}"
            inbound.origins["identifier"] = f"{at}.identifier[{i}]"
            return


def _read_performer(inbound: InboundReferral, request: dict[str, Any], at: str, errors: _Errors) -> None:
    performers = [p for p in request.get("performer") or [] if isinstance(p, dict)]
    inbound.origins["clinic_id"] = f"{at}.performer[0]"
    if len(performers) != 1:
        errors.add(f"{at}.performer", "Name exactly one performer: the BUP clinic.")
        return
    performer = performers[0]
    matched = ORGANIZATION_REF.match(performer.get("reference") or "")
    identifier = performer.get("identifier") or {}
    if matched:
        inbound.body["clinic_id"] = matched.group(1)
        inbound.origins["clinic_id"] = f"{at}.performer[0].reference"
    elif identifier.get("system") == HER_ID and isinstance(identifier.get("value"), str):
        inbound.clinic_her_id = identifier["value"]
        inbound.origins["clinic_id"] = f"{at}.performer[0].identifier.value"
    else:
        errors.add(f"{at}.performer[0]", "Name the clinic as Organization/{id} or by its HER-id.")


def _note_kind(note: dict[str, Any]) -> str | None:
    for ext in note.get("extension") or []:
        if (ext or {}).get("url") == extension("note-kind"):
            return ext.get("valueCode") or (ext.get("valueCoding") or {}).get("code")
    return None


def _read_notes(inbound: InboundReferral, request: dict[str, Any], at: str, errors: _Errors) -> None:
    for n, note in enumerate(request.get("note") or []):
        kind = _note_kind(note or {}) or "description"
        body_field = NOTE_FIELDS.get(kind)
        if body_field is None:
            errors.add(f"{at}.note[{n}].extension", "The note-kind is not one of this server's.")
        elif body_field in inbound.body:
            errors.add(f"{at}.note[{n}]", "Send one note of each kind.")
        else:
            inbound.body[body_field] = (note or {}).get("text")
            inbound.origins[body_field] = f"{at}.note[{n}].text"


def _read_municipal_contacts(inbound: InboundReferral, request: dict[str, Any], at: str) -> None:
    """The people in the municipality around the child: a contained CareTeam the request's supportingInfo names."""
    teams = {f"#{c.get('id')}": (i, c) for i, c in enumerate(request.get("contained") or [])
             if isinstance(c, dict) and c.get("resourceType") == "CareTeam"}
    contacts: list[dict[str, Any]] = []
    for info in request.get("supportingInfo") or []:
        team_at = teams.get(str((info or {}).get("reference")))
        if team_at is None:
            continue
        t, team = team_at
        for p, participant in enumerate(team.get("participant") or []):
            roles = [_text((r or {}).get("text")) for r in participant.get("role") or []]
            organisation = ORGANIZATION_REF.match(((participant.get("onBehalfOf") or {}).get("reference")) or "")
            path = f"{at}.contained[{t}].participant[{p}]"
            inbound.origins[f"municipal_contacts.{len(contacts)}"] = path
            inbound.origins[f"municipal_contacts.{len(contacts)}.role"] = f"{path}.role"
            inbound.origins[f"municipal_contacts.{len(contacts)}.name"] = f"{path}.member.display"
            inbound.origins[f"municipal_contacts.{len(contacts)}.organisation_id"] = f"{path}.onBehalfOf"
            contacts.append({"role": next((r for r in roles if r), ""),
                             "name": (participant.get("member") or {}).get("display") or "",
                             "organisation_id": organisation.group(1) if organisation else None})
    inbound.body["municipal_contacts"] = contacts
    inbound.origins["municipal_contacts"] = f"{at}.supportingInfo"


def _read_consent(inbound: InboundReferral, consent: dict[str, Any], at: str, patient_url: str,
                  errors: _Errors) -> None:
    if consent.get("status") != "active":
        errors.add(f"{at}.status", "A consent sent with a referral is 'active'.")
    if ((consent.get("patient") or {}).get("reference")) != patient_url:
        errors.add(f"{at}.patient", "The patient must be the Patient entry's fullUrl.")
    provision = consent.get("provision") or {}
    if provision and provision.get("type", "permit") != "permit":
        errors.add(f"{at}.provision.type", "The consent's provision permits.")
    withhold = _withholds_from_guardians(provision)
    recorded = consent.get("dateTime")
    inbound.body["consent"] = {"given_by": _consent_givers(consent, patient_url),
                               "share_with": _recipients(inbound, provision, at, errors),
                               "recorded_on": recorded[:10] if isinstance(recorded, str) else recorded,
                               "withhold_from_guardians": withhold}
    inbound.origins.update({"consent": at, "consent.given_by": f"{at}.performer",
                            "consent.share_with": f"{at}.provision.actor", "consent.recorded_on": f"{at}.dateTime",
                            "consent.withhold_from_guardians": f"{at}.provision.provision"})


def _consent_givers(consent: dict[str, Any], patient_url: str) -> list[str]:
    """Who gave the consent: the child (the Patient), a guardian (a RelatedPerson), or child welfare."""
    given_by: list[str] = []
    for performer in consent.get("performer") or []:
        reference = (performer or {}).get("reference") or ""
        if reference == patient_url:
            given_by.append("child")
        elif reference.startswith("#") or reference.startswith("RelatedPerson"):
            given_by.append("guardian")
        elif ORGANIZATION_REF.match(reference):
            given_by.append("child_welfare")
        elif ((performer or {}).get("display") or "").strip().lower() in GIVERS:
            given_by.append(GIVERS[performer["display"].strip().lower()])
    return sorted(set(given_by))


def _withholds_from_guardians(provision: dict[str, Any]) -> bool:
    """A nested deny naming the guardians (a contained RelatedPerson, the GUARD role, or "Foresatte")."""
    for nested in provision.get("provision") or []:
        if (nested or {}).get("type") != "deny":
            continue
        for actor in nested.get("actor") or []:
            reference = (actor or {}).get("reference") or {}
            if ("GUARD" in _codes((actor or {}).get("role"), ROLE_CODE)
                    or (reference.get("reference") or "").startswith(("#", "RelatedPerson"))
                    or GIVERS.get((reference.get("display") or "").strip().lower()) == "guardian"):
                return True
    return False


def _recipient(display: Any) -> str | None:
    """What a recipient named by display only is: one of ours, or a municipality by its name ("Askøy kommune")."""
    words = display.strip().lower() if isinstance(display, str) else ""
    return RECIPIENTS.get(words) or ("municipality" if words.endswith(" kommune") else None)


def _recipients(inbound: InboundReferral, provision: dict[str, Any], at: str, errors: _Errors) -> list[str]:
    """What the consent shares with, from the recipients (IRCP) named by display; those named as an Organization
    are left to the service, which knows their kind."""
    share_with: list[str] = []
    for a, actor in enumerate(provision.get("actor") or []):
        if "IRCP" not in _codes((actor or {}).get("role"), PARTICIPATION_TYPE):
            continue
        reference = (actor or {}).get("reference") or {}
        organisation = ORGANIZATION_REF.match(reference.get("reference") or "")
        if organisation:
            inbound.recipient_organisations[organisation.group(1)] = f"{at}.provision.actor[{a}].reference"
        elif _recipient(reference.get("display")) is not None:
            share_with.append(str(_recipient(reference.get("display"))))
        else:
            errors.add(f"{at}.provision.actor[{a}].reference",
                       "Name a recipient as Organization/{id}, or as BUP, the municipality, the school or the "
                       "child welfare service.")
    return share_with


def transaction_response(*, entries: list[str], referral_id: str, version: int, child_id: str, created: bool,
                         last_modified: str) -> dict[str, Any]:
    """The `transaction-response`: one entry per request entry, in the request's order, each with where the
    resource now lives (a repeat of an earlier transaction answers 200 with the same places)."""
    status = "201 Created" if created else "200 OK"
    places = {
        "Patient": (f"Patient/{child_id}", None),
        "ServiceRequest": (f"ServiceRequest/{referral_id}/_history/{version}", version),
        "Consent": (f"Consent/{referral_id}", version),
    }
    answers = []
    for kind in entries:
        location, entry_version = places[kind]
        response: dict[str, Any] = {"status": status, "location": location, "lastModified": last_modified}
        if entry_version is not None:
            response["etag"] = f'W/"{entry_version}"'
        answers.append({"response": response})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}
