"""Writing through /fhir: a journal system's transaction Bundle creates a draft exactly as POST /api/v1/referrals
does, and BUP's system takes the lifecycle actions through Task updates (issue 16, must-show 2 and 3)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.fhir.codes import (
    FODSELSNUMMER,
    KOMMUNENUMMER,
    MUNICIPALITY_EXTENSION,
    PARTICIPATION_TYPE,
    ROLE_CODE,
    code_system,
    extension,
)
from tests.support.fhir import FHIR_JSON, fhir_get, outcome_of, validated
from tests.support.loop import InProcessWorker

#: The identifier system a GP's journal system numbers its referrals in (any system of its own).
EPJ_REFERRALS = "urn:oid:2.16.578.1.12.4.1.7.9999.1"
#: Rows a refused Bundle must leave as they were.
WRITTEN_TABLES = ("referral", "child", "consent", "referral_event", "municipal_contact", "outbox_message",
                  "idempotency_record")


def bundle_for(world, body: dict[str, Any], *, identifier: str | None = None) -> dict[str, Any]:
    """The transaction Bundle a journal system sends for the REST body `body` (world.referral_body)."""
    child = body["child"]
    patient_url, request_url, consent_url = (f"urn:uuid:{uuid.uuid4()}" for _ in range(3))
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": FODSELSNUMMER, "value": child["national_id"]}],
        "name": [{"use": "official", "family": child["family_name"], "given": [child["given_name"]]}],
        "address": [{"_district": {"extension": [{"url": MUNICIPALITY_EXTENSION, "valueCoding": {
            "system": KOMMUNENUMMER, "code": child["home_municipality"]}}]}}],
        "contact": [{"relationship": [{"coding": [{"system": ROLE_CODE, "code": "GUARD"}]}],
                     "name": {"text": g["name"]}, "telecom": [{"system": "phone", "value": g["phone"]}]}
                    for g in child["guardians"]],
    }
    if body.get("interpreter"):
        patient["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired",
                                 "valueBoolean": body["interpreter"]["needed"]}]
        patient["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47",
                                                               "code": body["interpreter"]["language"]}]}}]
    notes = [(kind, body[field]) for kind, field in (("description", "description"),
                                                     ("measures-tried", "measures_tried"),
                                                     ("child-view", "child_view"))]
    service_request = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": EPJ_REFERRALS, "value": identifier or str(uuid.uuid4())}],
        "status": "active", "intent": "order", "priority": "routine",
        "subject": {"reference": patient_url},
        "requester": {"display": "Fastlegen"},
        "performer": [{"reference": f"Organization/{body['clinic_id']}"}],
        "reasonCode": [{"coding": [{"system": code_system("referral-reason"), "code": r}]} for r in body["reasons"]],
        "note": [{"extension": [{"url": extension("note-kind"), "valueCode": kind}], "text": value}
                 for kind, value in notes],
        "contained": [{"resourceType": "CareTeam", "id": "contacts", "participant": [
            {"role": [{"text": c["role"]}], "member": {"display": c["name"]},
             "onBehalfOf": {"reference": f"Organization/{c['organisation_id']}"}}
            for c in body["municipal_contacts"]]}],
        "supportingInfo": [{"reference": "#contacts"}, {"reference": consent_url}],
    }
    consent = {
        "resourceType": "Consent", "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "64292-6"}]}],
        "patient": {"reference": patient_url},
        "dateTime": body["consent"]["recorded_on"],
        "performer": [{"reference": {"guardian": "#guardian", "child": patient_url}[giver]}
                      for giver in body["consent"]["given_by"]],
        "contained": [{"resourceType": "RelatedPerson", "id": "guardian", "patient": {"reference": patient_url},
                       "relationship": [{"coding": [{"system": ROLE_CODE, "code": "GUARD"}]}]}],
        "policy": [{"uri": "https://lovdata.no/lov/1999-07-02-63"}],
        "provision": {"type": "permit", "actor": [
            {"role": {"coding": [{"system": PARTICIPATION_TYPE, "code": "IRCP"}]}, "reference": {"display": who}}
            for who in body["consent"]["share_with"]]},
    }
    if body["consent"].get("withhold_from_guardians"):
        consent["provision"]["provision"] = [{"type": "deny", "actor": [{
            "role": {"coding": [{"system": PARTICIPATION_TYPE, "code": "IRCP"}]},
            "reference": {"reference": "#guardian"}}]}]
    entries = [(patient_url, patient), (request_url, service_request), (consent_url, consent)]
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": url, "resource": resource,
                         "request": {"method": "POST", "url": resource["resourceType"]}}
                        for url, resource in entries]}
    return validated(bundle, "Bundle")


def post_bundle(world, bundle: Any, who: str = "gp", **headers: str):
    return world.client.post("/fhir", json=bundle, headers=world.headers(who, **headers))


def created_ids(response) -> dict[str, str]:
    """The ids in a transaction-response's locations, by resource type."""
    answer = validated(response.get_json(), "Bundle")
    assert answer["type"] == "transaction-response"
    return {entry["response"]["location"].split("/")[0]: entry["response"]["location"].split("/")[1]
            for entry in answer["entry"]}


