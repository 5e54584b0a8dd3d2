"""A 14-year-old's request that the guardians are not informed travels to the handover: the coordinator's
task says so, and the guardians' phone and e-mail are hidden from the municipality (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.integration.test_loop_edge_cases import only_handover
from tests.integration.test_web_decisions import WebUser
from tests.support.loop import InProcessWorker

WITHHELD = {"given_by": ["guardian", "child"], "share_with": ["bup", "municipality"],
            "withhold_from_guardians": True}
PHONE = "40000000"
EMAIL = "mor@example.no"


def handed_over(app, world, consent: dict) -> tuple[str, str]:
    referral = world.create_referral("gp", consent=consent, child={
        **world.referral_body()["child"],
        "guardians": [{"name": "Mor Testesen", "phone": PHONE, "email": EMAIL}]})
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                                "municipal_advice": "Kommunepsykolog."})
    InProcessWorker(app).run()
    return referral["id"], only_handover(app, referral["id"]).id


def test_the_coordinators_task_says_the_child_asked_and_hides_how_to_reach_the_guardians(app, world):
    rid, hid = handed_over(app, world, WITHHELD)
    task = world.get("coordinator_askoy", f"/api/v1/handovers/{hid}").json
    assert task["withhold_from_guardians"] is True
    [guardian] = world.get("coordinator_askoy", f"/api/v1/referrals/{rid}").json["child"]["guardians"]
    assert guardian["name"] == "Mor Testesen" and guardian["phone"] is None and guardian["email"] is None

    page = WebUser(app, "coordinator_askoy").get(f"/tilbakehenvisninger/{hid}")
    assert "Barnet har bedt om at foresatte ikke får informasjon" in page.text()
    assert PHONE not in page.html and EMAIL not in page.html


def test_the_referrer_and_bup_still_see_the_guardians_beside_the_warning(app, world):
    rid, _hid = handed_over(app, world, WITHHELD)
    for who in ("gp", "bup"):
        [guardian] = world.get(who, f"/api/v1/referrals/{rid}").json["child"]["guardians"]
        assert guardian["phone"] == PHONE, who
    page = WebUser(app, "bup").get(f"/inntak/{rid}")
    assert "Barnet har bedt om at foresatte ikke får informasjon" in page.text() and PHONE in page.html


def test_without_the_request_the_coordinator_sees_how_to_reach_the_guardians(app, world):
    rid, hid = handed_over(app, world, {**WITHHELD, "given_by": ["guardian"], "withhold_from_guardians": False})
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{hid}").json["withhold_from_guardians"] is False
    [guardian] = world.get("coordinator_askoy", f"/api/v1/referrals/{rid}").json["child"]["guardians"]
    assert guardian["phone"] == PHONE
