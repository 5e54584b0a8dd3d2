"""The child's case (issue 10): Sara, 16, referred a third time after two rejections. One case, one child row;
the earlier decisions and advice to those allowed to see them, a repeat count of 2 to BUP, and nothing to
anyone else."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import func, select

from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.child import Child
from tests.support.loop import InProcessWorker

SARA_BORN = date(2010, 3, 14)
SHARED = {"given_by": ["child"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"}
FIRST = {"reason_code": "not_specialist_need", "explanation": "FIRST-EXPLANATION: mild uro, ikke spesialistbehov.",
         "municipal_advice": "FIRST-ADVICE: samtaler hos kommunepsykolog."}
SECOND = {"reason_code": "municipal_measures_not_tried", "explanation": "SECOND-EXPLANATION: tiltak ikke prøvd.",
          "municipal_advice": "SECOND-ADVICE: prøv skolehelsetjenesten først."}
THIRD_DESCRIPTION = "THIRD-DESCRIPTION: Sara har sluttet å gå på skolen og spiser lite."


@pytest.fixture
def sara(app, world):
    """Sara's three referrals: GP to BUP Bergen (rejected), child welfare to BUP Øyane (rejected), GP again to
    BUP Bergen (waiting). Returns the ids and Sara's identity number."""
    national_id = world.national_id(SARA_BORN)

    def refer(who: str, clinic: str, **extra):
        body = world.referral_body(clinic=clinic, birth_date=SARA_BORN, consent=SHARED, **extra)
        body["child"] = {**body["child"], "national_id": national_id, "given_name": "Sara", "family_name": "Saga"}
        response = world.post(who, "/api/v1/referrals", json=body)
        assert response.status_code == 201, response.json
        rid = response.json["id"]
        world.act(who, rid, "submit")
        return rid

    first = refer("gp", "bup")
    world.act("bup", first, "reject", FIRST)
    InProcessWorker(app).run()
    second = refer("barnevern_askoy", "bup2")
    world.act("bup2", second, "reject", SECOND)
    InProcessWorker(app).run()
    third = refer("gp", "bup", description=THIRD_DESCRIPTION)
    return {"first": first, "second": second, "third": third}


def case_of(world, who: str, referral_id: str, expect: int = 200) -> dict:
    response = world.get(who, f"/api/v1/referrals/{referral_id}/case")
    assert response.status_code == expect, (who, response.status_code, response.json)
    return response.json


def entries_of(case: dict, referral_id: str) -> list[dict]:
    return [e for e in case["entries"] if e["referral_id"] == referral_id]


def test_the_child_table_holds_one_row_for_sara(app, sara):
    with app.extensions["referral_db"].session() as session:
        assert session.exec(select(func.count()).select_from(Child)).one() == 1


def test_bup_sees_one_case_with_a_repeat_count_of_two(world, sara):
    case = case_of(world, "bup", sara["third"])
    assert case["repeat"] == {"earlier_referrals": 2, "earlier_rejections": 2, "window_months": 24,
                              "rejected_before": True}
    assert {r["id"] for r in case["referrals"]} == set(sara.values())
    assert [e["at"] for e in case["entries"]] == sorted(e["at"] for e in case["entries"])


def test_bup_sees_its_own_earlier_decision_in_full(world, sara):
    own = entries_of(case_of(world, "bup", sara["third"]), sara["first"])
    rejection = next(e for e in own if e["action"] == "reject")
    assert rejection["detail"] == "full"
    assert rejection["conclusion"] == "rejected"
    assert rejection["explanation"] == FIRST["explanation"]
    assert rejection["advice"] == FIRST["municipal_advice"]
    assert any(e["source"] == "handover" for e in own)  # the tilbakehenvisning that followed


def test_bup_sees_only_that_another_clinic_concluded(world, sara):
    case = case_of(world, "bup", sara["third"])
    other = entries_of(case, sara["second"])
    assert {e["action"] for e in other} == {"submit", "reject"}
    assert all(e["detail"] == "conclusion" for e in other)
    assert next(e for e in other if e["action"] == "reject")["conclusion"] == "rejected"
    assert next(e for e in other if e["action"] == "reject")["clinic_name"] == world.orgs["bup2"].name
    text = json.dumps(case)
    assert "SECOND-EXPLANATION" not in text and "SECOND-ADVICE" not in text
    assert "municipal_measures_not_tried" not in text


