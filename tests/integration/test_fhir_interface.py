"""The FHIR interface's frame: the CapabilityStatement, JSON only, errors as OperationOutcomes, the same tokens."""

from __future__ import annotations

from tests.support.fhir import FHIR_JSON, outcome_of, validated


def test_metadata_is_a_capability_statement_for_fhir_4_0_1_open_without_a_token(world):
    response = world.client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{FHIR_JSON}; charset=utf-8"
    statement = validated(response.get_json(), "CapabilityStatement")
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["json"]
    for resource in statement["rest"][0]["resource"]:
        assert {"code": "read"} in resource["interaction"], resource["type"]


def test_a_read_without_a_token_is_401_as_an_operation_outcome(world):
    response = world.client.get("/fhir/ServiceRequest/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    outcome = outcome_of(response)
    assert outcome["issue"][0]["code"] == "login"


def test_an_unknown_type_or_id_is_404_as_an_operation_outcome(world):
    for path in ("/fhir/Observation/1", "/fhir/Nonsense/1", "/fhir/12345678901/1", "/fhir/no/such/path"):
        response = world.client.get(path, headers=world.headers("gp"))
        assert response.status_code == 404, path
        outcome = outcome_of(response)
        assert outcome["issue"][0]["code"] == "not-found"
        assert "12345678901" not in response.get_data(as_text=True)


def test_only_json_is_spoken(world):
    xml_only = world.client.get("/fhir/metadata", headers={"Accept": "application/fhir+xml"})
    assert xml_only.status_code == 406
    assert outcome_of(xml_only)["issue"][0]["code"] == "not-supported"
    assert world.client.get("/fhir/metadata?_format=xml").status_code == 406
    for accept in ("application/json", "application/fhir+json", "*/*", "application/fhir+json, */*;q=0.1"):
        assert world.client.get("/fhir/metadata", headers={"Accept": accept}).status_code == 200, accept
    xml_body = world.client.post("/fhir", data="<Bundle/>", headers={**world.headers("gp"),
                                                                   "Content-Type": "application/fhir+xml"})
    assert xml_body.status_code == 415
    assert outcome_of(xml_body)["issue"][0]["code"] == "not-supported"