def row_counts(world) -> dict[str, int]:
    with world.app.extensions["referral_db"].engine.connect() as connection:
        return {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in WRITTEN_TABLES}


#: What differs between two drafts of the same content: who they are, and when.
IDENTITY_FIELDS = {"id", "created_at", "updated_at", "recorded_at"}


def content_of(referral: dict[str, Any]) -> dict[str, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in IDENTITY_FIELDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(referral)


def test_a_gps_transaction_bundle_creates_a_draft_the_rest_api_shows_as_its_own(world):
    body = world.referral_body(interpreter={"needed": True, "language": "ar"})
    body["consent"] |= {"given_by": ["child", "guardian"], "withhold_from_guardians": True}
    response = post_bundle(world, bundle_for(world, body))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    answer = validated(response.get_json(), "Bundle")
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * 3
    ids = created_ids(response)
    referral_id = ids["ServiceRequest"]
    assert answer["entry"][1]["response"]["location"] == f"ServiceRequest/{referral_id}/_history/1"
    assert answer["entry"][1]["response"]["etag"] == 'W/"1"'
    assert answer["entry"][2]["response"]["location"] == f"Consent/{referral_id}"
    from_fhir = world.get("gp", f"/api/v1/referrals/{referral_id}").json
    assert from_fhir["status"] == "draft"
    assert from_fhir["interpreter"]["language"] == "ar" and from_fhir["consent"]["withhold_from_guardians"]
    assert from_fhir["consent"]["given_by"] == ["child", "guardian"] and len(from_fhir["municipal_contacts"]) == 1
    assert ids["Patient"] == from_fhir["child"]["id"]

    from_rest = world.create_referral(**body)
    shown = world.get("gp", f"/api/v1/referrals/{from_rest['id']}").json
    assert content_of(from_fhir) == content_of(shown)
    assert body["child"]["national_id"] not in response.get_data(as_text=True)


def test_an_invalid_identity_number_is_422_without_the_number_and_writes_nothing(world):
    for bad in ("12345678901", "123456 78901"):
        body = world.referral_body()
        body["child"]["national_id"] = bad
        before = row_counts(world)
        response = post_bundle(world, bundle_for(world, body))
        assert response.status_code == 422, response.get_data(as_text=True)
        outcome = outcome_of(response)
        said = response.get_data(as_text=True)
        assert bad not in said and bad.replace(" ", "") not in said and "78901" not in said
        assert ["Bundle.entry[0].resource.identifier[0].value"] in [i.get("expression") for i in outcome["issue"]]
        assert {i["code"] for i in outcome["issue"]} == {"invalid"}
        assert row_counts(world) == before


P, SR, C = "Bundle.entry[0].resource", "Bundle.entry[1].resource", "Bundle.entry[2].resource"


def _set(entry: int, path: str, value: Any) -> Any:
    """A change to one element of a Bundle's entries: `path` is dotted, with list indexes as numbers."""
    def change(entries: list[dict[str, Any]]) -> None:
        *parents, last = path.split(".")
        node: Any = entries[entry]
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return change


#: Elements of the wrong JSON shape (review16 fuzz1: each was a 500, or read letter by letter, or dropped): each
#: is 422 at its own path.
MALFORMED: dict[str, tuple[Any, str]] = {
    "request a string": (_set(0, "request", "POST Patient"), "Bundle.entry[0].request"),
    "address a string": (_set(0, "resource.address", "x"), f"{P}.address"),
    "address[0] a string": (_set(0, "resource.address", ["x"]), f"{P}.address[0]"),
    "_district a string": (_set(0, "resource.address.0._district", "x"), f"{P}.address[0]._district"),
    "contact a string": (_set(0, "resource.contact", "x"), f"{P}.contact"),
    "contact[0] a string": (_set(0, "resource.contact", ["x"]), f"{P}.contact[0]"),
    "contact name a string": (_set(0, "resource.contact.0.name", "x"), f"{P}.contact[0].name"),
    "contact telecom a string": (_set(0, "resource.contact.0.telecom", "x"), f"{P}.contact[0].telecom"),
    "Patient extension a string": (_set(0, "resource.extension", "x"), f"{P}.extension"),
    "communication a string": (_set(0, "resource.communication", "x"), f"{P}.communication"),
    "communication language a string": (_set(0, "resource.communication", [{"language": "x"}]),
                                        f"{P}.communication[0].language"),
    "given a string": (_set(0, "resource.name.0.given", "Ola"), f"{P}.name[0].given"),
    "given a number": (_set(0, "resource.name.0.given", [5]), f"{P}.name[0].given[0]"),
    "subject a string": (_set(1, "resource.subject", "x"), f"{SR}.subject"),
    "performer reference a number": (_set(1, "resource.performer.0.reference", 5), f"{SR}.performer[0].reference"),
    "identifier a string": (_set(1, "resource.identifier", "x"), f"{SR}.identifier"),
    "identifier value a number": (_set(1, "resource.identifier.0.value", 20260001), f"{SR}.identifier[0].value"),
    "note a string": (_set(1, "resource.note", "x"), f"{SR}.note"),
    "note[0] a string": (_set(1, "resource.note", ["x"]), f"{SR}.note[0]"),
    "note extension a string": (_set(1, "resource.note.0.extension", "x"), f"{SR}.note[0].extension"),
    "priority a list": (_set(1, "resource.priority", ["urgent"]), f"{SR}.priority"),
    "participant a string": (_set(1, "resource.contained.0.participant", "x"), f"{SR}.contained[0].participant"),
    "participant role a string": (_set(1, "resource.contained.0.participant.0.role", "x"),
                                  f"{SR}.contained[0].participant[0].role"),
    "supportingInfo a string": (_set(1, "resource.supportingInfo", "x"), f"{SR}.supportingInfo"),
    "Consent performer a string": (_set(2, "resource.performer", "x"), f"{C}.performer"),
    "provision a string": (_set(2, "resource.provision", "x"), f"{C}.provision"),
    "provision actor a string": (_set(2, "resource.provision.actor", "x"), f"{C}.provision.actor"),
    "actor reference a string": (_set(2, "resource.provision.actor.0.reference", "x"),
                                 f"{C}.provision.actor[0].reference"),
    "nested provision a string": (_set(2, "resource.provision.provision", "x"), f"{C}.provision.provision"),
    "nested provision[0] a string": (_set(2, "resource.provision.provision", ["x"]), f"{C}.provision.provision[0]"),
}


def test_bundles_this_server_does_not_take_are_422_and_write_nothing(world):
    body = world.referral_body()
    good = bundle_for(world, body)
    extra = copy.deepcopy(good)
    extra["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "request": {"method": "POST", "url": "Observation"},
                           "resource": {"resourceType": "Observation", "status": "final",
                                        "code": {"text": "Vekt"}}})
    no_request = copy.deepcopy(good)
    del no_request["entry"][1]
    unknown_clinic = copy.deepcopy(good)
    unknown_clinic["entry"][1]["resource"]["performer"] = [{"reference": f"Organization/{uuid.uuid4()}"}]
    batch = copy.deepcopy(good) | {"type": "batch"}
    put = copy.deepcopy(good)
    put["entry"][0]["request"] = {"method": "PUT", "url": "Patient/x"}
    cases = {
        "extra entry": (extra, "Bundle.entry[3].resource"),
        "missing ServiceRequest": (no_request, "Bundle.entry"),
        "unknown clinic": (unknown_clinic, "Bundle.entry[1].resource.performer[0].reference"),
        "not a transaction": (batch, "Bundle.type"),
        "not a POST": (put, "Bundle.entry[0].request"),
    }
    for name, (change, expression) in MALFORMED.items():
        malformed = copy.deepcopy(good)
        change(malformed["entry"])
        cases[name] = (malformed, expression)
    before = row_counts(world)
    for name, (bundle, expression) in cases.items():
        response = post_bundle(world, bundle)
        assert response.status_code == 422, (name, response.get_data(as_text=True))
        outcome = outcome_of(response)
        assert [expression] in [i.get("expression") for i in outcome["issue"]], (name, outcome)
        assert body["child"]["national_id"] not in response.get_data(as_text=True)
    assert row_counts(world) == before


