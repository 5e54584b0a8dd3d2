"""The referral's Task and the handover's Task under /fhir (FHIR.md §5, §6), Communication and Provenance (§8):
every state validates as FHIR and says its codes; need-to-know is the REST API's (404 alike for a stranger and an
unknown id), and each read is written to the access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.handover import DeadlineMark
from tests.support.fhir import fhir_get, outcome_of
from tests.support.loop import InProcessWorker

CANON = "https://bup-henvisning.example/fhir"
REFERRAL_STATUS = f"{CANON}/CodeSystem/referral-status"
HANDOVER_STATUS = f"{CANON}/CodeSystem/handover-status"
TASK_DATA = f"{CANON}/CodeSystem/task-data"
#: Kodeverk 9148 "Henvisning (elektronisk melding)": the national feedback on a referral.
FEEDBACK = "urn:oid:2.16.578.1.12.4.1.1.9148"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

#: Our status -> (Task.status, the feedback code, if one applies): FHIR.md §5's table, written out again here.
REFERRAL_TASK_ROWS = {
    "draft": ("draft", None),
    "submitted": ("requested", None),
    "information_requested": ("on-hold", None),
    "accepted": ("accepted", "2"),
    "in_treatment": ("in-progress", "1"),
    "discharged": ("completed", None),
    "rejected": ("rejected", "4"),
    "municipal_level": ("rejected", "4"),
    "forwarded": ("cancelled", "3"),
    "withdrawn": ("cancelled", None),
}


def referral_in(world, status: str) -> dict[str, Any]:
    if status != "municipal_level":
        return world.referral_in(status)
    referral = world.referral_in("submitted")
    return world.act("bup", referral["id"], "municipal-outcome", {
        "assessment_conversation_on": dependencies(world.app).clock.today().isoformat(),
        "explanation": "Samtalen viste at hjelpen hører hjemme i kommunen.",
        "municipal_advice": "Kommunepsykolog og tett skolekontakt."})


def codes(concept: dict[str, Any]) -> dict[str, str]:
    """A CodeableConcept's codes by system."""
    return {c["system"]: c["code"] for c in concept["coding"]}


