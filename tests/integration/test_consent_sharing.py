"""DESIGN.md rule 4 and the consent section: PPT is not health personnel, so it takes part in a child's
referral only while the consent covers sharing with the school. When that consent is withdrawn, what is
shared from then on follows the new scope: the PPT adviser no longer sees the referral and hears nothing
more about it, while BUP and the rest of the referring side carry on, and the change is in the history.

The case: the PPT adviser in Bergen (who may refer thanks to the national trial) prepares a referral for a
Bergen child with consent to share with BUP, the municipality and the school; the child's GP is invited
as co-referrer. BUP asks a question once while consent still covers the school, so PPT's inbox has one
alert to compare with.
"""

from __future__ import annotations

import pytest

from tests.support.loop import InProcessWorker

API = "/api/v1/referrals"
FULL_SCOPE = ["bup", "municipality", "school"]
WITHOUT_SCHOOL = ["bup", "municipality"]


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


@pytest.fixture
def ppt_referral(world, worker) -> dict:
    """Prepared by PPT, co-referred by the GP, submitted, asked about once and answered: submitted again."""
    body = world.referral_body(home_municipality="4601")
    body["consent"] = {"given_by": ["guardian"], "share_with": FULL_SCOPE, "recorded_on": "2026-11-02"}
    body["municipal_contacts"] = [{"role": "PP-rådgiver", "name": "Per PP-rådgiver",
                                   "organisation_id": world.orgs["ppt"].id}]
    response = world.post("ppt", API, json=body)
    assert response.status_code == 201, response.json
    rid = response.json["id"]
    invited = world.post("ppt", f"{API}/{rid}/co-referrers", json={"organisation_id": world.orgs["gp"].id})
    assert invited.status_code == 200
    world.act("ppt", rid, "submit")
    world.act("bup", rid, "request-information", {"questions": "Hva sier skolen om fraværet?"})
    world.act("ppt", rid, "supplement", {"text": "Skolen melder fravær tre dager i uken."})
    worker.run()
    assert len(alerts_of(world, "ppt")) == 1  # PPT was told about BUP's question
    return world.get("ppt", f"{API}/{rid}").json


def alerts_of(world, who: str) -> list[dict]:
    response = world.get(who, "/api/v1/alerts")
    assert response.status_code == 200
    return response.json["items"]


def mails_to(worker: InProcessWorker, address: str) -> int:
    return sum(1 for message in worker.mailer.sent if message["To"] == address)


def change_consent(world, who: str, rid: str, share_with: list[str]):
    return world.post(who, f"{API}/{rid}/consent", json={
        "given_by": ["guardian"], "share_with": share_with, "recorded_on": "2026-11-20",
        "withhold_from_guardians": False})


def test_the_ppt_adviser_sees_a_referral_the_school_may_know_about(world, ppt_referral):
    rid = ppt_referral["id"]
    assert ppt_referral["status"] == "submitted"
    assert ppt_referral["consent"]["share_with"] == FULL_SCOPE
    assert world.get("ppt", f"{API}/{rid}/events").status_code == 200
    assert rid in {item["id"] for item in world.get("ppt", API).json["items"]}


def test_after_the_school_consent_is_withdrawn_the_ppt_adviser_gets_404(world, ppt_referral):
    rid = ppt_referral["id"]
    assert change_consent(world, "gp", rid, WITHOUT_SCHOOL).status_code == 200
    hidden = world.get("ppt", f"{API}/{rid}")
    assert hidden.status_code == 404
    assert hidden.json == world.get("ppt", f"{API}/00000000-0000-4000-8000-000000000000").json
    assert world.get("ppt", f"{API}/{rid}/events").status_code == 404
    assert world.get("ppt", f"{API}/{rid}/completeness").status_code == 404
    assert rid not in {item["id"] for item in world.get("ppt", API).json["items"]}
    assert world.post("ppt", f"{API}/{rid}/withdraw", json={"reason": "Ikke mitt lenger"}).status_code == 404


def test_after_the_school_consent_is_withdrawn_bup_still_sees_the_referral_and_the_change(world, ppt_referral):
    rid = ppt_referral["id"]
    assert change_consent(world, "gp", rid, WITHOUT_SCHOOL).status_code == 200
    referral = world.get("bup", f"{API}/{rid}")
    assert referral.status_code == 200
    assert referral.json["consent"]["share_with"] == WITHOUT_SCHOOL
    [change] = [e for e in world.get("bup", f"{API}/{rid}/events").json["items"] if e["action"] == "change-consent"]
    assert change["actor_id"] == world.users["gp"].id
    assert change["data"]["share_with"] == WITHOUT_SCHOOL
    assert world.get("gp", f"{API}/{rid}").status_code == 200  # the GP needs no school consent


def test_after_the_school_consent_is_withdrawn_ppt_hears_nothing_more(world, worker, ppt_referral):
    rid = ppt_referral["id"]
    assert change_consent(world, "gp", rid, WITHOUT_SCHOOL).status_code == 200
    ppt_alerts, ppt_mails = alerts_of(world, "ppt"), mails_to(worker, "ppt@bergen.example")
    gp_alerts = alerts_of(world, "gp")
    assert ppt_mails == 1  # the e-mail about BUP's first question, while the school was in the consent

    world.act("bup", rid, "request-information", {"questions": "Har barnet vært hos kommunepsykolog?"})
    worker.run()
    world.act("gp", rid, "supplement", {"text": "Nei, ikke ennå."})
    world.act("bup", rid, "reject", {"reason_code": "municipal_measures_not_tried", "explanation": "Prøv først.",
                                     "municipal_advice": "Kommunepsykolog i Bergen."})
    worker.run()

    # Nothing new (the rejection ended the referral, so the alert PPT had is now read: issue 12 clears them).
    assert [a["id"] for a in alerts_of(world, "ppt")] == [a["id"] for a in ppt_alerts]
    assert mails_to(worker, "ppt@bergen.example") == ppt_mails
    assert len(alerts_of(world, "gp")) == len(gp_alerts) + 2  # the GP, still a party, heard both answers
    handover_id = world.get("bup", f"{API}/{rid}").json["handover_id"]
    assert handover_id in {a["handover_id"] for a in alerts_of(world, "coordinator_bergen")}
    assert world.get("ppt", f"/api/v1/handovers/{handover_id}").status_code == 404
    assert handover_id not in {h["id"] for h in world.get("ppt", "/api/v1/handovers").json["items"]}


def test_the_ppt_adviser_may_withdraw_the_schools_consent_and_then_no_longer_sees_it(world, ppt_referral):
    rid = ppt_referral["id"]
    changed = change_consent(world, "ppt", rid, WITHOUT_SCHOOL)
    assert changed.status_code == 200
    assert world.get("ppt", f"{API}/{rid}").status_code == 404
    assert world.get("bup", f"{API}/{rid}").status_code == 200
    events = world.get("gp", f"{API}/{rid}/events").json["items"]
    assert [(e["action"], e["actor_id"]) for e in events if e["action"] == "change-consent"] == [
        ("change-consent", world.users["ppt"].id)]
