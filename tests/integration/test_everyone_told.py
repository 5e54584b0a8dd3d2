"""Everyone around the child is told: co-referring PPT, school health and child welfare hear of a rejection
and a discharge when the consent covers them (PPT needs consent to share with the school; school health and
child welfare take part as health personnel or carers); the invited co-referrer hears of the invitation, the
drafter when a co-referrer sends the referral, and BUP when its questions are answered."""

from __future__ import annotations

import pytest

from referral_service.bootstrap import dependencies
from tests.support.loop import InProcessWorker

WITH_SCHOOL = {"given_by": ["guardian"], "share_with": ["bup", "municipality", "school"]}
WITHOUT_SCHOOL = {"given_by": ["guardian"], "share_with": ["bup", "municipality"]}
CO_REFERRERS = {"ppt": "ppt", "school_bergen": "nurse_bergen", "barnevern_askoy": "barnevern_askoy"}


def today(world) -> str:
    return dependencies(world.app).clock.today().isoformat()


def kinds(world, who: str, referral_id: str) -> list[str]:
    items = world.get(who, "/api/v1/alerts?per_page=200").json["items"]
    return [a["kind"] for a in items if a["referral_id"] == referral_id]


def co_referred(world, consent: dict) -> str:
    rid = world.create_referral("gp", consent=consent, municipal_contacts=[])["id"]
    for org in CO_REFERRERS:
        response = world.post("gp", f"/api/v1/referrals/{rid}/co-referrers",
                              json={"organisation_id": world.orgs[org].id})
        assert response.status_code == 200, response.json
    world.act("gp", rid, "submit")
    return rid


def reject(world, rid: str) -> None:
    world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                     "municipal_advice": "Kommunepsykolog."})


def discharge(world, rid: str, today: str) -> None:
    world.act("bup", rid, "accept", {"care_start_due": "2027-06-01"})
    world.act("bup", rid, "start-treatment", {"first_appointment_on": today})
    world.act("bup", rid, "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.",
                                        "epikrise_sent": True})


@pytest.mark.parametrize("decide", ["reject", "discharge"])
def test_every_co_referrer_the_consent_covers_hears_of_the_decision(app, world, decide):
    rid = co_referred(world, WITH_SCHOOL)
    reject(world, rid) if decide == "reject" else discharge(world, rid, today(world))
    InProcessWorker(app).run()
    for who in CO_REFERRERS.values():
        assert kinds(world, who, rid).count("referral_decision") == 1, who


@pytest.mark.parametrize("decide", ["reject", "discharge"])
def test_ppt_without_consent_to_share_with_the_school_hears_nothing(app, world, decide):
    rid = co_referred(world, WITHOUT_SCHOOL)
    reject(world, rid) if decide == "reject" else discharge(world, rid, today(world))
    InProcessWorker(app).run()
    assert kinds(world, "ppt", rid) == []
    for who in ("nurse_bergen", "barnevern_askoy"):  # health personnel and carers need no separate scope
        assert kinds(world, who, rid).count("referral_decision") == 1, who


def test_a_named_municipal_contacts_service_hears_of_the_rejection(app, world):
    referral = world.referral_in("submitted")  # names Heidi at Askøy's school health service as a contact
    reject(world, referral["id"])
    InProcessWorker(app).run()
    assert kinds(world, "nurse_askoy", referral["id"]) == ["referral_decision"]


def test_the_invited_co_referrer_and_the_drafter_are_told(app, world):
    rid = world.create_referral("nurse_askoy")["id"]
    world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers", json={"organisation_id": world.orgs["gp"].id})
    InProcessWorker(app).run()
    assert kinds(world, "gp", rid) == ["referral_invite-co-referrer"]

    world.act("gp", rid, "submit")  # the GP has the right to refer; the school nurse drafted it
    InProcessWorker(app).run()
    assert kinds(world, "nurse_askoy", rid) == ["referral_submit"]


def test_bup_hears_when_its_questions_are_answered(app, world):
    referral = world.referral_in("information_requested")
    world.act("gp", referral["id"], "supplement", {"text": "Fraværet startet i august."})
    InProcessWorker(app).run()
    assert kinds(world, "bup", referral["id"]) == ["referral_supplement"]
    assert kinds(world, "bup2", referral["id"]) == []
