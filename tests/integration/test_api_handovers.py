"""The handover task (tilbakehenvisning) through the API, as the municipal coordinator works it:
list, read, acknowledge, assign, plan the first contact, close. And the alert inbox that points to it.
A refused request answers problem+json and changes nothing in the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from referral_service.bootstrap import dependencies
from tests.integration.conftest import KEPT_TABLES
from tests.support.clock import norway_today
from tests.support.loop import InProcessWorker

API = "/api/v1/handovers"
OSLO = ZoneInfo("Europe/Oslo")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def rejected_handover(world, worker) -> dict[str, Any]:
    """A rejected referral whose handover the background work has created; the coordinator's view of it."""
    referral = world.referral_in("rejected")
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    response = world.get("coordinator_askoy", f"{API}/{handover_id}")
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def handover(world, worker) -> dict[str, Any]:
    return rejected_handover(world, worker)


def signed_in_now(world, *who: str) -> None:
    """Log in at the real time before the clock is set back, so the tokens are still valid after it."""
    for user in who:
        world.headers(user)


def two_weeks_ago() -> datetime:
    """A task created then was due for acknowledgement (two working days later) well before today."""
    return datetime.now(OSLO) - timedelta(days=14)


def today(world) -> str:
    return dependencies(world.app).clock.today().isoformat()


def act(world, who: str, handover_id: str, action: str, body: dict | None = None, **headers: str):
    return world.post(who, f"{API}/{handover_id}/{action}", json=body, headers=headers)


def step(world, handover_id: str, action: str, body: dict | None = None, who: str = "coordinator_askoy"):
    response = act(world, who, handover_id, action, body)
    assert response.status_code == 200, (action, response.status_code, response.json)
    return response


def database_state(app) -> dict[str, list[tuple]]:
    """Every row of every case table, read straight from the database."""
    engine = app.extensions["referral_db"].engine
    with engine.connect() as connection:
        return {table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                for table in SQLModel.metadata.sorted_tables if table.name not in KEPT_TABLES}


def without_attempts(state: dict[str, Any], status: int) -> dict[str, Any]:
    """Issue 13: a 404 on a child's resource is logged as a denied attempt; nothing else may change."""
    return {table: rows for table, rows in state.items() if status != 404 or not table.startswith("access_log")}


def refused(world, status: int, request: Callable[[], Any], *fields: str) -> dict[str, Any]:
    """The request is refused with `status` as problem+json, and the database is as it was."""
    before = database_state(world.app)
    response = request()
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(response.get_data(as_text=True))
    assert problem["status"] == status
    for field in fields:
        assert field in problem.get("errors", {}), (field, problem)
    assert without_attempts(database_state(world.app), status) == without_attempts(before, status)
    return problem


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


# --- list and read -----------------------------------------------------------------------------------------

def test_the_coordinator_lists_a_new_task_for_the_childs_home_municipality(world, handover):
    [item] = world.get("coordinator_askoy", API).json["items"]
    assert item["id"] == handover["id"]
    assert (item["status"], item["trigger"], item["municipality_number"]) == ("open", "rejected", "4627")
    assert item["escalation_level"] == 0
    assert item["acknowledge_due"] and item["first_contact_due"]


def test_the_task_carries_bups_reason_and_advice_and_the_people_around_the_child(world, handover):
    response = world.get("coordinator_askoy", f"{API}/{handover['id']}")
    assert response.status_code == 200 and response.headers["ETag"]
    content = response.json["content"]
    assert content["clinic_name"] == "BUP Bergen sentrum"
    assert content["reason_code"] == "not_specialist_need"
    assert content["explanation"] == "Ikke behov for spesialist."
    assert content["municipal_advice"] == "Tilbud hos kommunepsykolog."
    assert content["municipal_contacts"] == [{"role": "Helsesykepleier", "name": "Heidi Helsesykepleier",
                                              "organisation_id": world.orgs["school_askoy"].id}]


def test_a_discharge_hands_over_bups_follow_up_recommendations(world, worker):
    referral = world.referral_in("discharged")
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    task = world.get("coordinator_askoy", f"{API}/{handover_id}").json
    assert task["trigger"] == "discharged"
    assert (task["content"]["summary"], task["content"]["follow_up_recommendations"]) == ("Bedre.", "Samtaler.")


