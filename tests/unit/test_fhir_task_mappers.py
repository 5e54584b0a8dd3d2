"""The Task, Communication and Provenance mappers on rows alone: every referral status (those the API walk cannot
reach cheaply too: merged, transferred to DPS) and a handover closed by a move parse as FHIR with their codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from referral_service.domain.enums import HandoverOutcome, HandoverStatus, ReferralStatus
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.communication import communications
from referral_service.fhir.handover_task import HandoverFacts, handover_task
from referral_service.fhir.provenance import handover_event_provenance, referral_event_provenance
from referral_service.fhir.referral_task import referral_task
from tests.support.fhir import validated

CANON = "https://bup-henvisning.example/fhir"
FEEDBACK = "urn:oid:2.16.578.1.12.4.1.1.9148"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

#: Our status -> (Task.status, feedback code): FHIR.md §5, and the rows this note decides (municipal_level, merged,
#: transferred_to_dps).
ROWS = {
    "draft": ("draft", None), "submitted": ("requested", None), "information_requested": ("on-hold", None),
    "accepted": ("accepted", "2"), "in_treatment": ("in-progress", "1"), "discharged": ("completed", None),
    "rejected": ("rejected", "4"), "municipal_level": ("rejected", "4"), "forwarded": ("cancelled", "3"),
    "withdrawn": ("cancelled", None), "merged": ("cancelled", None), "transferred_to_dps": ("completed", None),
}


def a_referral(status: str, **fields) -> Referral:
    return Referral(id="r-1", child_id="c-1", status=status, referrer_user_id="u-gp", referrer_org_id="o-gp",
                    referrer_kind="gp_office", clinic_id="o-bup", created_at=AT, updated_at=AT, version=3, **fields)


def an_event(action: str, data: dict | None = None, event_id: str = "e-1", actor: str = "u-bup") -> ReferralEvent:
    return ReferralEvent(id=event_id, referral_id="r-1", action=action, to_status="x", actor_id=actor,
                         actor_org_id="o-bup", at=AT, data=data or {})


def codes(concept: dict) -> dict[str, str]:
    return {c["system"]: c["code"] for c in concept["coding"]}


def test_every_referral_status_has_a_row():
    assert set(ROWS) == {s.value for s in ReferralStatus}


@pytest.mark.parametrize("status", list(ROWS))
def test_each_status_reads_as_its_task_status_and_business_status(status):
    task = validated(referral_task(a_referral(status), []), "Task")
    assert task["status"] == ROWS[status][0]
    assert codes(task["businessStatus"]).get(FEEDBACK) == ROWS[status][1]
    assert codes(task["businessStatus"])[f"{CANON}/CodeSystem/referral-status"] == status
    assert task["meta"]["versionId"] == "3"


@pytest.mark.parametrize(("status", "action", "clinic"), [("transferred_to_dps", "transfer-to-dps", "o-dps"),
                                                            ("forwarded", "forward", "o-bup2")])
def test_a_referral_moved_on_names_the_clinic_it_went_to_not_its_new_referral(status, action, clinic):
    referral = a_referral(status, forwarded_to_id="r-2")
    task = validated(referral_task(referral, [an_event(action, {"clinic_id": clinic, "reason": "Fyller 18."})]))
    assert task["output"] == [{"type": {"coding": [{"system": f"{CANON}/CodeSystem/task-data",
                                                     "code": "forwarded-to"}]},
                               "valueReference": {"reference": f"Organization/{clinic}"}}]
    assert task["statusReason"] == {"text": "Fyller 18."}


def test_the_municipal_level_task_carries_bups_explanation_and_advice():
    event = an_event("municipal-outcome", {"assessment_conversation_on": "2026-02-27",
                                           "explanation": "Hører hjemme i kommunen.", "municipal_advice": "Råd."})
    task = validated(referral_task(a_referral("municipal_level"), [event]))
    assert task["statusReason"] == {"text": "Hører hjemme i kommunen."}
    assert {o["type"]["coding"][0]["code"]: o.get("valueString", o.get("valueDate")) for o in task["output"]} == {
        "assessment-conversation": "2026-02-27", "municipal-advice": "Råd."}


def a_handover(**fields) -> Handover:
    values = dict(id="h-1", referral_id="r-1", trigger_event_id="e-1", trigger="rejected", municipality_number="4627",
                  addressed_to="municipality", owner_org_id="o-askoy", acknowledge_due=date(2026, 3, 4),
                  first_contact_due=date(2026, 3, 16), created_at=AT, updated_at=AT)
    values.update(fields)
    return Handover(**values)


def test_a_task_closed_by_a_move_is_cancelled_as_transferred_and_names_the_task_that_goes_on():
    handover = a_handover(status=HandoverStatus.CLOSED, outcome_code=HandoverOutcome.TRANSFERRED,
                          outcome="Familien flyttet.", transferred_to_id="h-2", closed_at=AT)
    task = validated(handover_task(handover, HandoverFacts(child_id="c-1", clinic_id="o-bup")), "Task")
    assert task["status"] == "cancelled"
    assert codes(task["businessStatus"]) == {f"{CANON}/CodeSystem/handover-status": "transferred"}
    outputs = {o["type"]["coding"][0]["code"]: o for o in task["output"]}
    assert outputs["continued-by"]["valueReference"] == {"reference": "Task/h-2"}
    assert codes(outputs["outcome"]["valueCodeableConcept"]) == {f"{CANON}/CodeSystem/handover-outcome":
                                                                 "transferred"}


def test_a_task_whose_child_withholds_from_the_guardians_says_so():
    task = validated(handover_task(a_handover(), HandoverFacts(child_id="c-1", clinic_id="o-bup",
                                                               withhold_from_guardians=True)))
    assert task["note"] == [{"text": "The child has asked that the guardians are not informed."}]


def test_questions_and_answers_pair_with_the_latest_question_before_each_answer():
    events = [an_event("request-information", {"questions": "Hvor lenge?"}, "q-1"),
              an_event("supplement", {"text": "Ett år."}, "a-1", actor="u-gp"),
              an_event("request-information", {"questions": "Hvem er fastlege?"}, "q-2"),
              an_event("supplement", {"text": "Dr. Hansen."}, "a-2", actor="u-gp"),
              an_event("accept", {"care_start_due": "2026-04-01"}, "x-1")]
    messages = [validated(m, "Communication") for m in communications(a_referral("accepted"), events)]
    assert [(m["id"], m.get("inResponseTo")) for m in messages] == [
        ("q-1", None), ("a-1", [{"reference": "Communication/q-1"}]),
        ("q-2", None), ("a-2", [{"reference": "Communication/q-2"}])]


def test_provenance_of_a_referral_event_and_of_an_automatic_handover_step():
    referral_step = validated(referral_event_provenance(an_event("reject")), "Provenance")
    assert codes(referral_step["activity"]) == {f"{CANON}/CodeSystem/referral-action": "reject"}
    automatic = HandoverEvent(id="he-1", handover_id="h-1", action="create", to_status="open", at=AT)
    handover_step = validated(handover_event_provenance(automatic, referral_id="r-1", actor_organisation_id=None))
    assert handover_step["id"] == "handover-he-1"
    assert handover_step["agent"] == [{"who": {"type": "Device", "display": "BUP referral service (automatic)"}}]