def data_of(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A Task's input or output by our task-data code: the value, whatever its type."""
    found = {}
    for entry in entries:
        (code,) = [c["code"] for c in entry["type"]["coding"] if c["system"] == TASK_DATA]
        (value,) = [v for k, v in entry.items() if k.startswith("value")]
        found[code] = value
    return found


def log_rows(app, referral_id: str | None = None, *, requested_id: str | None = None) -> list[tuple[str, str]]:
    """(action, user) of the access log's rows about a referral, or of its refused looks at an id."""
    with app.extensions["referral_db"].session() as session:
        query = select(AccessLogEntry).order_by(AccessLogEntry.seq)
        query = query.where(AccessLogEntry.referral_id == referral_id) if referral_id else \
            query.where(AccessLogEntry.requested_id == requested_id)
        return [(row.action, row.user_id) for row in session.exec(query)]


@pytest.mark.parametrize("status", list(REFERRAL_TASK_ROWS))
def test_the_referral_task_says_each_status_in_task_status_and_business_status(world, status):
    referral = referral_in(world, status)
    task = fhir_get(world, "gp", f"Task/{referral['id']}")
    task_status, feedback = REFERRAL_TASK_ROWS[status]
    assert task["id"] == referral["id"]
    assert task["status"] == task_status
    business = codes(task["businessStatus"])
    assert business[REFERRAL_STATUS] == status
    assert business.get(FEEDBACK) == feedback
    assert task["intent"] == "order"
    assert codes(task["code"]) == {"http://hl7.org/fhir/CodeSystem/task-code": "fulfill"}
    assert task["focus"] == {"reference": f"ServiceRequest/{referral['id']}"}
    assert task["for"] == {"reference": f"Patient/{referral['child']['id']}"}
    assert task["owner"] == {"reference": f"Organization/{world.orgs['bup'].id}"}
    assert task["requester"] == {"reference": f"PractitionerRole/{world.users['gp'].id}"}
    assert task["meta"]["versionId"] == str(referral["version"])


def test_the_rejected_task_carries_the_feedback_rejected_bups_reason_and_its_advice(world):
    referral = world.referral_in("rejected")
    task = fhir_get(world, "gp", f"Task/{referral['id']}")
    assert (task["status"], codes(task["businessStatus"])[FEEDBACK]) == ("rejected", "4")
    assert codes(task["statusReason"]) == {f"{CANON}/CodeSystem/rejection-reason": "not_specialist_need"}
    assert task["statusReason"]["text"] == "Ikke behov for spesialist."
    assert data_of(task["output"]) == {"municipal-advice": "Tilbud hos kommunepsykolog."}
    assert "restriction" not in task  # no deadline runs for a decided referral


def test_the_running_deadline_is_the_assessment_then_the_start_of_care(world):
    submitted = world.referral_in("submitted")
    task = fhir_get(world, "bup", f"Task/{submitted['id']}")
    assert task["restriction"]["period"]["end"] == submitted["assessment_due"]
    assert data_of(task["input"]) == {"assessment-due": submitted["assessment_due"]}
    accepted = world.referral_in("accepted")
    task = fhir_get(world, "bup", f"Task/{accepted['id']}")
    assert task["restriction"]["period"]["end"] == accepted["care_start_due"]
    assert data_of(task["input"])["care-start-due"] == accepted["care_start_due"]
    assert data_of(task["output"])["care-start-due"] == accepted["care_start_due"]


def test_a_referral_supplemented_after_bups_question_is_received(world):
    referral = world.referral_in("information_requested")
    world.act("gp", referral["id"], "supplement", {"text": "Det har vart i et år."})
    assert fhir_get(world, "bup", f"Task/{referral['id']}")["status"] == "received"


def test_the_discharged_task_has_its_execution_period_summary_and_recommendations(world):
    referral = world.referral_in("discharged")
    task = fhir_get(world, "bup", f"Task/{referral['id']}")
    assert task["executionPeriod"]["start"] == referral["first_appointment_on"]
    assert task["executionPeriod"]["end"]
    assert data_of(task["output"]) == {"care-start-due": referral["care_start_due"],
                                       "discharge-summary": "Bedre.", "follow-up-recommendations": "Samtaler.",
                                       "epikrise-sent": True}


def test_the_forwarded_task_names_the_next_clinic_which_its_reader_can_read(world):
    referral = world.referral_in("forwarded")
    task = fhir_get(world, "bup", f"Task/{referral['id']}")
    next_clinic = f"Organization/{world.orgs['bup2'].id}"
    assert data_of(task["output"]) == {"forwarded-to": {"reference": next_clinic}}
    assert task["statusReason"] == {"text": "Bosted"}
    # The sender reads what the Task points to (the new referral is the next clinic's, not BUP's to see) ...
    assert fhir_get(world, "bup", next_clinic)["name"]
    fhir_get(world, "bup", f"ServiceRequest/{referral['forwarded_to_id']}", expect=404)
    # ... and the new referral points back to this one.
    assert fhir_get(world, "bup2", f"ServiceRequest/{referral['forwarded_to_id']}")["replaces"] == [
        {"reference": f"ServiceRequest/{referral['id']}"}]


def test_a_stranger_gets_the_same_404_as_for_an_unknown_id_and_the_look_is_logged(world, app):
    referral = world.referral_in("submitted")
    stranger = world.client.get(f"/fhir/Task/{referral['id']}", headers=world.headers("bup2"))
    unknown = world.client.get(f"/fhir/Task/{UNKNOWN_ID}", headers=world.headers("bup2"))
    assert stranger.status_code == unknown.status_code == 404
    assert outcome_of(stranger) == outcome_of(unknown)
    assert log_rows(app, requested_id=referral["id"]) == [("denied:referral", world.users["bup2"].id)]


def test_each_read_of_a_task_is_in_the_access_log(world, app):
    referral = world.referral_in("submitted")
    before = log_rows(app, referral["id"])
    fhir_get(world, "bup", f"Task/{referral['id']}")
    assert log_rows(app, referral["id"])[len(before):] == [("read", world.users["bup"].id)]


# ---- the handover's Task ------------------------------------------------------------------------------------

HANDED_BACK = "rejected"
#: The handover's status -> (Task.status, our business status): FHIR.md §6's table, written out again here.
HANDOVER_TASK_ROWS = {
    "open": ("requested", "open"),
    "acknowledged": ("accepted", "acknowledged"),
    "assigned": ("in-progress", "assigned"),
    "follow_up_planned": ("in-progress", "follow_up_planned"),
    "closed": ("completed", "closed"),
}


def handed_back(world) -> tuple[str, str]:
    """A rejected referral whose handover the background work has created: (referral id, handover id)."""
    referral = world.referral_in(HANDED_BACK)
    InProcessWorker(world.app).run()
    return referral["id"], world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]


