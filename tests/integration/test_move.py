"""The family moves to another municipality: the move is recorded on the referral, an open handover task goes with
the child (the old one closes as "transferred", the new municipality's coordinator has it with its history, BUP's
advice and an alert), and bad or unauthorised moves change nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from referral_service.domain.handover import Handover
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.integration.test_sweeps import alerts, logged_in_before_the_clock_moves, sweep, worker
from tests.integration.test_web_referral_form import Browser

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 10, 5, 9, tzinfo=OSLO)
THURSDAY = datetime(2026, 10, 8, 10, tzinfo=OSLO)  # a move three days later: acknowledge due Monday 12 October
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
BERGEN, ASKOY = "4601", "4627"


@pytest.fixture(autouse=True)
def everyone_is_logged_in(world):
    for who in ("gp", "bup", "coordinator_askoy", "coordinator_bergen", "nurse_bergen", "bup2", "lead_askoy",
                "lead_bergen"):
        world.headers(who)


def rejected_in_askoy(world, worker, clock) -> dict:
    """A referral BUP rejected on Monday; Askøy's coordinator has acknowledged the task."""
    clock.set(MONDAY)
    referral = world.referral_in("rejected")
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    clock.set(MONDAY + timedelta(hours=2))
    assert world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/acknowledge").status_code == 200
    return world.get("gp", f"/api/v1/referrals/{referral['id']}").json


def handovers_of(app, referral_id: str) -> list[Handover]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(Handover).where(Handover.referral_id == referral_id)
                                 .order_by(Handover.created_at)).all())


def move(world, who: str, referral_id: str, number: str = BERGEN, **body):
    return world.post(who, f"/api/v1/referrals/{referral_id}/move", json={"home_municipality": number, **body})