def test_overdue_and_new_tasks_come_before_tasks_in_progress(world, worker, clock):
    signed_in_now(world, "gp", "bup", "coordinator_askoy")
    clock.set(two_weeks_ago())
    overdue = rejected_handover(world, worker)
    clock.reset()
    in_progress = rejected_handover(world, worker)
    step(world, in_progress["id"], "acknowledge")
    new = rejected_handover(world, worker)
    assert ids(world.get("coordinator_askoy", API)) == [overdue["id"], new["id"], in_progress["id"]]


def test_the_list_filters_by_status(world, worker):
    acknowledged, still_open = rejected_handover(world, worker), rejected_handover(world, worker)
    step(world, acknowledged["id"], "acknowledge")
    assert ids(world.get("coordinator_askoy", f"{API}?status=open")) == [still_open["id"]]
    assert ids(world.get("coordinator_askoy", f"{API}?status=acknowledged")) == [acknowledged["id"]]
    assert ids(world.get("coordinator_askoy", f"{API}?status=closed")) == []


def test_the_overdue_filter_lists_only_tasks_past_their_due_date(world, worker, clock):
    signed_in_now(world, "gp", "bup", "coordinator_askoy")
    clock.set(two_weeks_ago())
    overdue = rejected_handover(world, worker)
    clock.reset()
    rejected_handover(world, worker)
    assert ids(world.get("coordinator_askoy", f"{API}?overdue=true")) == [overdue["id"]]
    assert len(ids(world.get("coordinator_askoy", f"{API}?overdue=false"))) == 2


def test_an_unknown_status_filter_is_422(world, handover):
    response = world.get("coordinator_askoy", f"{API}?status=forgotten")
    assert response.status_code == 422 and "status" in response.json["errors"]


# --- the coordinator's work --------------------------------------------------------------------------------

def test_each_step_answers_with_the_new_status_and_a_new_etag(world, handover):
    lead_id = world.users["lead_askoy"].id
    etag = world.get("coordinator_askoy", f"{API}/{handover['id']}").headers["ETag"]
    steps = [("acknowledge", None, "acknowledged"),
             ("assign", {"assignee_user_id": lead_id}, "assigned"),
             ("plan", {"first_contact_on": today(world), "plan": "Samtale med familien hos kommunepsykolog."},
              "follow_up_planned"),
             ("close", {"outcome": "Følges opp av kommunepsykolog."}, "closed")]
    for action, body, status in steps:
        response = act(world, "coordinator_askoy", handover["id"], action, body, **{"If-Match": etag})
        assert response.status_code == 200, (action, response.json)
        assert response.json["status"] == status
        assert response.headers["ETag"] != etag
        etag = response.headers["ETag"]
    task = world.get("coordinator_askoy", f"{API}/{handover['id']}").json
    assert task["assignee_user_id"] == lead_id
    assert (task["first_contact_on"], task["plan"]) == (today(world), "Samtale med familien hos kommunepsykolog.")
    assert task["outcome"] == "Følges opp av kommunepsykolog." and task["closed_at"]
    assert [e["action"] for e in task["events"]] == ["create", "acknowledge", "assign", "plan", "close"]


def test_acknowledging_records_who_and_when(world, handover):
    task = step(world, handover["id"], "acknowledge").json
    assert task["acknowledged_at"]
    assert task["events"][-1]["actor_id"] == world.users["coordinator_askoy"].id


def test_a_task_can_be_assigned_to_a_service(world, handover):
    step(world, handover["id"], "acknowledge")
    task = step(world, handover["id"], "assign", {"service": "Kommunepsykolog"}).json
    assert (task["status"], task["assigned_service"], task["assignee_user_id"]) == (
        "assigned", "Kommunepsykolog", None)


def test_the_first_contact_can_be_planned_straight_after_acknowledging(world, handover):
    step(world, handover["id"], "acknowledge")
    task = step(world, handover["id"], "plan", {"first_contact_on": today(world), "plan": "Hjemmebesøk."}).json
    assert task["status"] == "follow_up_planned"