def step(world, handover_id: str, action: str, body: dict | None = None) -> dict[str, Any]:
    response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}", json=body)
    assert response.status_code == 200, (action, response.json)
    return response.json


def assert_handover_task(task: dict[str, Any], *, status: str, referral_id: str) -> None:
    task_status, business = HANDOVER_TASK_ROWS[status]
    assert task["status"] == task_status
    assert codes(task["businessStatus"]) == {HANDOVER_STATUS: business}
    assert codes(task["code"]) == {f"{CANON}/CodeSystem/task-type": "municipal-handover"}
    assert task["focus"] == task["basedOn"][0] == {"reference": f"ServiceRequest/{referral_id}"}
    assert task["partOf"] == [{"reference": f"Task/{referral_id}"}]
    assert task["intent"] == "order"


def test_the_handover_task_opens_with_bups_decision_and_the_acknowledgement_deadline(world):
    referral_id, handover_id = handed_back(world)
    rest = world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert_handover_task(task, status="open", referral_id=referral_id)
    assert task["owner"] == {"reference": f"Organization/{world.orgs['askoy'].id}"}
    assert task["requester"] == {"reference": f"Organization/{world.orgs['bup'].id}"}
    assert task["restriction"]["period"]["end"] == rest["acknowledge_due"]
    assert task["meta"]["versionId"] == str(rest["version"])
    inputs = data_of(task["input"])
    assert inputs["acknowledge-due"] == rest["acknowledge_due"]
    assert inputs["first-contact-due"] == rest["first_contact_due"]
    assert codes(inputs["trigger"]) == {f"{CANON}/CodeSystem/handover-trigger": "rejected"}
    assert codes(inputs["rejection-reason"]) == {f"{CANON}/CodeSystem/rejection-reason": "not_specialist_need"}
    assert inputs["municipal-advice"] == "Tilbud hos kommunepsykolog."
    assert inputs["explanation"] == "Ikke behov for spesialist."
    assert task["extension"] == [{"url": f"{CANON}/StructureDefinition/escalation-level", "valueInteger": 0}]
    assert "output" not in task


def test_the_handover_task_follows_each_step_to_closed(world):
    referral_id, handover_id = handed_back(world)
    today = dependencies(world.app).clock.today().isoformat()
    lead = world.users["lead_askoy"].id

    step(world, handover_id, "acknowledge")
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert_handover_task(task, status="acknowledged", referral_id=referral_id)
    rest = world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json
    assert task["restriction"]["period"]["end"] == rest["first_contact_due"]
    assert task["executionPeriod"]["start"]

    step(world, handover_id, "assign", {"assignee_user_id": lead})
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert_handover_task(task, status="assigned", referral_id=referral_id)
    assert {"url": f"{CANON}/StructureDefinition/assignee",
            "valueReference": {"reference": f"PractitionerRole/{lead}"}} in task["extension"]

    step(world, handover_id, "plan", {"first_contact_on": today, "plan": "Samtale hos kommunepsykolog."})
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert_handover_task(task, status="follow_up_planned", referral_id=referral_id)
    assert data_of(task["output"]) == {"plan": "Samtale hos kommunepsykolog.", "first-contact": today}
    assert "restriction" not in task

    closed = step(world, handover_id, "close", {"outcome": "Følges opp av kommunepsykolog."})
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert_handover_task(task, status="closed", referral_id=referral_id)
    outcome = data_of(task["output"])["outcome"]
    assert codes(outcome) == {f"{CANON}/CodeSystem/handover-outcome": "followed_up"}
    assert outcome["text"] == "Følges opp av kommunepsykolog."
    assert task["executionPeriod"]["end"]
    assert task["meta"]["versionId"] == str(closed["version"])


def test_a_task_assigned_to_a_service_names_it_as_performer_type(world):
    _referral_id, handover_id = handed_back(world)
    step(world, handover_id, "acknowledge")
    step(world, handover_id, "assign", {"service": "Psykisk helse barn og unge"})
    task = fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert task["performerType"] == [{"text": "Psykisk helse barn og unge"}]


