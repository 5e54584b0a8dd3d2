"""The pure mappings of FHIR writes: a transaction Bundle read back into the REST body, a Task update read as one
lifecycle action (FHIR.md §5 read backwards, §9)."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import HandoverStatus, ReferralAction, ReferralStatus
from referral_service.errors import InvalidData
from referral_service.fhir.codes import D_NUMMER, FODSELSNUMMER, code_system
from referral_service.fhir.inbound import read_transaction
from referral_service.fhir.task_updates import read_change, read_handover_change
from referral_service.workflows.handover_lifecycle import HandoverAction

NUMBER = "13051299999"  # shape only: the schema and the service check the digits


def bundle(*entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"fullUrl": f"urn:uuid:0000000{i}-0000-0000-0000-000000000000", "resource": r,
                       "request": {"method": "POST", "url": r["resourceType"]}} for i, r in enumerate(entries)]}


def patient(system: str = FODSELSNUMMER) -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": "urn:example:epj", "value": "x"},
                                                      {"system": system, "value": NUMBER}],
            "name": [{"family": "Testesen", "given": ["Ola", "Johan"]}]}


def request() -> dict:
    return {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "urgent",
            "subject": {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"},
            "performer": [{"reference": "Organization/clinic-1"}],
            "identifier": [{"system": "urn:example:epj", "value": "R-1"}]}


def test_the_bundle_becomes_the_rest_body_with_where_each_field_came_from():
    inbound = read_transaction(bundle(patient(D_NUMMER), request()))
    assert inbound.body["child"]["national_id"] == NUMBER
    assert inbound.body["child"]["given_name"] == "Ola Johan"
    assert inbound.body["clinic_id"] == "clinic-1" and inbound.body["urgency"] == "urgent"
    assert inbound.fhir_path("child.national_id") == "Bundle.entry[0].resource.identifier[1].value"
    assert inbound.fhir_path("child.guardians.0.phone") == "Bundle.entry[0].resource"
    assert inbound.identifier == "urn:example:epj|R-1"
    assert inbound.entries == ["Patient", "ServiceRequest"]


@pytest.mark.parametrize("change, expression", [
    (lambda b: b["entry"][1]["resource"].update(subject={"reference": "Patient/someone-else"}),
     "Bundle.entry[1].resource.subject"),
    (lambda b: b["entry"][1]["resource"].update(intent="plan"), "Bundle.entry[1].resource.intent"),
    (lambda b: b["entry"][0]["resource"]["identifier"].pop(), "Bundle.entry[0].resource.identifier"),
    (lambda b: b["entry"][0]["resource"]["identifier"][1].update(system="urn:oid:2.16.578.1.12.4.1.4.3"),
     "Bundle.entry[0].resource.identifier[1].system"),
    (lambda b: b["entry"][1].update(fullUrl="ServiceRequest/1"), "Bundle.entry[1].fullUrl"),
])
def test_what_the_server_does_not_take_is_named_by_its_fhir_path_without_the_number(change, expression):
    sent = bundle(patient(), request())
    change(sent)
    with pytest.raises(InvalidData) as refused:
        read_transaction(sent)
    assert expression in (refused.value.errors or {}), refused.value.errors
    assert NUMBER not in str(refused.value.errors) + refused.value.detail


S, A = ReferralStatus, ReferralAction


def task(status: str, business: str | None = None, **more: object) -> dict:
    sent: dict = {"resourceType": "Task", "id": "r1", "status": status, **more}
    if business:
        sent["businessStatus"] = {"coding": [{"system": code_system("referral-status"), "code": business}]}
    return sent


@pytest.mark.parametrize("current, sent, action", [
    (S.DRAFT, task("requested"), A.SUBMIT),
    (S.SUBMITTED, task("on-hold"), A.REQUEST_INFORMATION),
    (S.INFORMATION_REQUESTED, task("received"), A.SUPPLEMENT),
    (S.SUBMITTED, task("accepted"), A.ACCEPT),
    (S.SUBMITTED, task("rejected"), A.REJECT),
    (S.SUBMITTED, task("rejected", "municipal_level"), A.MUNICIPAL_OUTCOME),
    (S.SUBMITTED, task("cancelled", "forwarded"), A.FORWARD),
    (S.SUBMITTED, task("cancelled"), A.WITHDRAW),
    (S.ACCEPTED, task("in-progress"), A.START_TREATMENT),
    (S.IN_TREATMENT, task("completed"), A.DISCHARGE),
    (S.IN_TREATMENT, task("completed", "transferred_to_dps"), A.TRANSFER_TO_DPS),
    (S.SUBMITTED, task("requested"), None),
    (S.REJECTED, task("rejected"), None),
])
def test_each_status_change_is_one_lifecycle_action(current, sent, action):
    assert read_change(current=current, task=sent, epikrise_pending=False).action == action


def test_a_rejection_reads_its_reason_explanation_and_advice_from_the_task():
    sent = task("rejected", statusReason={"coding": [{"system": code_system("rejection-reason"),
                                                       "code": "wrong_service"}], "text": "Feil tjeneste."},
                output=[{"type": {"coding": [{"system": code_system("task-data"), "code": "municipal-advice"}]},
                         "valueString": "Kommunepsykolog."}])
    change = read_change(current=S.SUBMITTED, task=sent, epikrise_pending=False)
    assert change.data == {"reason_code": "wrong_service", "explanation": "Feil tjeneste.",
                           "municipal_advice": "Kommunepsykolog."}
    assert change.fhir_path("municipal_advice") == "Task.output[0].valueString"


def test_a_status_no_action_reaches_is_422():
    with pytest.raises(InvalidData):
        read_change(current=S.SUBMITTED, task=task("draft"), epikrise_pending=False)


def test_the_handover_steps_follow_the_task_status():
    H, HA = HandoverStatus, HandoverAction
    nobody = {"assignee_user_id": None, "service": None}
    assert read_handover_change(current=H.OPEN, assigned_to=nobody,
                                task={"status": "accepted"}).action == HA.ACKNOWLEDGE
    assigned = read_handover_change(current=H.ACKNOWLEDGED, assigned_to=nobody,
                                    task={"status": "in-progress", "performerType": [{"text": "PPT"}]})
    assert (assigned.action, assigned.data) == (HA.ASSIGN, {"service": "PPT"})
    assert read_handover_change(current=H.ASSIGNED, assigned_to={"service": "PPT"},
                                task={"status": "in-progress", "performerType": [{"text": "PPT"}]}).action is None