def test_a_task_can_be_closed_straight_after_acknowledging(world, handover):
    step(world, handover["id"], "acknowledge")
    task = step(world, handover["id"], "close", {"outcome": "Familien har takket nei."}).json
    assert task["status"] == "closed"
    assert task["outcome_code"] == "followed_up"  # the code when the closer names none


def test_closing_says_how_the_task_ended(world, handover):
    step(world, handover["id"], "acknowledge")
    task = step(world, handover["id"], "close",
                {"outcome": "Samtalene er avsluttet.", "outcome_code": "help_ended"}).json
    assert (task["status"], task["outcome_code"]) == ("closed", "help_ended")
    [close] = [e for e in task["events"] if e["action"] == "close"]
    assert close["data"]["outcome_code"] == "help_ended"
    assert task["events"][-1]["action"] == "check_in_scheduled"  # the help ended: a check-in follows


# --- refusals: each answers problem+json and changes nothing -----------------------------------------------

#: A first contact a month ahead: within the dates a person may enter (workflows/date_ranges.py).
PLAN = {"first_contact_on": (norway_today() + timedelta(days=30)).isoformat(), "plan": "Samtale."}


@pytest.mark.parametrize(("done", "action", "body"), [
    ([], "assign", {"service": "Kommunepsykolog"}),
    ([], "plan", PLAN),
    ([], "close", {"outcome": "Ferdig."}),
    (["acknowledge"], "acknowledge", None),
    (["acknowledge", "close"], "acknowledge", None),
    (["acknowledge", "close"], "assign", {"service": "Kommunepsykolog"}),
    (["acknowledge", "close"], "close", {"outcome": "Igjen."}),
])
def test_an_action_in_the_wrong_state_is_409(world, handover, done, action, body):
    bodies = {"acknowledge": None, "close": {"outcome": "Ferdig."}}
    for earlier in done:
        step(world, handover["id"], earlier, bodies[earlier])
    refused(world, 409, lambda: act(world, "coordinator_askoy", handover["id"], action, body))


def test_a_stale_if_match_is_412(world, handover):
    stale = world.get("coordinator_askoy", f"{API}/{handover['id']}").headers["ETag"]
    step(world, handover["id"], "acknowledge")
    refused(world, 412, lambda: act(world, "coordinator_askoy", handover["id"], "assign",
                                    {"service": "Kommunepsykolog"}, **{"If-Match": stale}))


@pytest.mark.parametrize(("action", "body", "field"), [
    ("assign", {}, "assignee_user_id"),
    ("assign", {"assignee_user_id": "x", "service": "Kommunepsykolog"}, "assignee_user_id"),
    ("assign", {"service": ""}, "service"),
    ("plan", {"plan": "Samtale."}, "first_contact_on"),
    ("plan", {"first_contact_on": "2099-01-05"}, "plan"),
    ("plan", {"first_contact_on": "neste uke", "plan": "Samtale."}, "first_contact_on"),
    ("close", {}, "outcome"),
    ("close", {"outcome": "Flyttet.", "outcome_code": "transferred"}, "outcome_code"),  # the service's, not chosen
    ("close", {"outcome": "Ferdig.", "outcome_code": "done"}, "outcome_code"),
])
def test_missing_or_invalid_fields_are_422(world, handover, action, body, field):
    step(world, handover["id"], "acknowledge")
    refused(world, 422, lambda: act(world, "coordinator_askoy", handover["id"], action, body), field)


def test_a_first_contact_before_the_task_was_created_is_422(world, handover):
    step(world, handover["id"], "acknowledge")
    yesterday = (dependencies(world.app).clock.today() - timedelta(days=1)).isoformat()
    refused(world, 422, lambda: act(world, "coordinator_askoy", handover["id"], "plan",
                                    {"first_contact_on": yesterday, "plan": "Samtale."}), "first_contact_on")