def test_the_handover_task_is_404_alike_for_another_municipality_and_logged_for_its_own(world, app):
    referral_id, handover_id = handed_back(world)
    other = world.client.get(f"/fhir/Task/{handover_id}", headers=world.headers("coordinator_bergen"))
    unknown = world.client.get(f"/fhir/Task/{UNKNOWN_ID}", headers=world.headers("coordinator_bergen"))
    assert other.status_code == unknown.status_code == 404
    assert outcome_of(other) == outcome_of(unknown)
    before = log_rows(app, referral_id)
    fhir_get(world, "coordinator_askoy", f"Task/{handover_id}")
    assert log_rows(app, referral_id)[len(before):] == [("read_handover", world.users["coordinator_askoy"].id)]


def test_without_municipal_consent_the_referrer_owns_the_task_and_the_municipality_cannot_read_it(world):
    consent = {"given_by": ["guardian"], "share_with": ["bup"],
               "recorded_on": (dependencies(world.app).clock.today() - timedelta(days=7)).isoformat()}
    referral = world.create_referral(consent=consent)
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Ikke for BUP.",
                                                "municipal_advice": "Helsestasjon for ungdom."})
    InProcessWorker(world.app).run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    rest = world.get("gp", f"/api/v1/handovers/{handover_id}").json
    task = fhir_get(world, "gp", f"Task/{handover_id}")
    assert task["owner"] == {"reference": f"Organization/{world.orgs['gp'].id}"}
    inputs = data_of(task["input"])
    assert inputs["municipal-advice"] == rest["content"]["municipal_advice"] == "Helsestasjon for ungdom."
    assert world.client.get(f"/fhir/Task/{handover_id}", headers=world.headers("coordinator_askoy")).status_code \
        == 404


# ---- Communication and Provenance ---------------------------------------------------------------------------

def events_of(world, referral_id: str) -> dict[str, str]:
    """The referral's event ids by action (the last of each), as the REST API lists them."""
    return {e["action"]: e["id"] for e in world.get("gp", f"/api/v1/referrals/{referral_id}/events").json["items"]}


def test_bups_question_and_the_referrers_answer_are_communications_the_answer_in_response_to_it(world):
    referral = world.referral_in("information_requested")
    world.act("gp", referral["id"], "supplement", {"text": "Det har vart i et år."})
    ids = events_of(world, referral["id"])
    question = fhir_get(world, "gp", f"Communication/{ids['request-information']}")
    answer = fhir_get(world, "bup", f"Communication/{ids['supplement']}")
    assert codes(question["category"][0]) == {f"{CANON}/CodeSystem/communication-kind": "information-request"}
    assert codes(answer["category"][0]) == {f"{CANON}/CodeSystem/communication-kind": "information-supplement"}
    assert question["payload"] == [{"contentString": "Hvor lenge?"}]
    assert answer["payload"] == [{"contentString": "Det har vart i et år."}]
    assert answer["inResponseTo"] == [{"reference": f"Communication/{ids['request-information']}"}]
    assert "inResponseTo" not in question
    assert question["sender"] == {"reference": f"PractitionerRole/{world.users['bup'].id}"}
    assert question["recipient"] == [{"reference": f"Organization/{world.orgs['gp'].id}"}]
    assert answer["recipient"] == [{"reference": f"Organization/{world.orgs['bup'].id}"}]
    for message in (question, answer):
        assert message["status"] == "completed"
        assert message["basedOn"] == [{"reference": f"ServiceRequest/{referral['id']}"}]
        assert message["partOf"] == [{"reference": f"Task/{referral['id']}"}]


def test_a_communication_is_404_alike_for_a_stranger_an_unknown_id_and_an_event_that_is_no_message(world):
    referral = world.referral_in("information_requested")
    ids = events_of(world, referral["id"])
    answers = [world.client.get(f"/fhir/Communication/{i}", headers=world.headers(who)) for who, i in (
        ("bup2", ids["request-information"]), ("bup2", UNKNOWN_ID), ("gp", ids["submit"]))]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert outcome_of(answers[0]) == outcome_of(answers[1]) == outcome_of(answers[2])


def test_each_read_of_a_communication_is_in_the_access_log(world, app):
    referral = world.referral_in("information_requested")
    question = events_of(world, referral["id"])["request-information"]
    before = log_rows(app, referral["id"])
    fhir_get(world, "gp", f"Communication/{question}")
    assert log_rows(app, referral["id"])[len(before):] == [("read", world.users["gp"].id)]


