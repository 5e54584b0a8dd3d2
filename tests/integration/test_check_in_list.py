"""Issue 11, "National scale": the check-ins list is read through the owner's index and the reader's referrals
instead of through every task the reader may see. What the reader sees must not change: their own organisation's
check-ins only (also after the task moved to another owner before it closed, and not after the consent that let
them see it is withdrawn), soonest due first over several pages, with the filters, and every listed child in the
access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from alembic import command

from referral_service.migrations import alembic_config, upgrade
from tests.integration.test_check_ins import (
    HELP_ENDED,
    OSLO,
    RECORDED,
    REJECTION,
    check_ins_of,
    sent_referral,
    the_check_in,
)
from tests.support.loop import InProcessWorker

#: Three closings on three Fridays: the check-ins are due three months on, in the order the tasks closed.
CLOSINGS = [datetime(2026, 11, day, 10, tzinfo=OSLO) for day in (20, 6, 13)]
NO_MUNICIPALITY = {"given_by": ["guardian"], "share_with": ["bup"]}


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def handover_of(world, referral_id: str) -> str:
    return world.get("gp", f"/api/v1/referrals/{referral_id}").json["handover_id"]


def rejected(world, worker, clock, at: datetime) -> dict[str, Any]:
    """A sent referral BUP rejected at `at`; the worker has opened its handover."""
    clock.set(at)
    referral = sent_referral(world, world.referral_body()["child"])
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    return referral


def close(world, who: str, handover_id: str, *, assignee: str | None = None) -> None:
    steps = [("acknowledge", None), *((("assign", {"assignee_user_id": world.users[assignee].id}),)
                                      if assignee else ()), ("close", HELP_ENDED)]
    for action, body in steps:
        response = world.post(who, f"/api/v1/handovers/{handover_id}/{action}", json=body)
        assert response.status_code == 200, response.json


def closed_at(world, worker, clock, at: datetime, *, assignee: str | None = None) -> dict[str, Any]:
    referral = rejected(world, worker, clock, at)
    close(world, "coordinator_askoy", handover_of(world, referral["id"]), assignee=assignee)
    return referral


def audit_of(world, referral_id: str) -> list[dict[str, Any]]:
    return world.get("auditor", f"/api/v1/audit?referral_id={referral_id}&per_page=200").json["items"]


def test_the_coordinator_lists_the_municipalitys_check_ins_soonest_due_first_page_by_page(world, worker, clock):
    referrals = [closed_at(world, worker, clock, at) for at in CLOSINGS]
    in_due_order = [referrals[1]["id"], referrals[2]["id"], referrals[0]["id"]]
    first = world.get("coordinator_askoy", "/api/v1/check-ins?per_page=2").json
    second = world.get("coordinator_askoy", "/api/v1/check-ins?per_page=2&page=2").json
    assert (first["total"], second["total"]) == (3, 3)
    assert [c["referral_id"] for c in first["items"] + second["items"]] == in_due_order
    assert [c["due_on"] for c in first["items"]] == ["2027-02-08", "2027-02-15"]
    assert check_ins_of(world, "lead_askoy") == first["items"] + second["items"]
    for outsider in ("coordinator_bergen", "lead_bergen", "admin"):
        assert check_ins_of(world, outsider) == []


def test_a_done_check_in_keeps_its_place_and_the_filters_pick_as_before(world, worker, clock):
    referrals = [closed_at(world, worker, clock, at, assignee=assignee)
                 for at, assignee in zip(CLOSINGS, (None, "lead_askoy", None), strict=True)]
    done = the_check_in(world, {"id": handover_of(world, referrals[2]["id"])})
    assert world.post("coordinator_askoy", f"/api/v1/check-ins/{done['id']}/record",
                      json=RECORDED).status_code == 200
    listed = check_ins_of(world, "coordinator_askoy")
    assert [(c["referral_id"], c["status"]) for c in listed] == [
        (referrals[1]["id"], "planned"), (referrals[2]["id"], "done"), (referrals[0]["id"], "planned")]
    ids = {c["referral_id"]: c["id"] for c in listed}
    assert [c["id"] for c in check_ins_of(world, "coordinator_askoy", "status=planned")] == [
        ids[referrals[1]["id"]], ids[referrals[0]["id"]]]
    assert [c["id"] for c in check_ins_of(world, "coordinator_askoy", "status=done")] == [ids[referrals[2]["id"]]]
    assert [c["id"] for c in check_ins_of(world, "coordinator_askoy", "due_by=2027-02-15")] == [
        ids[referrals[1]["id"]], ids[referrals[2]["id"]]]
    assert [c["id"] for c in check_ins_of(world, "lead_askoy", "mine=true")] == [ids[referrals[1]["id"]]]
    assert [c["id"] for c in check_ins_of(world, "coordinator_askoy", "mine=true&status=done")] == [
        ids[referrals[2]["id"]]]
    assert check_ins_of(world, "lead_askoy", "mine=true&status=done") == []
    handover_id = handover_of(world, referrals[0]["id"])
    assert [c["id"] for c in check_ins_of(world, "coordinator_askoy", f"handover_id={handover_id}")] == [
        ids[referrals[0]["id"]]]
    assert check_ins_of(world, "coordinator_bergen", f"handover_id={handover_id}") == []


def test_a_task_rerouted_to_the_referrer_before_it_closed_leaves_its_check_in_with_the_referrer(world, worker,
                                                                                              clock):
    referral = rejected(world, worker, clock, CLOSINGS[0])
    handover_id = handover_of(world, referral["id"])
    assert world.post("gp", f"/api/v1/referrals/{referral['id']}/consent", json=NO_MUNICIPALITY).status_code == 200
    close(world, "gp", handover_id)
    [held] = check_ins_of(world, "lead_gp")
    assert held["handover_id"] == handover_id and held["actions"] == ["record", "cancel"]
    assert [c["id"] for c in check_ins_of(world, "gp")] == [held["id"]]
    for municipality in ("coordinator_askoy", "lead_askoy"):
        assert world.get(municipality, "/api/v1/check-ins").json["total"] == 0
        assert world.get(municipality, f"/api/v1/check-ins/{held['id']}").status_code == 404


def test_after_the_municipality_consent_is_withdrawn_its_closed_tasks_check_in_is_no_longer_listed(world, worker,
                                                                                                 clock):
    kept, withdrawn = (closed_at(world, worker, clock, at) for at in CLOSINGS[:2])
    hidden = the_check_in(world, {"id": handover_of(world, withdrawn["id"])})
    assert world.post("gp", f"/api/v1/referrals/{withdrawn['id']}/consent",
                      json=NO_MUNICIPALITY).status_code == 200
    listed = world.get("coordinator_askoy", "/api/v1/check-ins").json
    assert ([c["referral_id"] for c in listed["items"]], listed["total"]) == ([kept["id"]], 1)
    assert world.get("coordinator_askoy", f"/api/v1/check-ins/{hidden['id']}").status_code == 404
    assert [c["id"] for c in check_ins_of(world, "bup")] == [
        hidden["id"], the_check_in(world, {"id": handover_of(world, kept["id"])}, "bup")["id"]]


def test_every_child_on_a_page_of_check_ins_is_in_the_access_log(world, worker, clock):
    referrals = [closed_at(world, worker, clock, at) for at in CLOSINGS]
    assert len(check_ins_of(world, "coordinator_askoy", "per_page=2")) == 2
    listed_by = {r["id"]: {e["user_id"] for e in audit_of(world, r["id"]) if e["action"] == "list_check_ins"}
                 for r in referrals}
    coordinator = world.users["coordinator_askoy"].id
    assert [coordinator in listed_by[r["id"]] for r in referrals] == [False, True, True]


def test_check_ins_from_before_they_carried_their_tasks_need_to_know_list_as_before_after_the_upgrade(
        app, world, worker, clock):
    kept, withdrawn = (closed_at(world, worker, clock, at) for at in CLOSINGS[:2])
    rerouted = rejected(world, worker, clock, CLOSINGS[2])
    assert world.post("gp", f"/api/v1/referrals/{rerouted['id']}/consent", json=NO_MUNICIPALITY).status_code == 200
    close(world, "gp", handover_of(world, rerouted["id"]))
    assert world.post("gp", f"/api/v1/referrals/{withdrawn['id']}/consent",
                      json=NO_MUNICIPALITY).status_code == 200
    readers = ("coordinator_askoy", "lead_askoy", "lead_gp", "gp", "bup")
    before = {who: world.get(who, "/api/v1/check-ins").json for who in readers}
    url = app.extensions["referral_db"].engine.url.render_as_string(hide_password=False)
    app.extensions["referral_db"].engine.dispose()
    command.downgrade(alembic_config(url), "0025")  # as the rows were before migration 0026 filled them in
    upgrade(url)
    after = {who: world.get(who, "/api/v1/check-ins").json for who in readers}
    assert after == before
    assert [c["referral_id"] for c in after["coordinator_askoy"]["items"]] == [kept["id"]]
    assert [c["referral_id"] for c in after["lead_gp"]["items"]] == [rerouted["id"]]