@pytest.mark.parametrize("assignee", ["coordinator_bergen", "gp", "bup"])
def test_assigning_to_a_person_in_another_organisation_is_422(world, handover, assignee):
    step(world, handover["id"], "acknowledge")
    refused(world, 422, lambda: act(world, "coordinator_askoy", handover["id"], "assign",
                                    {"assignee_user_id": world.users[assignee].id}), "assignee_user_id")


def test_assigning_to_nobody_known_is_422(world, handover):
    step(world, handover["id"], "acknowledge")
    refused(world, 422, lambda: act(world, "coordinator_askoy", handover["id"], "assign",
                                    {"assignee_user_id": UNKNOWN_ID}), "assignee_user_id")


def test_a_coordinator_in_another_municipality_neither_sees_nor_acts_on_the_task(world, handover):
    assert world.get("coordinator_bergen", API).json["items"] == []
    refused(world, 404, lambda: world.get("coordinator_bergen", f"{API}/{handover['id']}"))
    refused(world, 404, lambda: act(world, "coordinator_bergen", handover["id"], "acknowledge"))


@pytest.mark.parametrize("who", ["bup", "gp"])
def test_bup_and_the_gp_may_read_the_task_but_not_work_on_it(world, handover, who):
    assert world.get(who, f"{API}/{handover['id']}").status_code == 200
    assert ids(world.get(who, API)) == [handover["id"]]
    refused(world, 403, lambda: act(world, who, handover["id"], "acknowledge"))


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_administrators_and_auditors_do_not_see_the_task(world, handover, who):
    assert world.get(who, API).json["items"] == []
    refused(world, 404, lambda: world.get(who, f"{API}/{handover['id']}"))
    refused(world, 404, lambda: act(world, who, handover["id"], "acknowledge"))


def test_an_unknown_task_is_404(world, handover):
    refused(world, 404, lambda: act(world, "coordinator_askoy", UNKNOWN_ID, "acknowledge"))


# --- alerts --------------------------------------------------------------------------------------------------

def test_each_user_sees_only_their_own_alerts(world, handover):
    coordinator = world.get("coordinator_askoy", "/api/v1/alerts").json
    gp = world.get("gp", "/api/v1/alerts").json
    assert [(a["kind"], a["handover_id"]) for a in coordinator["items"]] == [("handover_created", handover["id"])]
    assert [(a["kind"], a["handover_id"]) for a in gp["items"]] == [("referral_decision", handover["id"])]
    assert coordinator["unread"] == 1 and gp["unread"] == 1
    assert world.get("coordinator_bergen", "/api/v1/alerts").json["items"] == []
    assert world.get("lead_askoy", "/api/v1/alerts").json["items"] == []


def test_reading_an_alert_marks_it_read_and_lowers_the_unread_count(world, handover):
    [alert] = world.get("coordinator_askoy", "/api/v1/alerts").json["items"]
    assert alert["read_at"] is None
    response = world.post("coordinator_askoy", f"/api/v1/alerts/{alert['id']}/read")
    assert response.status_code == 200 and response.json["read_at"]
    inbox = world.get("coordinator_askoy", "/api/v1/alerts").json
    assert inbox["unread"] == 0 and inbox["items"][0]["read_at"] == response.json["read_at"]


def test_reading_an_alert_twice_keeps_the_first_time(world, handover):
    [alert] = world.get("coordinator_askoy", "/api/v1/alerts").json["items"]
    first = world.post("coordinator_askoy", f"/api/v1/alerts/{alert['id']}/read").json["read_at"]
    assert world.post("coordinator_askoy", f"/api/v1/alerts/{alert['id']}/read").json["read_at"] == first


def test_another_users_alert_is_404_and_stays_unread(world, handover):
    [gp_alert] = world.get("gp", "/api/v1/alerts").json["items"]
    refused(world, 404, lambda: world.post("coordinator_askoy", f"/api/v1/alerts/{gp_alert['id']}/read"))
    assert world.get("gp", "/api/v1/alerts").json["unread"] == 1


def test_alert_messages_name_no_child(world, handover):
    for who in ("coordinator_askoy", "gp"):
        for alert in world.get(who, "/api/v1/alerts").json["items"]:
            assert "Ola" not in alert["message"] and "Testesen" not in alert["message"]