def test_a_repeated_service_request_identifier_returns_the_same_draft(world):
    bundle = bundle_for(world, world.referral_body(), identifier="EPJ-2026-0001")
    first = post_bundle(world, bundle)
    again = post_bundle(world, bundle)
    assert first.status_code == again.status_code == 200
    assert created_ids(again) == created_ids(first)
    assert [e["response"]["status"] for e in again.get_json()["entry"]] == ["200 OK"] * 3
    assert row_counts(world)["referral"] == 1


def test_the_idempotency_key_is_honoured(world):
    body = world.referral_body()
    first = post_bundle(world, bundle_for(world, body), **{"Idempotency-Key": "epj-retry-1"})
    # The retry carries the same content, but the journal system made new fullUrls and identifier for it.
    again = post_bundle(world, bundle_for(world, body, identifier="another"), **{"Idempotency-Key": "epj-retry-1"})
    assert first.status_code == again.status_code == 200, again.get_data(as_text=True)
    assert created_ids(again) == created_ids(first)
    assert [e["response"]["status"] for e in again.get_json()["entry"]] == ["200 OK"] * 3
    assert row_counts(world)["referral"] == 1


# --- Task updates: the lifecycle actions -------------------------------------------------------------------------

REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}


def data(code: str, **value: Any) -> dict[str, Any]:
    """One Task input/output entry typed by our task-data code."""
    return {"type": {"coding": [{"system": code_system("task-data"), "code": code}]}, **value}