def test_the_other_clinic_sees_this_clinics_decision_as_a_conclusion_only(world, sara):
    case_of(world, "bup2", sara["third"], expect=404)  # not sent to it
    case = case_of(world, "bup2", sara["second"])
    first = entries_of(case, sara["first"])
    assert first and all(e["detail"] == "conclusion" for e in first)
    text = json.dumps(case)
    assert "FIRST-EXPLANATION" not in text and "FIRST-ADVICE" not in text
    assert case["repeat"]["earlier_rejections"] == 1  # the third came later


def test_the_referrer_sees_earlier_advice_to_the_municipality_it_had_no_part_in(world, sara):
    case = case_of(world, "gp", sara["third"])
    second = entries_of(case, sara["second"])
    assert [e["action"] for e in second] == ["reject"]
    assert second[0]["detail"] == "advice"
    assert second[0]["advice"] == SECOND["municipal_advice"]
    assert "SECOND-EXPLANATION" not in json.dumps(case)
    first = next(e for e in entries_of(case, sara["first"]) if e["action"] == "reject")
    assert first["detail"] == "full" and first["explanation"] == FIRST["explanation"]


@pytest.mark.parametrize("who", ["nurse_askoy", "nurse_bergen", "ppt", "coordinator_bergen", "lead_bergen"])
def test_those_without_part_get_nothing(world, sara, who):
    for rid in sara.values():
        response = world.get(who, f"/api/v1/referrals/{rid}/case")
        assert response.status_code == 404
        assert "Sara" not in response.get_data(as_text=True)


def test_the_municipality_sees_what_was_handed_to_it_and_not_the_waiting_referral(world, sara):
    case_of(world, "coordinator_askoy", sara["third"], expect=404)
    case = case_of(world, "coordinator_askoy", sara["first"])
    assert {r["id"] for r in case["referrals"]} == {sara["first"], sara["second"]}
    assert not entries_of(case, sara["third"])
    assert "THIRD-DESCRIPTION" not in json.dumps(case)


def test_every_read_of_the_case_is_logged_for_each_referral_seen(app, world, sara):
    case_of(world, "gp", sara["third"])
    with app.extensions["referral_db"].session() as session:
        logged = session.exec(select(AccessLogEntry.referral_id).where(
            AccessLogEntry.action == "read_case", AccessLogEntry.user_id == world.users["gp"].id)).all()
    assert set(logged) == set(sara.values())


def test_the_municipal_lead_is_alerted_at_the_second_rejection(world, sara):
    alerts = world.get("lead_askoy", "/api/v1/alerts?per_page=200").json["items"]
    repeats = [a for a in alerts if a["kind"] == "repeat_rejection"]
    assert [a["referral_id"] for a in repeats] == [sara["second"]]
    assert "Sara" not in repeats[0]["message"] and "2 ganger" in repeats[0]["message"]



def test_the_pages_show_the_case_and_the_repeat_flag(app, world, sara):
    from tests.integration.test_web_decisions import WebUser

    bup = WebUser(app, "bup")
    intake = bup.get("/inntak").text()
    assert "Avslått før" in intake
    assess = bup.get(f"/inntak/{sara['third']}")
    assert "Barnets historikk" in assess.text()
    assert "Barnet er henvist 2 ganger før de siste 24 månedene, og fått avslag 2 ganger" in assess.text()
    assert "FIRST-EXPLANATION" in assess.html and "SECOND-EXPLANATION" not in assess.html
    referral = WebUser(app, "gp").get(f"/henvisninger/{sara['third']}")
    assert "Barnets historikk" in referral.text() and "SECOND-ADVICE" in referral.html
    assert "SECOND-EXPLANATION" not in referral.html
    handover_id = world.get("coordinator_askoy", f"/api/v1/referrals/{sara['first']}").json["handover_id"]
    task = WebUser(app, "coordinator_askoy").get(f"/tilbakehenvisninger/{handover_id}")
    assert "Barnets historikk" in task.text() and "SECOND-ADVICE" in task.html
    assert "THIRD-DESCRIPTION" not in task.html
