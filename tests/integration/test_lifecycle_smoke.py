"""The referral lifecycle end to end through the API, as API.md's table describes it."""

from __future__ import annotations

from datetime import timedelta

from tests.support.clock import norway_today


def actions_of(world, referral_id: str, who: str = "gp") -> list[tuple[str, str]]:
    events = world.get(who, f"/api/v1/referrals/{referral_id}/events").json["items"]
    return [(e["action"], e["to_status"]) for e in events]


def test_a_referral_travels_from_draft_to_discharged_and_every_step_is_an_event(world):
    referral = world.create_referral("gp")
    rid = referral["id"]
    assert referral["status"] == "draft" and referral["handover_id"] is None
    world.act("gp", rid, "submit")
    world.act("bup", rid, "request-information", {"questions": "Hvor lenge har fraværet vart?"})
    world.act("gp", rid, "supplement", {"text": "Siden august."})
    world.act("bup", rid, "accept", {"care_start_due": (norway_today() + timedelta(days=28)).isoformat()})
    world.act("bup", rid, "start-treatment", {"first_appointment_on": norway_today().isoformat()})
    final = world.act("bup", rid, "discharge", {"summary": "Bedring.", "follow_up_recommendations": "Samtaler.",
                                                "epikrise_sent": True})
    assert final["status"] == "discharged"
    assert actions_of(world, rid) == [
        ("create", "draft"), ("submit", "submitted"), ("request-information", "information_requested"),
        ("supplement", "submitted"), ("accept", "accepted"), ("start-treatment", "in_treatment"),
        ("discharge", "discharged"),
    ]
    events = world.get("bup", f"/api/v1/referrals/{rid}/events").json["items"]
    by_action = {e["action"]: e for e in events}
    assert by_action["accept"]["actor_id"] == world.users["bup"].id
    assert by_action["submit"]["actor_id"] == world.users["gp"].id
    assert all(e["at"].endswith("+00:00") for e in events)