def rejected_task(task: dict[str, Any], rejection: dict[str, str] = REJECTION) -> dict[str, Any]:
    """The Task as BUP's system sends it back to reject: status, the reason with the explanation, the advice."""
    changed = copy.deepcopy(task)
    changed["status"] = "rejected"
    changed["businessStatus"] = {"coding": [{"system": code_system("referral-status"), "code": "rejected"}]}
    changed["statusReason"] = {"coding": [{"system": code_system("rejection-reason"),
                                           "code": rejection["reason_code"]}], "text": rejection["explanation"]}
    changed["output"] = [*changed.get("output", []),
                         data("municipal-advice", valueString=rejection["municipal_advice"])]
    return validated(changed, "Task")


def put_task(world, who: str, task: dict[str, Any], *, if_match: str | None = None):
    extra = {"If-Match": if_match} if if_match else {}
    return world.client.put(f"/fhir/Task/{task['id']}", json=task, headers=world.headers(who, **extra))


def version_tag(task: dict[str, Any]) -> str:
    return f'W/"{task["meta"]["versionId"]}"'


def handover_of(world, referral_id: str) -> dict[str, Any]:
    handover_id = world.get("gp", f"/api/v1/referrals/{referral_id}").json["handover_id"]
    assert handover_id, "the worker made no handover task"
    return world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json


def test_bup_rejects_through_a_task_update_and_the_worker_hands_the_child_back_as_after_a_rest_rejection(world):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    response = put_task(world, "bup", rejected_task(task), if_match=version_tag(task))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    answered = validated(response.get_json(), "Task")
    assert answered["status"] == "rejected"
    assert {(c["system"].rsplit("/", 1)[-1], c["code"]) for c in answered["businessStatus"]["coding"]} >= {
        ("referral-status", "rejected"), ("urn:oid:2.16.578.1.12.4.1.1.9148", "4")}
    assert answered["statusReason"]["coding"][0]["code"] == "not_specialist_need"
    assert response.headers["ETag"] == version_tag(answered) != version_tag(task)
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "rejected"

    twin_id = world.referral_in("rejected")["id"]  # the same rejection through POST /api/v1/.../reject
    InProcessWorker(world.app).run()
    through_fhir, through_rest = handover_of(world, referral_id), handover_of(world, twin_id)
    same = ("trigger", "municipality_number", "addressed_to", "owner_org_id", "owner_reason", "status",
            "acknowledge_due", "first_contact_due", "content")
    assert {k: through_fhir[k] for k in same} == {k: through_rest[k] for k in same}
    assert through_fhir["trigger"] == "rejected" and through_fhir["status"] == "open"
    fhir_event = world.get("bup", f"/api/v1/referrals/{referral_id}/events").json["items"][-1]
    rest_event = world.get("bup", f"/api/v1/referrals/{twin_id}/events").json["items"][-1]
    kept = ("action", "from_status", "to_status", "data", "actor_id")
    assert {k: fhir_event.get(k) for k in kept} == {k: rest_event.get(k) for k in kept}
    assert fhir_event["action"] == "reject"


