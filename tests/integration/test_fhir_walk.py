"""Must-show 1 of issue 16: a referral walks from draft to an acknowledged handover, and at each step a journal
system reads the ServiceRequest, both Tasks, the Patient and the Consent from /fhir as the people who take part
(the GP, BUP, the municipality's coordinator). Every resource validates with `fhir.resources`, and the statuses are
FHIR.md's tables (§5, §6): ServiceRequest.status, Task.status and businessStatus, step by step.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from referral_service.fhir.codes import (
    CONSENT_SCOPE,
    D_NUMMER,
    FODSELSNUMMER,
    LOINC,
    SNOMED,
    TASK_CODE,
    TEST_DATA_SECURITY,
    code_system,
)
from tests.support.fhir import fhir_get, validated
from tests.support.loop import InProcessWorker

API = "/api/v1"
#: The identifier system a GP's journal system numbers its referrals in (any system of its own).
EPJ_REFERRALS = "urn:oid:2.16.578.1.12.4.1.7.9999.1"
#: Who reads the case at each step: a draft is the referring side's alone (DESIGN rule 5).
READERS_OF_A_DRAFT = ("gp",)
READERS_WITH_BUP = ("gp", "bup")
READERS_AFTER_HANDOVER = ("gp", "bup", "coordinator_askoy")
#: What has a version (FHIR.md §1: meta.versionId = ETag); the child's row keeps none.
VERSIONED = ("ServiceRequest", "Task", "HandoverTask", "Consent")
#: "Tilbakemelding på henvisning" (1 called in, 2 right to care with the time to follow, 3 forwarded, 4 rejected):
#: Helsedirektoratet's kodeverk 9148, in the Task's businessStatus beside our own code (the tasks part's choice).
FEEDBACK = "urn:oid:2.16.578.1.12.4.1.1.9148"
FEEDBACK_REJECTED = "4"


def codes(concept: dict[str, Any] | None, system: str | None = None) -> set[str]:
    """The codes of a CodeableConcept (in `system`, when given)."""
    return {c["code"] for c in (concept or {}).get("coding", []) if system is None or c.get("system") == system}


def has_coding(concept: dict[str, Any] | None, system: str, code: str) -> bool:
    return code in codes(concept, system)


def read_case(world, who: str, *, referral_id: str, child_id: str,
              handover_id: str | None = None) -> dict[str, dict[str, Any]]:
    """The case's resources as `who` reads them from /fhir, each validated (tests/support/fhir.fhir_get); each
    read of the child's data is in the access log, as `who`'s, about this child or referral."""
    def logged_read(path: str) -> dict[str, Any]:
        before = logged_reads(world, who, referral_id=referral_id, child_id=child_id)
        response = world.client.get(f"/fhir/{path}", headers=world.headers(who))
        assert response.status_code == 200, (who, path, response.get_data(as_text=True)[:300])
        resource = validated(response.get_json())
        assert logged_reads(world, who, referral_id=referral_id, child_id=child_id) > before, (
            who, path, "every /fhir read of the child's data is written to the access log")
        version = resource["meta"].get("versionId")
        assert response.headers.get("ETag") == (f'W/"{version}"' if version else None), (who, path)
        return resource

    read = {
        "ServiceRequest": logged_read(f"ServiceRequest/{referral_id}"),
        "Task": logged_read(f"Task/{referral_id}"),
        "Patient": logged_read(f"Patient/{child_id}"),
        "Consent": logged_read(f"Consent/{referral_id}"),
    }
    if handover_id is not None:
        read["HandoverTask"] = logged_read(f"Task/{handover_id}")
    for name, resource in read.items():
        assert resource["resourceType"] == ("Task" if name == "HandoverTask" else name), (who, name)
        assert resource["id"] == {"Patient": child_id, "HandoverTask": handover_id}.get(name, referral_id)
        if name in VERSIONED:
            assert resource["meta"]["versionId"], (who, name, "meta.versionId is the row version (the ETag)")
    return read


def logged_reads(world, who: str, *, referral_id: str, child_id: str) -> int:
    """Access log rows of `who` about this referral or this child."""
    with world.app.extensions["referral_db"].engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM access_log WHERE user_id = :user AND "
                                       "(referral_id = :referral OR child_id = :child)"),
                                  {"user": world.users[who].id, "referral": referral_id, "child": child_id}
                                  ).scalar_one()


def assert_referral_step(read: dict[str, dict[str, Any]], *, referral_id: str, child_id: str,
                         service_request: str, task: str, business: str, feedback: set[str]) -> None:
    """FHIR.md §4 and §5 for one step of the walk, as one reader sees it."""
    request, task_resource = read["ServiceRequest"], read["Task"]
    assert request["status"] == service_request
    assert request["intent"] == "order"
    assert has_coding(request["category"][0], SNOMED, "3457005")
    assert request["subject"]["reference"] == f"Patient/{child_id}"
    assert request["priority"] == "routine"

    assert task_resource["status"] == task
    assert has_coding(task_resource["businessStatus"], code_system("referral-status"), business)
    assert codes(task_resource["businessStatus"], FEEDBACK) == feedback
    assert has_coding(task_resource["code"], TASK_CODE, "fulfill")
    assert task_resource["intent"] == "order"
    assert task_resource["focus"]["reference"] == f"ServiceRequest/{referral_id}"
    assert task_resource["for"]["reference"] == f"Patient/{child_id}"


def assert_patient(patient: dict[str, Any], national_id: str) -> None:
    """FHIR.md §3: the number in the identifier body only; synthetic numbers are marked as test data."""
    [identifier] = [i for i in patient["identifier"] if i["system"] in (FODSELSNUMMER, D_NUMMER)]
    assert identifier["value"] == national_id
    assert "gender" not in patient
    assert {"system": TEST_DATA_SECURITY["system"], "code": "HTEST"}.items() <= patient["meta"]["security"][0].items()
    assert patient["birthDate"] == "2012-05-10"


def assert_consent(consent: dict[str, Any], *, child_id: str) -> None:
    """FHIR.md §7."""
    assert consent["status"] == "active"
    assert has_coding(consent["scope"], CONSENT_SCOPE, "patient-privacy")
    assert any(has_coding(category, LOINC, "64292-6") for category in consent["category"])
    assert consent["patient"]["reference"] == f"Patient/{child_id}"
    assert consent["provision"]["type"] == "permit"


def assert_handover_task(task: dict[str, Any], *, referral_id: str, askoy_id: str, status: str,
                         business: str) -> None:
    """FHIR.md §6: the municipality owns it; it is about the ServiceRequest and part of the referral Task."""
    assert task["status"] == status
    assert has_coding(task["businessStatus"], code_system("handover-status"), business)
    assert has_coding(task["code"], code_system("task-type"), "municipal-handover")
    assert task["owner"]["reference"] == f"Organization/{askoy_id}"
    assert task["focus"]["reference"] == f"ServiceRequest/{referral_id}"
    assert {"reference": f"ServiceRequest/{referral_id}"}.items() <= task["basedOn"][0].items()
    assert {"reference": f"Task/{referral_id}"}.items() <= task["partOf"][0].items()


def test_a_referral_walks_from_draft_to_an_acknowledged_handover_and_every_resource_validates(world, app):
    body = world.referral_body()
    national_id = body["child"]["national_id"]
    created = world.post("gp", f"{API}/referrals", json=body)
    assert created.status_code == 201, created.json
    referral_id, child_id = created.json["id"], created.json["child"]["id"]
    ids = {"referral_id": referral_id, "child_id": child_id}

    # Draft: the GP's alone; BUP is shown what an unknown id shows.
    for who in READERS_OF_A_DRAFT:
        read = read_case(world, who, **ids)
        assert_referral_step(read, **ids, service_request="draft", task="draft", business="draft", feedback=set())
        assert_patient(read["Patient"], national_id)
        assert_consent(read["Consent"], child_id=child_id)
    fhir_get(world, "bup", f"ServiceRequest/{referral_id}", expect=404)

    # Submitted: BUP reads it too, as an order requested of the clinic.
    world.act("gp", referral_id, "submit")
    for who in READERS_WITH_BUP:
        read = read_case(world, who, **ids)
        assert_referral_step(read, **ids, service_request="active", task="requested", business="submitted",
                             feedback=set())
        assert read["Task"]["owner"]["reference"] == f"Organization/{world.orgs['bup'].id}"
        assert read["ServiceRequest"]["performer"][0]["reference"] == f"Organization/{world.orgs['bup'].id}"
        assert_patient(read["Patient"], national_id)
    fhir_get(world, "coordinator_askoy", f"ServiceRequest/{referral_id}", expect=404)

    # Rejected: the Task says why, with the national feedback code for "rejected"; the worker hands over.
    world.act("bup", referral_id, "reject", {"reason_code": "not_specialist_need",
                                             "explanation": "Ikke behov for spesialist.",
                                             "municipal_advice": "Tilbud hos kommunepsykolog."})
    for who in READERS_WITH_BUP:
        read = read_case(world, who, **ids)
        assert_referral_step(read, **ids, service_request="revoked", task="rejected", business="rejected",
                             feedback={FEEDBACK_REJECTED})
        task = read["Task"]
        assert has_coding(task["statusReason"], code_system("rejection-reason"), "not_specialist_need")
        assert task["statusReason"]["text"] == "Ikke behov for spesialist."
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"{API}/referrals/{referral_id}").json["handover_id"]
    assert handover_id
    askoy_id = world.orgs["askoy"].id
    for who in READERS_AFTER_HANDOVER:
        read = read_case(world, who, **ids, handover_id=handover_id)
        assert_referral_step(read, **ids, service_request="revoked", task="rejected", business="rejected",
                             feedback={FEEDBACK_REJECTED})
        assert_handover_task(read["HandoverTask"], referral_id=referral_id, askoy_id=askoy_id,
                             status="requested", business="open")
        assert_consent(read["Consent"], child_id=child_id)
    # The municipality reads the child, not the number (as it may not reveal it through /api/v1 either).
    coordinator = world.client.get(f"/fhir/Patient/{child_id}", headers=world.headers("coordinator_askoy"))
    assert national_id not in coordinator.get_data(as_text=True)
    assert world.post("coordinator_askoy", f"{API}/referrals/{referral_id}/national-id").status_code == 403

    # Acknowledged: Askøy has taken the task on.
    acknowledged = world.post("coordinator_askoy", f"{API}/handovers/{handover_id}/acknowledge")
    assert acknowledged.status_code == 200, acknowledged.json
    for who in READERS_AFTER_HANDOVER:
        read = read_case(world, who, **ids, handover_id=handover_id)
        assert_handover_task(read["HandoverTask"], referral_id=referral_id, askoy_id=askoy_id,
                             status="accepted", business="acknowledged")
        assert read["Task"]["status"] == "rejected"
    fhir_get(world, "bup2", f"Task/{handover_id}", expect=404)



# --- read -> create -> read --------------------------------------------------------------------------------------

#: What the server gives a resource, not the client: a client sending a resource back leaves these out.
SERVER_GIVEN = ("id", "meta", "authoredOn")


def as_new(resource: dict[str, Any], links: dict[str, str]) -> dict[str, Any]:
    """`resource` as a journal system would send it back for a new referral: without what the server gives it, its
    references to the other resources of the Bundle (`links`: "Type/id" -> "urn:uuid:...") rewritten."""

    def relink(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (links.get(v, v) if k == "reference" and isinstance(v, str) else relink(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [relink(v) for v in value]
        return value

    return relink({k: v for k, v in resource.items() if k not in SERVER_GIVEN})


def test_a_referral_read_from_fhir_and_posted_back_as_a_transaction_reads_back_the_same(world):
    original = world.create_referral()
    referral_id, child_id = original["id"], original["child"]["id"]
    read = read_case(world, "gp", referral_id=referral_id, child_id=child_id)
    urls = {f"{kind}/{read[kind]['id']}": f"urn:uuid:{uuid.uuid4()}" for kind in ("Patient", "ServiceRequest",
                                                                                  "Consent")}
    request = as_new(read["ServiceRequest"], urls)
    request["identifier"] = [{"system": EPJ_REFERRALS, "value": str(uuid.uuid4())}]
    bundle = validated({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": urls[f"{kind}/{read[kind]['id']}"],
         "resource": request if kind == "ServiceRequest" else as_new(read[kind], urls),
         "request": {"method": "POST", "url": kind}} for kind in ("Patient", "ServiceRequest", "Consent")]},
        "Bundle")

    response = world.client.post("/fhir", json=bundle, headers=world.headers("gp"))
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    answer = validated(response.get_json(), "Bundle")
    assert answer["type"] == "transaction-response"
    created = {e["response"]["location"].split("/")[0]: e["response"]["location"].split("/")[1]
               for e in answer["entry"]}
    assert {e["response"]["status"] for e in answer["entry"]} == {"201 Created"}
    assert created["Patient"] == child_id, "the same child, found by the identity number's blind index"
    assert created["ServiceRequest"] != referral_id
    assert read["Patient"]["identifier"][0]["value"] not in response.get_data(as_text=True)

    again = read_case(world, "gp", referral_id=created["ServiceRequest"], child_id=child_id)
    assert_referral_step(again, referral_id=created["ServiceRequest"], child_id=child_id, service_request="draft",
                         task="draft", business="draft", feedback=set())
    same = ("category", "code", "priority", "performer", "reasonCode", "note", "requester", "subject")
    assert {k: again["ServiceRequest"].get(k) for k in same} == {k: read["ServiceRequest"].get(k) for k in same}
    assert again["Patient"] == read["Patient"] | {"meta": again["Patient"]["meta"]}
    assert (as_new(again["Consent"], {}) | {"dateTime": None}
            == as_new(read["Consent"], {}) | {"dateTime": None})
    rest = world.get("gp", f"{API}/referrals/{created['ServiceRequest']}").json
    assert rest["status"] == "draft"
    assert rest["reasons"] == original["reasons"] and rest["description"] == original["description"]
    assert rest["consent"]["share_with"] == original["consent"]["share_with"]