def test_each_referral_event_is_a_provenance_of_who_did_what(world, app):
    referral = world.referral_in("rejected")
    ids = events_of(world, referral["id"])
    for action, who in (("create", "gp"), ("submit", "gp"), ("reject", "bup")):
        provenance = fhir_get(world, "gp", f"Provenance/{ids[action]}")
        assert codes(provenance["activity"]) == {f"{CANON}/CodeSystem/referral-action": action}
        assert provenance["agent"] == [{"who": {"reference": f"PractitionerRole/{world.users[who].id}"},
                                        "onBehalfOf": {"reference": f"Organization/{world.orgs[who].id}"}}]
        assert provenance["target"] == [{"reference": f"ServiceRequest/{referral['id']}"},
                                        {"reference": f"Task/{referral['id']}"}]
    before = log_rows(app, referral["id"])
    stranger = world.client.get(f"/fhir/Provenance/{ids['reject']}", headers=world.headers("bup2"))
    unknown = world.client.get(f"/fhir/Provenance/handover-{UNKNOWN_ID}", headers=world.headers("bup2"))
    assert stranger.status_code == unknown.status_code == 404
    assert outcome_of(stranger) == outcome_of(unknown)
    fhir_get(world, "bup", f"Provenance/{ids['reject']}")
    assert log_rows(app, referral["id"])[len(before):] == [("denied:referral", world.users["bup2"].id),
                                                            ("read", world.users["bup"].id)]


def test_each_handover_step_is_a_provenance_the_service_its_agent_when_no_person_acted(world):
    referral_id, handover_id = handed_back(world)
    step(world, handover_id, "acknowledge")
    steps = {e["action"]: e["id"] for e in world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}")
             .json["events"]}
    created = fhir_get(world, "coordinator_askoy", f"Provenance/handover-{steps['create']}")
    acknowledged = fhir_get(world, "coordinator_askoy", f"Provenance/handover-{steps['acknowledge']}")
    assert codes(created["activity"]) == {f"{CANON}/CodeSystem/referral-action": "handover-create"}
    assert created["agent"][0]["who"]["type"] == "Device"
    assert codes(acknowledged["activity"]) == {f"{CANON}/CodeSystem/referral-action": "handover-acknowledge"}
    assert acknowledged["agent"] == [
        {"who": {"reference": f"PractitionerRole/{world.users['coordinator_askoy'].id}"},
         "onBehalfOf": {"reference": f"Organization/{world.orgs['askoy'].id}"}}]
    assert acknowledged["target"] == [{"reference": f"Task/{handover_id}"},
                                      {"reference": f"ServiceRequest/{referral_id}"}]
    other = world.client.get(f"/fhir/Provenance/handover-{steps['create']}",
                             headers=world.headers("coordinator_bergen"))
    assert other.status_code == 404


def test_a_decision_after_the_assessment_deadline_is_a_breach_the_service_recorded(world, app, test_clock):
    referral = world.referral_in("submitted")
    test_clock.set(datetime.now(UTC) + timedelta(days=40))  # past the assessment deadline (signs in again)
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Sent vurdert.",
                                                "municipal_advice": "Kommunepsykolog."})
    with app.extensions["referral_db"].session() as session:
        (mark,) = session.exec(select(DeadlineMark).where(DeadlineMark.referral_id == referral["id"])).all()
    breach = fhir_get(world, "gp", f"Provenance/mark-{mark.id}")
    assert codes(breach["activity"]) == {f"{CANON}/CodeSystem/referral-action": "deadline-breach"}
    assert breach["activity"]["text"].startswith("assessment_breach")
    assert breach["agent"][0]["who"]["type"] == "Device"
    assert breach["target"] == [{"reference": f"ServiceRequest/{referral['id']}"},
                                {"reference": f"Task/{referral['id']}"}]
    assert world.client.get(f"/fhir/Provenance/mark-{mark.id}", headers=world.headers("bup2")).status_code == 404


def test_the_capability_statement_says_tasks_communications_and_provenance_are_read(world):
    response = world.client.get("/fhir/metadata")
    served = {r["type"]: r for r in response.get_json()["rest"][0]["resource"]}
    for resource_type in ("Task", "Communication", "Provenance"):
        assert {"code": "read"} in served[resource_type]["interaction"], resource_type