def test_a_stale_if_match_is_412_and_changes_nothing(world):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    world.act("bup", referral_id, "request-information", {"questions": "Hvor lenge har det vart?"})
    response = put_task(world, "bup", rejected_task(task), if_match=version_tag(task))
    assert response.status_code == 412
    assert outcome_of(response)["issue"][0]["code"] == "conflict"
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "information_requested"


def test_a_change_the_lifecycle_refuses_is_409_as_an_operation_outcome(world):
    referral_id = world.referral_in("accepted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    response = put_task(world, "bup", rejected_task(task), if_match=version_tag(task))
    assert response.status_code == 409, response.get_data(as_text=True)
    assert outcome_of(response)["issue"][0]["code"] == "conflict"
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "accepted"


def test_a_rejection_without_its_advice_is_422_at_the_task_element(world):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    without_advice = rejected_task(task)
    without_advice["output"] = []
    response = put_task(world, "bup", without_advice)
    assert response.status_code == 422
    assert ["Task.output"] in [i.get("expression") for i in outcome_of(response)["issue"]]
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "submitted"


def test_another_clinics_token_gets_404_like_an_unknown_task(world):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    stranger = put_task(world, "bup2", rejected_task(task))
    unknown = put_task(world, "bup2", rejected_task(task) | {"id": str(uuid.uuid4())})
    assert stranger.status_code == unknown.status_code == 404
    assert outcome_of(stranger) == outcome_of(unknown)
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "submitted"


def test_bup_walks_a_referral_from_submitted_to_discharged_through_task_updates(world):
    referral_id = world.referral_in("submitted")["id"]
    today = dependencies(world.app).clock.today()
    steps = [
        ("accepted", "accepted", [("care-start-due", "valueDate", (today + timedelta(days=30)).isoformat())], {}),
        ("in-progress", "in_treatment", [], {"executionPeriod": {"start": today.isoformat()}}),
        ("completed", "discharged", [("discharge-summary", "valueString", "Bedre."),
                                     ("follow-up-recommendations", "valueString", "Samtaler."),
                                     ("epikrise-sent", "valueBoolean", True)], {}),
    ]
    for status, ours, outputs, extra in steps:
        task = fhir_get(world, "bup", f"Task/{referral_id}")
        task.update(status=status, **extra)
        task.pop("businessStatus")
        task["output"] = [*task.get("output", []), *(data(code, **{key: value}) for code, key, value in outputs)]
        response = put_task(world, "bup", task, if_match=version_tag(task))
        assert response.status_code == 200, (status, response.get_data(as_text=True))
        assert validated(response.get_json(), "Task")["status"] == status
        assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == ours
    # The same Task again is no new decision: nothing changes.
    again = put_task(world, "bup", fhir_get(world, "bup", f"Task/{referral_id}"))
    assert again.status_code == 200
    assert len(world.get("bup", f"/api/v1/referrals/{referral_id}/events").json["items"]) == 5


def as_sent(resource: dict[str, Any], *, patient_id: str, patient_url: str) -> dict[str, Any]:
    """A resource as read, made new again: no id or meta, the Patient named by the Bundle's fullUrl."""
    text = json.dumps({k: v for k, v in resource.items() if k not in ("id", "meta")})
    return json.loads(text.replace(f'"Patient/{patient_id}"', f'"{patient_url}"'))


def test_a_read_referral_sent_back_as_a_bundle_reads_back_the_same(world):
    """Round trip: read the ServiceRequest, Patient and Consent, create a draft from them, read the new one."""
    body = world.referral_body(consent={"given_by": ["guardian", "child"],
                                        "share_with": ["bup", "municipality", "school"],
                                        "recorded_on": world.referral_body()["consent"]["recorded_on"],
                                        "withhold_from_guardians": True})
    first_id = created_ids(post_bundle(world, bundle_for(world, body)))["ServiceRequest"]
    read = {kind: fhir_get(world, "gp", f"{kind}/{first_id}") for kind in ("ServiceRequest", "Consent")}
    patient_id = read["ServiceRequest"]["subject"]["reference"].split("/")[1]
    read["Patient"] = fhir_get(world, "gp", f"Patient/{patient_id}")
    urls = {kind: f"urn:uuid:{uuid.uuid4()}" for kind in read}
    sent = {kind: as_sent(resource, patient_id=patient_id, patient_url=urls["Patient"])
            for kind, resource in read.items()}
    sent["ServiceRequest"].pop("authoredOn")
    sent["ServiceRequest"]["identifier"] = [{"system": EPJ_REFERRALS, "value": "round-trip"}]
    bundle = validated({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": urls[kind], "resource": sent[kind], "request": {"method": "POST", "url": kind}}
        for kind in ("Patient", "ServiceRequest", "Consent")]})
    response = post_bundle(world, bundle)
    assert response.status_code == 200, response.get_data(as_text=True)
    second_id = created_ids(response)["ServiceRequest"]
    assert second_id != first_id
    again = {kind: fhir_get(world, "gp", f"{kind}/{second_id}") for kind in ("ServiceRequest", "Consent")}
    differs = ("id", "meta", "identifier", "authoredOn", "supportingInfo")
    for kind in ("ServiceRequest", "Consent"):
        assert {k: v for k, v in again[kind].items() if k not in differs} == \
            {k: v for k, v in read[kind].items() if k not in differs}, kind
    assert again["ServiceRequest"]["status"] == "draft"
    assert again["Consent"]["provision"]["provision"][0]["type"] == "deny"
    # The same child, described alike (its lastUpdated is the newest referral's, which is the new one).
    patient_again = fhir_get(world, "gp", again["ServiceRequest"]["subject"]["reference"])
    assert {k: v for k, v in patient_again.items() if k != "meta"} == \
        {k: v for k, v in read["Patient"].items() if k != "meta"}


