"""Patient, Organization, Practitioner(Role), ServiceRequest and Consent under /fhir (FHIR.md §2–4, §7): every
resource validates with fhir.resources, and the codes a client reads are the ones the design note names."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from referral_service.fhir.codes import (
    ACT_REASON,
    CONSENT_ACTION,
    CONSENT_SCOPE,
    FODSELSNUMMER,
    KOMMUNENUMMER,
    LOINC,
    MUNICIPALITY_EXTENSION,
    PARTICIPATION_TYPE,
    ROLE_CODE,
    SNOMED,
    code_system,
    extension,
)
from tests.support.fhir import fhir_get, outcome_of
from tests.support.loop import InProcessWorker

#: FHIR.md §5's table, the ServiceRequest.status column (and the ends it leaves out).
SERVICE_REQUEST_STATUS = {
    "draft": "draft", "submitted": "active", "information_requested": "active", "accepted": "active",
    "in_treatment": "active", "discharged": "completed", "rejected": "revoked", "forwarded": "revoked",
    "withdrawn": "revoked",
}
NOT_THERE = "00000000-0000-0000-0000-000000000000"


def access_rows(world, *, action: str, user: str) -> list:
    engine = world.app.extensions["referral_db"].engine
    with engine.connect() as connection:
        return connection.execute(text("SELECT referral_id, child_id, basis, requested_id FROM access_log "
                                       "WHERE action = :action AND user_id = :user ORDER BY seq"),
                                  {"action": action, "user": world.users[user].id}).all()


def codes(concepts: list[dict]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for concept in concepts for c in concept["coding"]}


@pytest.mark.parametrize("status", sorted(SERVICE_REQUEST_STATUS))
def test_the_service_request_in_every_state(world, status):
    referral = world.referral_in(status)
    reader = "bup2" if status == "forwarded" else "gp"
    request = fhir_get(world, "gp", f"ServiceRequest/{referral['id']}")
    assert request["status"] == SERVICE_REQUEST_STATUS[status]
    assert request["intent"] == "order"
    assert codes(request["category"]) == {(SNOMED, "3457005")}
    assert request["priority"] == "routine"
    assert request["subject"] == {"reference": f"Patient/{referral['child']['id']}"}
    assert request["requester"]["reference"] == f"PractitionerRole/{world.users['gp'].id}"
    assert request["performer"] == [{"reference": f"Organization/{world.orgs['bup'].id}"}]
    assert codes(request["reasonCode"]) == {(code_system("referral-reason"), "anxiety"),
                                            (code_system("referral-reason"), "school_refusal")}
    assert request["meta"]["versionId"] == str(referral["version"])
    if status == "forwarded":
        onward = fhir_get(world, reader, f"ServiceRequest/{referral['forwarded_to_id']}")
        assert onward["status"] == "active"
        assert onward["replaces"] == [{"reference": f"ServiceRequest/{referral['id']}"}]
        assert onward["performer"] == [{"reference": f"Organization/{world.orgs['bup2'].id}"}]


def test_the_service_request_carries_the_referrals_words_and_its_supporting_information(world):
    referral = world.create_referral(urgency="urgent")
    response = world.client.get(f"/fhir/ServiceRequest/{referral['id']}", headers=world.headers("gp"))
    assert response.headers["ETag"] == f'W/"{referral["version"]}"'
    request = fhir_get(world, "gp", f"ServiceRequest/{referral['id']}")
    assert request["priority"] == "urgent"
    notes = {n["extension"][0]["valueCoding"]["code"]: n["text"] for n in request["note"]}
    assert notes == {"description": referral["description"], "measures-tried": referral["measures_tried"],
                     "child-view": referral["child_view"]}
    assert {n["extension"][0]["url"] for n in request["note"]} == {extension("note-kind")}
    assert {"reference": f"Consent/{referral['id']}"} in request["supportingInfo"]
    team = request["contained"][0]
    assert team["resourceType"] == "CareTeam"
    assert {"reference": f"#{team['id']}", "display": "Laget rundt barnet"} in request["supportingInfo"]
    assert team["participant"] == [{"role": [{"text": "Helsesykepleier"}],
                                    "member": {"display": "Heidi Helsesykepleier"},
                                    "onBehalfOf": {"reference": f"Organization/{world.orgs['school_askoy'].id}"}}]
    assert any(i["value"] == referral["id"] for i in request["identifier"])


def test_a_stranger_gets_the_same_404_as_for_an_unknown_id(world):
    referral = world.referral_in("submitted")
    for path in (f"ServiceRequest/{referral['id']}", f"Patient/{referral['child']['id']}"):
        kind = path.split("/")[0]
        stranger = world.client.get(f"/fhir/{path}", headers=world.headers("bup2"))
        unknown = world.client.get(f"/fhir/{kind}/{NOT_THERE}", headers=world.headers("bup2"))
        assert stranger.status_code == unknown.status_code == 404
        assert outcome_of(stranger) == outcome_of(unknown)
    denied = access_rows(world, action="denied:patient", user="bup2")
    assert [row.requested_id for row in denied] == [referral["child"]["id"], NOT_THERE]


def test_the_gp_sees_the_childs_number_and_the_municipality_does_not(world, app):
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()  # the handover to the municipality
    number = _number_of(world, referral["id"])
    gp = fhir_get(world, "gp", f"Patient/{referral['child']['id']}")
    assert gp["identifier"] == [{"use": "official", "system": FODSELSNUMMER, "value": number}]
    bup = fhir_get(world, "bup", f"Patient/{referral['child']['id']}")
    assert bup["identifier"][0]["value"] == number
    municipality = fhir_get(world, "coordinator_askoy", f"Patient/{referral['child']['id']}")
    assert "identifier" not in municipality
    assert municipality["name"] == gp["name"] == [{"use": "official", "family": "Testesen", "given": ["Ola"]}]
    assert municipality["birthDate"] == gp["birthDate"] == "2012-05-10"
    assert "gender" not in gp
    district = gp["address"][0]
    assert district["district"] == "Askøy"
    assert district["_district"]["extension"][0]["url"] == MUNICIPALITY_EXTENSION
    assert district["_district"]["extension"][0]["valueCoding"]["system"] == KOMMUNENUMMER
    assert district["_district"]["extension"][0]["valueCoding"]["code"] == "4627"
    assert gp["contact"] == [{"relationship": [{"coding": [{"system": ROLE_CODE, "code": "GUARD",
                                                            "display": "guardian"}]}],
                              "name": {"text": "Mor Testesen"}, "telecom": [{"system": "phone", "value": "40000000"}]}]
    # Each read of the child is logged; the number's showing is logged as a reveal, for those who saw it only.
    assert [row.referral_id for row in access_rows(world, action="read", user="gp")] == [referral["id"]]
    # (the first reveal is the test's own, through /api/v1)
    assert [row.referral_id for row in access_rows(world, action="reveal_national_id", user="gp")] == \
        [referral["id"]] * 2
    assert access_rows(world, action="read", user="coordinator_askoy")
    assert not access_rows(world, action="reveal_national_id", user="coordinator_askoy")


def test_a_synthetic_number_marks_the_patient_as_test_data(world):
    referral = world.referral_in("submitted")
    patient = fhir_get(world, "gp", f"Patient/{referral['child']['id']}")
    assert patient["meta"]["security"] == [{"system": ACT_REASON, "code": "HTEST", "display": "test health data"}]
    assert "extension" not in patient and "communication" not in patient


def test_the_newest_referral_the_reader_may_see_describes_the_child(world):
    first = world.referral_in("rejected")
    body = world.referral_body(interpreter={"needed": True, "language": "ar"})
    body["child"] = {**body["child"], "national_id": _number_of(world, first["id"]), "given_name": "Ole"}
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201, response.json
    assert response.json["child"]["id"] == first["child"]["id"]
    patient = fhir_get(world, "gp", f"Patient/{first['child']['id']}")
    assert patient["name"][0]["given"] == ["Ole"]
    assert patient["communication"][0]["language"]["coding"] == [{"system": "urn:ietf:bcp:47", "code": "ar"}]
    # BUP never received the new draft: it reads the child as the referral it has describes it.
    assert fhir_get(world, "bup", f"Patient/{first['child']['id']}")["name"][0]["given"] == ["Ola"]


def _number_of(world, referral_id: str) -> str:
    response = world.post("gp", f"/api/v1/referrals/{referral_id}/national-id")
    assert response.status_code == 200
    return response.json["national_id"]


@pytest.mark.parametrize("status", sorted(SERVICE_REQUEST_STATUS))
def test_the_patient_and_the_consent_in_every_state(world, status):
    referral = world.referral_in(status)
    patient = fhir_get(world, "gp", f"Patient/{referral['child']['id']}")
    assert patient["id"] == referral["child"]["id"]
    assert patient["identifier"][0]["system"] == FODSELSNUMMER
    consent = fhir_get(world, "gp", f"Consent/{referral['id']}")
    assert consent["status"] == "active"
    assert consent["meta"]["versionId"] == str(referral["version"])


def test_the_consent_names_who_gave_it_and_who_may_be_told(world):
    referral = world.referral_in("submitted")
    consent = fhir_get(world, "bup", f"Consent/{referral['id']}")
    assert codes([consent["scope"]]) == {(CONSENT_SCOPE, "patient-privacy")}
    assert codes(consent["category"]) == {(LOINC, "64292-6")}
    assert consent["patient"] == {"reference": f"Patient/{referral['child']['id']}"}
    assert consent["policy"][0]["uri"].startswith("https://lovdata.no/")
    assert consent["dateTime"] == referral["consent"]["recorded_on"]
    guardian = consent["contained"][0]
    assert guardian["resourceType"] == "RelatedPerson"
    assert guardian["name"] == [{"text": "Mor Testesen"}]
    assert codes(guardian["relationship"]) == {(ROLE_CODE, "GUARD")}
    assert consent["performer"] == [{"reference": f"#{guardian['id']}"}]
    provision = consent["provision"]
    assert provision["type"] == "permit"
    assert codes(provision["action"]) == {(CONSENT_ACTION, "disclose")}
    assert {codes([actor["role"]]).pop() for actor in provision["actor"]} == {(PARTICIPATION_TYPE, "IRCP")}
    assert [actor["reference"] for actor in provision["actor"]] == [
        {"reference": f"Organization/{world.orgs['bup'].id}"},
        {"reference": f"Organization/{world.orgs['askoy'].id}", "display": "Askøy kommune"}]
    assert "provision" not in provision
    assert {"reference": f"Consent/{referral['id']}"} in fhir_get(
        world, "bup", f"ServiceRequest/{referral['id']}")["supportingInfo"]


def test_a_young_persons_withholding_from_the_guardians_is_a_nested_deny(world, app):
    referral = world.create_referral(consent={"given_by": ["child", "guardian"],
                                              "share_with": ["bup", "municipality", "school"],
                                              "withhold_from_guardians": True})
    world.act("gp", referral["id"], "submit")
    consent = fhir_get(world, "gp", f"Consent/{referral['id']}")
    assert consent["performer"] == [{"reference": f"Patient/{referral['child']['id']}"},
                                    {"reference": "#guardian-1"}]
    assert {"display": "Skolen"} in [actor["reference"] for actor in consent["provision"]["actor"]]
    deny = consent["provision"]["provision"]
    assert [(d["type"], codes(d["action"])) for d in deny] == [("deny", {(CONSENT_ACTION, "disclose")})]
    assert [actor["reference"] for actor in deny[0]["actor"]] == [{"reference": "#guardian-1"}]
    assert codes([deny[0]["actor"][0]["role"]]) == {(PARTICIPATION_TYPE, "IRCP")}
    assert [c["resourceType"] for c in consent["contained"]] == ["RelatedPerson"]
    # The municipality sees the guardians' names but not how to reach them (the REST view's rule).
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Nei.",
                                               "municipal_advice": "Kommunepsykolog."})
    InProcessWorker(app).run()
    municipality = fhir_get(world, "coordinator_askoy", f"Patient/{referral['child']['id']}")
    assert municipality["contact"] == [{"relationship": [{"coding": [{"system": ROLE_CODE, "code": "GUARD",
                                                                      "display": "guardian"}]}],
                                        "name": {"text": "Mor Testesen"}}]
    assert fhir_get(world, "gp", f"Patient/{referral['child']['id']}")["contact"][0]["telecom"]


def test_without_consent_to_share_with_the_municipality_it_names_none_and_reads_none(world, app):
    referral = world.create_referral(consent={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Nei.",
                                               "municipal_advice": "Kommunepsykolog."})
    InProcessWorker(app).run()
    consent = fhir_get(world, "gp", f"Consent/{referral['id']}")
    assert [actor["reference"] for actor in consent["provision"]["actor"]] == [
        {"reference": f"Organization/{world.orgs['bup'].id}"}]
    for path in (f"Consent/{referral['id']}", f"ServiceRequest/{referral['id']}",
                 f"Patient/{referral['child']['id']}"):
        assert world.client.get(f"/fhir/{path}", headers=world.headers("coordinator_askoy")).status_code == 404


def test_the_directory_is_read_by_every_signed_in_user(world):
    for who in ("gp", "coordinator_bergen", "bup2"):
        clinic = fhir_get(world, who, f"Organization/{world.orgs['bup'].id}")
        assert clinic["name"] == "BUP Bergen sentrum"
        assert codes(clinic["type"]) == {(code_system("organisation-kind"), "bup_clinic")}
    askoy = fhir_get(world, "gp", f"Organization/{world.orgs['askoy'].id}")
    assert {"system": KOMMUNENUMMER, "value": "4627"} in askoy["identifier"]
    office = fhir_get(world, "gp", f"Organization/{world.orgs['gp'].id}")
    assert office["address"][0]["_district"]["extension"][0]["valueCoding"]["code"] == "4627"
    assert "identifier" not in office or all(i["system"] != KOMMUNENUMMER for i in office["identifier"])
    gp = world.users["gp"]
    person = fhir_get(world, "bup", f"Practitioner/{gp.id}")
    assert person["name"] == [{"text": "Frida Fastlege"}]
    assert "telecom" not in person
    role = fhir_get(world, "coordinator_askoy", f"PractitionerRole/{gp.id}")
    assert role["practitioner"]["reference"] == f"Practitioner/{gp.id}"
    assert role["organization"] == {"reference": f"Organization/{world.orgs['gp'].id}", "display": "Askøy legesenter"}
    assert codes(role["code"]) == {(code_system("role"), "referrer")}
    for kind in ("Organization", "Practitioner", "PractitionerRole"):
        response = world.client.get(f"/fhir/{kind}/{NOT_THERE}", headers=world.headers("gp"))
        assert response.status_code == 404
        assert outcome_of(response)["issue"][0]["code"] == "not-found"
        assert world.client.get(f"/fhir/{kind}/{gp.id}").status_code == 401


def test_the_capability_statement_lists_the_resources_read_here(world):
    statement = world.client.get("/fhir/metadata").get_json()
    served = {resource["type"] for resource in statement["rest"][0]["resource"]}
    assert {"Patient", "Organization", "Practitioner", "PractitionerRole", "ServiceRequest", "Consent"} <= served


def test_reading_the_referral_and_its_consent_is_logged_on_the_readers_basis(world):
    referral = world.referral_in("submitted")
    fhir_get(world, "bup", f"ServiceRequest/{referral['id']}")
    fhir_get(world, "bup", f"Consent/{referral['id']}")
    rows = access_rows(world, action="read", user="bup")
    assert [(row.referral_id, row.child_id, row.basis) for row in rows] == \
        [(referral["id"], referral["child"]["id"], "receiving_clinic")] * 2


def test_an_identity_number_in_the_address_is_neither_echoed_nor_kept(world):
    referral = world.referral_in("submitted")
    number = _number_of(world, referral["id"])
    response = world.client.get(f"/fhir/Patient/{number}", headers=world.headers("gp"))
    assert response.status_code == 404
    assert number not in response.get_data(as_text=True)
    assert [row.requested_id for row in access_rows(world, action="denied:patient", user="gp")] == [None]
