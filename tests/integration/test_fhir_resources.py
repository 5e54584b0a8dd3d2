"""Patient, Organization, Practitioner(Role), ServiceRequest and Consent under /fhir (FHIR.md §2–4, §7): every
resource validates with fhir.resources, and the codes a client reads are the ones the design note names."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from referral_service.fhir.codes import (
    ACT_REASON,
    FODSELSNUMMER,
    KOMMUNENUMMER,
    MUNICIPALITY_EXTENSION,
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


def _number_of(world, referral_id: str) -> str:
    response = world.post("gp", f"/api/v1/referrals/{referral_id}/national-id")
    assert response.status_code == 200
    return response.json["national_id"]