def test_the_capability_statement_says_transaction_and_task_update(world):
    statement = validated(world.client.get("/fhir/metadata").get_json(), "CapabilityStatement")
    rest = statement["rest"][0]
    assert {"code": "transaction"} in rest["interaction"]
    task = next(r for r in rest["resource"] if r["type"] == "Task")
    assert {"code": "update"} in task["interaction"]


def test_a_synthetic_number_is_422_where_synthetic_numbers_are_not_allowed(world, monkeypatch):
    from dataclasses import replace

    from referral_service.bootstrap import EXTENSION

    deps = dependencies(world.app)
    monkeypatch.setitem(world.app.extensions, EXTENSION,
                        replace(deps, identity=replace(deps.identity, allow_synthetic_ids=False)))
    body = world.referral_body()
    before = row_counts(world)
    response = post_bundle(world, bundle_for(world, body))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert ["Bundle.entry[0].resource.identifier[0].value"] in [
        i.get("expression") for i in outcome_of(response)["issue"]]
    assert body["child"]["national_id"] not in response.get_data(as_text=True)
    assert row_counts(world) == before


def test_the_clinic_may_be_named_by_its_her_id(world):
    engine = world.app.extensions["referral_db"].engine
    clinic_id = world.orgs["bup"].id
    with engine.begin() as connection:
        connection.execute(text("UPDATE organisation SET her_id = '8765432' WHERE id = :id"), {"id": clinic_id})
    try:
        bundle = bundle_for(world, world.referral_body())
        bundle["entry"][1]["resource"]["performer"] = [
            {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "8765432"}}]
        response = post_bundle(world, bundle)
        assert response.status_code == 200, response.get_data(as_text=True)
        referral = world.get("gp", f"/api/v1/referrals/{created_ids(response)['ServiceRequest']}").json
        assert referral["clinic_id"] == clinic_id
        bundle["entry"][1]["resource"]["performer"][0]["identifier"]["value"] = "1111111"
        unknown = post_bundle(world, bundle)
        assert unknown.status_code == 422
        assert ["Bundle.entry[1].resource.performer[0].identifier.value"] in [
            i.get("expression") for i in outcome_of(unknown)["issue"]]
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE organisation SET her_id = NULL WHERE id = :id"), {"id": clinic_id})