def test_a_move_with_an_open_handover_closes_the_old_task_as_transferred_and_bergen_has_the_next(
        app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    clock.set(THURSDAY)
    response = move(world, "gp", referral["id"], moved_on="2026-10-07")
    assert response.status_code == 200, response.json
    assert response.json["child"]["home_municipality"] == BERGEN
    old_id = referral["handover_id"]
    new_id = response.json["handover_id"]
    assert new_id and new_id != old_id

    old = world.get("coordinator_askoy", f"/api/v1/handovers/{old_id}").json
    assert (old["status"], old["outcome_code"], old["transferred_to_id"]) == ("closed", "transferred", new_id)

    new = world.get("coordinator_bergen", f"/api/v1/handovers/{new_id}").json
    assert (new["status"], new["municipality_number"], new["owner_org_id"]) == ("open", BERGEN,
                                                                                  world.orgs["bergen"].id)
    assert new["transferred_from_id"] == old_id
    assert new["content"]["municipal_advice"] == "Tilbud hos kommunepsykolog."  # BUP's advice travels with it
    assert new["acknowledge_due"] == "2026-10-12"  # the deadlines start from the transfer
    assert new["escalation_level"] == 0
    history = [(e["handover_id"], e["action"]) for e in new["events"]]
    assert history == [(old_id, "create"), (old_id, "acknowledge"), (old_id, "transfer_out"), (new_id, "transfer_in")]

    [told] = alerts(world, "coordinator_bergen", "handover_transferred_in")
    assert told["handover_id"] == new_id and "flyttet" in told["message"]
    assert alerts(world, "coordinator_askoy", "handover_transferred_out")
    assert world.post("coordinator_bergen", f"/api/v1/handovers/{new_id}/acknowledge").status_code == 200
    events = world.get("gp", f"/api/v1/referrals/{referral['id']}/events").json["items"]
    [moved] = [e for e in events if e["action"] == "move"]
    assert moved["data"] == {"from_municipality": ASKOY, "to_municipality": BERGEN, "moved_on": "2026-10-07",
                             "transferred_from_id": old_id, "transferred_to_id": new_id}


def test_after_a_move_the_reconciler_sees_neither_a_missing_nor_a_duplicate_task(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    assert move(world, "gp", referral["id"]).status_code == 200
    worker.run()
    clock.set(MONDAY + timedelta(days=3))
    deps = worker.deps
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                            grace=timedelta(seconds=0))
    assert repairs.missing_handovers == 0
    tasks = handovers_of(app, referral["id"])
    assert [(t.municipality_number, t.status) for t in tasks] == [(ASKOY, "closed"), (BERGEN, "open")]


def test_the_coordinator_who_holds_the_task_may_record_the_move_and_then_no_longer_holds_it(
        app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    assert move(world, "coordinator_askoy", referral["id"]).status_code == 200
    again = move(world, "coordinator_askoy", referral["id"], ASKOY)
    assert again.status_code == 403, again.json


def test_a_move_to_a_municipality_not_in_the_register_or_to_the_same_one_answers_422_and_changes_nothing(
        app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    for number, field in (("9999", "home_municipality"), (ASKOY, "home_municipality")):
        response = move(world, "gp", referral["id"], number)
        assert response.status_code == 422, response.json
        assert field in response.json["errors"]
    assert move(world, "gp", referral["id"], moved_on="2027-01-01").status_code == 422  # not yet moved
    after = world.get("gp", f"/api/v1/referrals/{referral['id']}").json
    assert (after["child"]["home_municipality"], after["handover_id"]) == (ASKOY, referral["handover_id"])
    assert len(handovers_of(app, referral["id"])) == 1


def test_an_old_number_is_recorded_as_the_municipality_that_holds_it_today(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    response = move(world, "gp", referral["id"], "1201")  # Bergen's number before the 2020 reform
    assert response.status_code == 200, response.json
    assert response.json["child"]["home_municipality"] == BERGEN


def test_someone_who_takes_no_part_cannot_record_a_move(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    for who in ("coordinator_bergen", "bup2", "nurse_bergen"):
        assert move(world, who, referral["id"]).status_code == 404, who
    assert len(handovers_of(app, referral["id"])) == 1


def test_a_draft_is_edited_instead_of_moved(world):
    draft = world.create_referral()
    assert move(world, "gp", draft["id"]).status_code == 409


def test_with_the_task_closed_the_move_is_recorded_and_nothing_is_transferred(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    handover_id = referral["handover_id"]
    closed = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/close",
                        json={"outcome": "Fulgt opp av kommunepsykolog."})
    assert closed.status_code == 200, closed.json
    response = move(world, "bup", referral["id"])
    assert response.status_code == 200, response.json
    assert response.json["child"]["home_municipality"] == BERGEN
    [task] = handovers_of(app, referral["id"])
    assert (task.status, task.outcome_code, task.transferred_to_id) == ("closed", "followed_up", None)
    assert not alerts(world, "coordinator_bergen", "handover_transferred_in")


def test_a_child_who_moves_while_with_bup_is_handed_back_to_the_new_municipality(app, world, worker, clock):
    clock.set(MONDAY)
    referral = world.referral_in("submitted")
    assert move(world, "gp", referral["id"]).status_code == 200
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    [task] = handovers_of(app, referral["id"])
    assert (task.municipality_number, task.owner_org_id) == (BERGEN, world.orgs["bergen"].id)


def test_both_municipalities_count_the_move_on_their_dashboards(app, world, worker, clock):
    for _ in range(3):  # three families, so that the figures are not hidden as about fewer than three children
        referral = rejected_in_askoy(world, worker, clock)
        assert move(world, "gp", referral["id"]).status_code == 200
    askoy = Browser(app, "coordinator_askoy").get("/oversikt.csv").get_data(as_text=True)
    bergen = Browser(app, "coordinator_bergen").get("/oversikt.csv").get_data(as_text=True)
    assert "Flytting;Alle;Flyttet herfra i perioden;3" in askoy, askoy
    assert "Flytting;Alle;Flyttet hit i perioden;0" in askoy
    assert "Flytting;Alle;Flyttet hit i perioden;3" in bergen
    assert "Flytting;Alle;Overført ved flytting;3" in bergen


def test_the_referrer_records_the_move_on_the_referral_page(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    browser = Browser(app, "gp")
    page = browser.get(f"/henvisninger/{referral['id']}").get_data(as_text=True)
    assert "Familien har flyttet" in page and "Bergen (4601)" in page
    refused = browser.post(f"/henvisninger/{referral['id']}/flytting", {"move_home_municipality": ASKOY})
    assert refused.status_code == 422
    assert "Velg en annen kommune" in refused.get_data(as_text=True)
    done = browser.post(f"/henvisninger/{referral['id']}/flytting", {"move_home_municipality": BERGEN})
    assert done.status_code == 302
    assert "Flyttingen er registrert" in browser.get(done.headers["Location"]).get_data(as_text=True)
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["child"]["home_municipality"] == BERGEN


def test_the_coordinator_records_the_move_on_the_task_page_and_the_task_goes_to_bergen(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    browser = Browser(app, "coordinator_askoy")
    task_page = f"/tilbakehenvisninger/{referral['handover_id']}"
    assert "Familien har flyttet" in browser.get(task_page).get_data(as_text=True)
    done = browser.post(f"{task_page}/flytting", {"move_home_municipality": BERGEN, "moved_on": "05.10.2026"})
    assert done.status_code == 302, done.get_data(as_text=True)
    page = browser.get(task_page).get_data(as_text=True)
    assert "overført til den nye kommunen" in page and "Familien har flyttet" not in page
    new_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    bergen_page = Browser(app, "coordinator_bergen").get(f"/tilbakehenvisninger/{new_id}").get_data(as_text=True)
    assert "Overført fra forrige hjemkommune etter flytting" in bergen_page


def test_the_new_task_escalates_by_its_own_deadline_and_the_transferred_one_never(app, world, worker, clock, sweep):
    clock.set(MONDAY)
    referral = world.referral_in("rejected")
    worker.run()  # Askøy's task: acknowledge due Wednesday 7 October
    clock.set(THURSDAY)
    assert move(world, "gp", referral["id"]).status_code == 200  # Bergen's: acknowledge due Monday 12 October
    worker.run()
    sweep("2026-10-09T09:00:00+02:00")
    assert not alerts(world, "lead_askoy", "handover_unacknowledged")
    assert not alerts(world, "lead_bergen", "handover_unacknowledged")
    sweep("2026-10-14T09:00:00+02:00")
    new_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    assert [a["handover_id"] for a in alerts(world, "lead_bergen", "handover_unacknowledged")] == [new_id]
    assert not alerts(world, "lead_askoy", "handover_unacknowledged")


def test_a_task_opened_ahead_of_a_planned_discharge_moves_and_the_discharge_completes_the_new_one(
        app, world, worker, clock, sweep):
    clock.set(THURSDAY)
    rid = world.referral_in("in_treatment")["id"]
    world.act("bup", rid, "plan-discharge", {"planned_discharge_on": "2026-11-09"})
    worker.run()
    sweep("2026-10-26T09:00:00+02:00")  # the task opens in Askøy ten working days ahead
    clock.set(datetime(2026, 10, 28, 10, tzinfo=OSLO))
    assert move(world, "bup", rid).status_code == 200
    clock.set(datetime(2026, 11, 9, 10, tzinfo=OSLO))
    world.act("bup", rid, "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler i kommunen.",
                                        "epikrise_sent": True})
    worker.run()
    old, new = handovers_of(app, rid)
    assert (old.status, old.outcome_code, new.municipality_number) == ("closed", "transferred", BERGEN)
    assert new.content["summary"] == "Bedre."
    deps = worker.deps
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                            grace=timedelta(0))
    assert repairs.missing_handovers == 0
    assert len(handovers_of(app, rid)) == 2


def test_without_consent_to_share_with_the_municipality_the_move_tells_no_municipality(app, world, worker, clock):
    clock.set(MONDAY)
    created = world.create_referral(consent={"given_by": ["guardian"], "share_with": ["bup"],
                                             "recorded_on": "2026-10-01"})
    world.act("gp", created["id"], "submit")
    world.act("bup", created["id"], "reject", REJECTION)
    worker.run()
    assert move(world, "gp", created["id"]).status_code == 200
    old, new = handovers_of(app, created["id"])
    assert old.owner_org_id == new.owner_org_id == world.orgs["gp"].id  # the referrer still follows up
    assert not alerts(world, "coordinator_bergen", "handover_transferred_in")
    assert not alerts(world, "coordinator_askoy", "handover_transferred_out")
    assert world.get("coordinator_bergen", f"/api/v1/handovers/{new.id}").status_code == 404


def test_the_move_is_in_the_access_log(app, world, worker, clock):
    referral = rejected_in_askoy(world, worker, clock)
    assert move(world, "coordinator_askoy", referral["id"]).status_code == 200
    log = world.get("auditor", f"/api/v1/audit?referral_id={referral['id']}&per_page=200").json["items"]
    assert any(e["action"] == "move" and e["user_id"] == world.users["coordinator_askoy"].id for e in log)
