"""The pure mappings of FHIR writes: a transaction Bundle read back into the REST body, a Task update read as one
lifecycle action (FHIR.md §5 read backwards, §9)."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import HandoverStatus, ReferralAction, ReferralStatus
from referral_service.errors import InvalidData
from referral_service.fhir.codes import D_NUMMER, FODSELSNUMMER, code_system
from referral_service.fhir.inbound import read_transaction
from referral_service.fhir.task_updates import check_task, read_change, read_handover_change
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


def forwarded_to(clinic: str = "Organization/clinic-2") -> list[dict]:
    return [{"type": {"coding": [{"system": code_system("task-data"), "code": "forwarded-to"}]},
             "valueReference": {"reference": clinic}}]


@pytest.mark.parametrize("current, sent, action", [
    # A client reads the Task, changes Task.status only and PUTs it back: the status that changed says it.
    (S.SUBMITTED, task("rejected", "submitted"), A.REJECT),
    (S.SUBMITTED, task("accepted", "submitted"), A.ACCEPT),
    (S.SUBMITTED, task("cancelled", "submitted", output=forwarded_to()), A.FORWARD),
    # ...or the businessStatus only.
    (S.SUBMITTED, task("requested", "municipal_level"), A.MUNICIPAL_OUTCOME),
    # Both changed and agree.
    (S.SUBMITTED, task("rejected", "municipal_level"), A.MUNICIPAL_OUTCOME),
    # Sent back unchanged: nothing, whichever of our statuses shares the Task.status.
    (S.MUNICIPAL_LEVEL, task("rejected"), None),
    (S.MUNICIPAL_LEVEL, task("rejected", "municipal_level"), None),
    (S.TRANSFERRED_TO_DPS, task("completed", output=forwarded_to()), None),
    (S.MERGED, task("cancelled"), None),
    (S.SUBMITTED, task("received", "submitted"), None),
])
def test_what_changed_against_the_task_as_it_stands_says_the_action(current, sent, action):
    assert read_change(current=current, task=sent, epikrise_pending=False).action == action


@pytest.mark.parametrize("current, sent, expression", [
    (S.SUBMITTED, task("cancelled", "accepted"), "Task.status"),
    (S.SUBMITTED, task("completed", "rejected"), "Task.status"),
    (S.IN_TREATMENT, task("rejected", "discharged"), "Task.status"),
    # `completed` is a discharge or the DPS transfer: with forwarded-to, only businessStatus can say which.
    (S.IN_TREATMENT, task("completed", output=forwarded_to()), "Task.businessStatus"),
])
def test_a_task_that_asks_for_two_things_is_422(current, sent, expression):
    with pytest.raises(InvalidData) as refused:
        read_change(current=current, task=sent, epikrise_pending=False)
    assert list(refused.value.errors or {}) == [expression]


TASK_DATA = code_system("task-data")


@pytest.mark.parametrize("current, change, expression", [
    (S.SUBMITTED, {"status": ["accepted"]}, "Task.status"),
    (S.SUBMITTED, {"status": 5}, "Task.status"),
    (S.SUBMITTED, {"businessStatus": "x"}, "Task.businessStatus"),
    (S.SUBMITTED, {"businessStatus": {"coding": "x"}}, "Task.businessStatus.coding"),
    (S.SUBMITTED, {"businessStatus": {"coding": ["x"]}}, "Task.businessStatus.coding[0]"),
    (S.SUBMITTED, {"status": "rejected", "statusReason": "x"}, "Task.statusReason"),
    (S.SUBMITTED, {"status": "rejected", "statusReason": {"text": 5}}, "Task.statusReason.text"),
    (S.SUBMITTED, {"status": "rejected", "statusReason": {"coding": "x"}}, "Task.statusReason.coding"),
    (S.SUBMITTED, {"status": "accepted", "output": "x"}, "Task.output"),
    (S.SUBMITTED, {"status": "accepted", "output": ["x"]}, "Task.output[0]"),
    (S.SUBMITTED, {"status": "accepted", "output": [{"type": "x"}]}, "Task.output[0].type"),
    (S.SUBMITTED, {"status": "accepted", "input": [{"type": {"coding": "x"}}]}, "Task.input[0].type.coding"),
    (S.SUBMITTED, {"status": "accepted", "restriction": "x"}, "Task.restriction"),
    (S.SUBMITTED, {"status": "accepted", "restriction": {"period": "x"}}, "Task.restriction.period"),
    (S.SUBMITTED, {"status": "accepted", "restriction": {"period": {"end": 5}}}, "Task.restriction.period.end"),
    (S.ACCEPTED, {"status": "in-progress", "executionPeriod": "x"}, "Task.executionPeriod"),
    (S.SUBMITTED, {"status": "cancelled", "output": [{**forwarded_to()[0], "valueReference": "x"}]},
     "Task.output[0].valueReference"),
    (S.SUBMITTED, {"status": "cancelled", "output": [{**forwarded_to()[0], "valueReference": {"reference": 5}}]},
     "Task.output[0].valueReference.reference"),
])
def test_a_task_of_the_wrong_json_shape_is_422_at_its_path(current, change, expression):
    sent = {"resourceType": "Task", "id": "r1", "status": "requested", **change}
    with pytest.raises(InvalidData) as refused:
        read_change(current=current, task=sent, epikrise_pending=False)
    assert list(refused.value.errors or {}) == [expression]
    assert "'x'" not in str(refused.value.errors) + refused.value.detail


@pytest.mark.parametrize("code, expression", [("x", "Task.code"), ({"coding": "x"}, "Task.code.coding"),
                                              ({"coding": [5]}, "Task.code.coding[0]")])
def test_a_task_code_of_the_wrong_shape_is_422(code, expression):
    with pytest.raises(InvalidData) as refused:
        check_task({"resourceType": "Task", "id": "r1", "code": code}, task_id="r1", handover=False)
    assert list(refused.value.errors or {}) == [expression]


def handover_task(status: str, business: str | None = None, **more: object) -> dict:
    sent: dict = {"resourceType": "Task", "id": "h1", "status": status, **more}
    if business:
        sent["businessStatus"] = {"coding": [{"system": code_system("handover-status"), "code": business}]}
    return sent


OUTCOME = [{"type": {"coding": [{"system": TASK_DATA, "code": "outcome"}]},
            "valueCodeableConcept": {"text": "Fulgt opp."}}]


@pytest.mark.parametrize("current, sent, action", [
    (HandoverStatus.ACKNOWLEDGED, handover_task("completed", "acknowledged", output=OUTCOME), HandoverAction.CLOSE),
    (HandoverStatus.OPEN, handover_task("accepted", "open"), HandoverAction.ACKNOWLEDGE),
    (HandoverStatus.OPEN, handover_task("requested", "acknowledged"), HandoverAction.ACKNOWLEDGE),
    (HandoverStatus.CLOSED, handover_task("cancelled", "transferred"), None),
    (HandoverStatus.FOLLOW_UP_PLANNED, handover_task("in-progress"), None),
])
def test_a_handover_task_asks_for_what_changed(current, sent, action):
    nobody = {"assignee_user_id": None, "service": None}
    assert read_handover_change(current=current, assigned_to=nobody, task=sent).action == action


@pytest.mark.parametrize("sent, expression", [
    (handover_task("requested", "closed"), "Task.status"),
    (handover_task("completed", output="x"), "Task.output"),
    (handover_task("in-progress", extension="x"), "Task.extension"),
    (handover_task("in-progress", performerType=[{"text": 5}]), "Task.performerType[0].text"),
    (handover_task("completed", output=[{**OUTCOME[0], "valueCodeableConcept": "x"}]),
     "Task.output[0].valueCodeableConcept"),
])
def test_a_handover_task_that_cannot_be_read_is_422(sent, expression):
    nobody = {"assignee_user_id": None, "service": None}
    with pytest.raises(InvalidData) as refused:
        read_handover_change(current=HandoverStatus.ACKNOWLEDGED, assigned_to=nobody, task=sent)
    assert list(refused.value.errors or {}) == [expression]