def test_the_municipality_works_the_handover_through_task_updates(world):
    referral_id = world.referral_in("rejected")["id"]
    InProcessWorker(world.app).run()
    handover_id = handover_of(world, referral_id)["id"]
    today = dependencies(world.app).clock.today()
    steps = [
        ("accepted", {}, "acknowledged"),
        ("in-progress", {"performerType": [{"text": "Psykisk helsetjeneste for barn og unge"}]}, "assigned"),
        ("in-progress", {"output": [data("first-contact", valueDate=(today + timedelta(days=3)).isoformat()),
                                    data("plan", valueString="Samtaler hos kommunepsykolog.")]}, "follow_up_planned"),
        ("completed", {"output": [data("outcome", valueCodeableConcept={
            "coding": [{"system": code_system("handover-outcome"), "code": "followed_up"}],
            "text": "Fulgt opp med samtaler."})]}, "closed"),
    ]
    for status, changes, ours in steps:
        task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
        task.pop("businessStatus")
        task.update(status=status, **changes)
        response = put_task(world, "coordinator_askoy", task, if_match=version_tag(task))
        assert response.status_code == 200, (ours, response.get_data(as_text=True))
        answered = validated(response.get_json(), "Task")
        assert answered["businessStatus"]["coding"][0]["code"] == ours
        assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json["status"] == ours
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json["outcome"] == \
        "Fulgt opp med samtaler."


def test_bup_may_not_work_the_municipalitys_handover_task(world):
    referral_id = world.referral_in("rejected")["id"]
    InProcessWorker(world.app).run()
    handover_id = handover_of(world, referral_id)["id"]
    task = fhir_get(world, "bup", f"Task/{handover_id}")
    task.update(status="accepted")
    task.pop("businessStatus")
    response = put_task(world, "bup", task)
    assert response.status_code == 403, response.get_data(as_text=True)
    assert outcome_of(response)["issue"][0]["code"] == "forbidden"
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json["status"] == "open"


def test_the_identity_number_sent_in_a_bundle_is_neither_logged_nor_answered(world, caplog, capfd, monkeypatch):
    from tests.integration.test_api_errors import capture_everything_logged, with_wrong_check_digit

    everything_logged = capture_everything_logged(caplog, capfd, monkeypatch)
    good = world.referral_body()
    bad = world.referral_body()
    bad["child"]["national_id"] = with_wrong_check_digit(bad["child"]["national_id"])
    answers = [post_bundle(world, bundle_for(world, body)) for body in (good, bad)]
    assert [a.status_code for a in answers] == [200, 422]
    said = everything_logged() + "".join(a.get_data(as_text=True) for a in answers)
    for body in (good, bad):
        assert body["child"]["national_id"] not in said


def test_the_requester_is_the_tokens_user_whatever_the_bundle_says(world):
    bundle = bundle_for(world, world.referral_body())
    bundle["entry"][1]["resource"]["requester"] = {"reference": f"PractitionerRole/{world.users['ppt'].id}"}
    response = post_bundle(world, bundle)
    assert response.status_code == 200, response.get_data(as_text=True)
    referral = world.get("gp", f"/api/v1/referrals/{created_ids(response)['ServiceRequest']}").json
    assert referral["referrer_user_id"] == world.users["gp"].id


def test_only_a_referrer_may_post_a_bundle(world):
    before = row_counts(world)
    response = post_bundle(world, bundle_for(world, world.referral_body()), who="bup")
    assert response.status_code == 403
    assert outcome_of(response)["issue"][0]["code"] == "forbidden"
    assert row_counts(world) == before


def test_an_idempotency_key_used_for_another_referral_is_422(world):
    assert post_bundle(world, bundle_for(world, world.referral_body()), **{"Idempotency-Key": "k-1"}).status_code \
        == 200
    before = row_counts(world)
    other = post_bundle(world, bundle_for(world, world.referral_body()), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert outcome_of(other)["issue"][0]["code"] == "invalid"
    assert row_counts(world) == before


def test_an_identifier_sent_again_with_other_content_is_422_at_the_identifier(world):
    assert post_bundle(world, bundle_for(world, world.referral_body(), identifier="EPJ-7")).status_code == 200
    before = row_counts(world)
    other = post_bundle(world, bundle_for(world, world.referral_body(), identifier="EPJ-7"))
    assert other.status_code == 422
    issues = outcome_of(other)["issue"]
    assert ["Bundle.entry[1].resource.identifier[0]"] in [i.get("expression") for i in issues]
    assert row_counts(world) == before


def test_a_task_read_changed_in_its_status_only_and_put_back_takes_the_action(world):
    """The usual FHIR update: GET, change Task.status, PUT. The businessStatus read with it still says the old
    status; the change is what counts."""
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    sent = rejected_task(task)
    sent["businessStatus"] = task["businessStatus"]  # as read: still "submitted"
    response = put_task(world, "bup", sent, if_match=version_tag(task))
    assert response.status_code == 200, response.get_data(as_text=True)
    answered = validated(response.get_json(), "Task")
    assert (answered["status"], answered["businessStatus"]["coding"][0]["code"]) == ("rejected", "rejected")
    assert world.get("bup", f"/api/v1/referrals/{referral_id}").json["status"] == "rejected"


def test_a_task_whose_status_and_business_status_disagree_is_422_and_changes_nothing(world):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    task["status"] = "cancelled"
    task["businessStatus"] = {"coding": [{"system": code_system("referral-status"), "code": "accepted"}]}
    response = put_task(world, "bup", task, if_match=version_tag(task))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [i["expression"] for i in outcome_of(response)["issue"] if i.get("expression")] == [["Task.status"]]
    assert world.get("bup", f"/api/v1/referrals/{referral_id}").json["status"] == "submitted"


def test_the_municipality_updates_the_handover_task_keeping_the_business_status_it_read(world, app):
    referral_id = world.referral_in("rejected")["id"]
    InProcessWorker(world.app).run()
    handover_id = handover_of(world, referral_id)["id"]
    with app.extensions["referral_db"].session() as session:
        log_before = session.exec(select(AccessLogEntry.seq)).all()
    for status, changes, ours in [
        ("accepted", {}, "acknowledged"),
        ("completed", {"output": [data("outcome", valueCodeableConcept={"text": "Fulgt opp."})]}, "closed"),
    ]:
        task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
        task.update(status=status, **changes)  # businessStatus as read: the step before
        response = put_task(world, "coordinator_askoy", task, if_match=version_tag(task))
        assert response.status_code == 200, (ours, response.get_data(as_text=True))
        assert validated(response.get_json(), "Task")["businessStatus"]["coding"][0]["code"] == ours
        assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json["status"] == ours
    with app.extensions["referral_db"].session() as session:
        new_rows = session.exec(select(AccessLogEntry).where(col(AccessLogEntry.seq).not_in(log_before))).all()
    # Every read is logged, and no update looked the handover's id up as a referral (no false "denied" row).
    assert new_rows and not [row.action for row in new_rows if row.action.startswith("denied")]


def test_a_handover_task_update_writes_no_false_denied_row_in_the_access_log(world, app):
    referral_id = world.referral_in("rejected")["id"]
    InProcessWorker(world.app).run()
    handover_id = handover_of(world, referral_id)["id"]
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    with app.extensions["referral_db"].session() as session:
        log_before = session.exec(select(AccessLogEntry.seq)).all()
    response = put_task(world, "coordinator_askoy", task, if_match=version_tag(task))  # asks for no change
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.extensions["referral_db"].session() as session:
        new_rows = session.exec(select(AccessLogEntry).where(col(AccessLogEntry.seq).not_in(log_before))).all()
    assert [row.action for row in new_rows if row.action.startswith("denied")] == []
    assert new_rows, "the Task answered is a read, and logged"


@pytest.mark.parametrize("content_type, status", [
    ("application/json-patch+json", 415), ("application/merge-patch+json", 415), ("text/plain", 415),
    ("application/fhir+json; charset=utf-8", 200), ("application/json", 200), ("application/json+fhir", 200),
])
def test_a_task_update_is_taken_as_fhir_json_or_json_only(world, content_type, status):
    referral_id = world.referral_in("submitted")["id"]
    task = fhir_get(world, "bup", f"Task/{referral_id}")
    headers = world.headers("bup", **{"Content-Type": content_type})
    response = world.client.put(f"/fhir/Task/{referral_id}", data=json.dumps(task), headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 415:
        assert outcome_of(response)["issue"][0]["code"] == "not-supported"
    assert world.get("bup", f"/api/v1/referrals/{referral_id}").json["status"] == "submitted"
