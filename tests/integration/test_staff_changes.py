"""DESIGN.md rule 8, changes of staff: an administrator deactivates a coordinator, and every open task and unread
alert the coordinator held moves in one step to a chosen colleague or back to the municipality's queue; partners
then see the new contact; the sweep catches a holder deactivated behind the service's back; a refused
deactivation changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.alert import Alert
from referral_service.domain.check_in import CheckIn
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import User
from tests.integration.test_sweeps import sweep, worker
from tests.integration.test_web_referral_form import Browser

__all__ = ["sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 10, 5, 9, tzinfo=OSLO)
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
OPEN_STATUSES = ("open", "acknowledged", "assigned", "follow_up_planned")


class Staff:
    """Fresh people made for one test through the admin API, with their own logins; they leave again at the end,
    so that the seeded demo users stay as they were."""

    def __init__(self, app, world) -> None:
        self.app, self.world = app, world
        self.ids: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        self._emails: dict[str, str] = {}

    def hire(self, who: str, *, org: str = "askoy", roles: tuple[str, ...] = ("municipal_coordinator",)) -> str:
        email = f"{who}-{uuid.uuid4().hex[:8]}@askoy.example"
        response = self.world.post("admin", "/api/v1/users", json={
            "email": email, "name": f"{who.capitalize()} Ansatt", "password": DEMO_PASSWORD,
            "organisation_id": self.world.orgs[org].id, "roles": list(roles)})
        assert response.status_code == 201, response.json
        self.ids[who], self._emails[who] = response.json["id"], email
        return response.json["id"]

    def login(self, who: str) -> Any:
        return self.world.client.post("/api/v1/auth/token", json={"email": self._emails[who],
                                                                  "password": DEMO_PASSWORD})

    def headers(self, who: str) -> dict[str, str]:
        if who not in self._tokens:
            response = self.login(who)
            assert response.status_code == 200, response.json
            self._tokens[who] = response.json["access_token"]
        return {"Authorization": f"Bearer {self._tokens[who]}"}

    def get(self, who: str, path: str) -> Any:
        return self.world.client.get(path, headers=self.headers(who))

    def post(self, who: str, path: str, json: Any = None) -> Any:
        return self.world.client.post(path, json=json, headers=self.headers(who))

    def leave_all(self) -> None:
        with self.app.extensions["referral_db"].engine.begin() as connection:
            connection.execute(update(User).where(col(User.id).in_(list(self.ids.values()))).values(active=False))


@pytest.fixture
def staff(app, world, clock):
    clock.set(MONDAY)
    for who in ("gp", "bup", "admin", "coordinator_askoy", "lead_askoy", "coordinator_bergen"):
        world.headers(who)
    people = Staff(app, world)
    yield people
    people.leave_all()


def rejected_task(world, worker) -> str:
    """A rejected referral's handover task at Askøy, as the worker creates it; its id."""
    created = world.create_referral("gp")
    world.act("gp", created["id"], "submit")
    world.act("bup", created["id"], "reject", REJECTION)
    worker.run()
    return world.get("gp", f"/api/v1/referrals/{created['id']}").json["handover_id"]


def step(world, who: str, handover_id: str, action: str, body: dict | None = None) -> dict[str, Any]:
    response = world.post(who, f"/api/v1/handovers/{handover_id}/{action}", json=body)
    assert response.status_code == 200, (action, response.json)
    return response.json


def held_by(world, worker, staff, who: str, *, planned: int = 0, assigned: int = 0) -> list[str]:
    """Tasks the coordinator at Askøy acknowledged and gave to `who`; the first `planned` of them planned too."""
    ids = []
    for n in range(planned + assigned):
        task = rejected_task(world, worker)
        step(world, "coordinator_askoy", task, "acknowledge")
        step(world, "coordinator_askoy", task, "assign", {"assignee_user_id": staff.ids[who]})
        if n < planned:
            step(world, "coordinator_askoy", task, "plan", {"first_contact_on": "2026-10-09",
                                                            "plan": "Samtale med familien."})
        ids.append(task)
    return ids


def tasks(app, ids: list[str]) -> dict[str, Handover]:
    with app.extensions["referral_db"].session() as session:
        return {h.id: h for h in session.exec(select(Handover).where(col(Handover.id).in_(ids)))}


def unread_alerts(app, user_id: str) -> list[Alert]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(Alert).where(Alert.user_id == user_id, col(Alert.read_at).is_(None))))


def open_tasks_with_inactive_holder(app) -> list[str]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(Handover.id).join(User, User.id == Handover.assignee_user_id).where(
            col(Handover.status).in_(OPEN_STATUSES), User.active.is_(False))).all())


def staff_steps(world, task: str) -> list[dict[str, Any]]:
    """The task's events that moved it between people (the clock stands still, so look them up by name)."""
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{task}").json["events"]
    return [e for e in events if e["action"] in ("reassign", "release")]


def deactivate(world, user_id: str, body: dict, *, who: str = "admin") -> Any:
    return world.post(who, f"/api/v1/admin/users/{user_id}/deactivate", json=body)


def test_deactivating_a_coordinator_with_five_open_tasks_moves_them_and_their_alerts_in_one_step(
        app, world, worker, staff):
    staff.hire("leaver")
    five = held_by(world, worker, staff, "leaver", planned=2, assigned=3)
    waiting = [rejected_task(world, worker), rejected_task(world, worker)]  # unacknowledged: alerts unread
    staff.hire("colleague")  # joins after the tasks came in, so has none of the leaver's alerts
    leaver_unread = unread_alerts(app, staff.ids["leaver"])
    assert set(waiting) <= {a.handover_id for a in leaver_unread}
    leaver_alerts = {a.dedupe_key for a in leaver_unread}
    staff.headers("leaver")  # signed in before leaving
    before = tasks(app, five)

    response = deactivate(world, staff.ids["leaver"], {"successor_user_id": staff.ids["colleague"]})

    assert response.status_code == 200, response.json
    assert response.json["moved"] == {"handovers": 5, "check_ins": 0, "alerts": len(leaver_alerts),
                                      "fhir_subscriptions": 0}
    assert response.json["tokens_revoked"] >= 1 and response.json["active"] is False
    after = tasks(app, five)
    assert {t.assignee_user_id for t in after.values()} == {staff.ids["colleague"]}
    assert {i: t.status for i, t in after.items()} == {i: t.status for i, t in before.items()}
    assert sorted(t.status for t in after.values()) == ["assigned"] * 3 + ["follow_up_planned"] * 2
    assert open_tasks_with_inactive_holder(app) == []
    for task in five:
        [last] = staff_steps(world, task)
        assert last["action"] == "reassign"
        assert last["data"] == {"from_user_id": staff.ids["leaver"], "to_user_id": staff.ids["colleague"],
                                "reason": "deactivated"}
        assert last["actor_id"] == world.users["admin"].id
    assert unread_alerts(app, staff.ids["leaver"]) == []
    with app.extensions["referral_db"].session() as session:  # the move of each child's task is in the access log
        logged = set(session.exec(select(AccessLogEntry.referral_id).where(
            AccessLogEntry.action == "handover_reassign_on_deactivation",
            AccessLogEntry.user_id == world.users["admin"].id)).all())
    assert logged == {t.referral_id for t in after.values()}
    colleague_alerts = {a.dedupe_key for a in unread_alerts(app, staff.ids["colleague"])}
    assert leaver_alerts <= colleague_alerts
    told_of_moves = [a for a in staff.get("colleague", "/api/v1/alerts?per_page=200").json["items"]
                     if a["kind"] == "handover_reassign"]
    assert {a["handover_id"] for a in told_of_moves} == set(five)
    assert all("kollega" in a["message"] for a in told_of_moves)


@pytest.mark.parametrize("to_queue", [False, True])
def test_the_planned_check_ins_of_the_leaver_move_too(app, world, worker, staff, to_queue):
    staff.hire("leaver")
    staff.hire("colleague")
    task = held_by(world, worker, staff, "leaver", planned=1)[0]
    step(world, "coordinator_askoy", task, "close", {"outcome": "Hjelpen i kommunen er avsluttet.",
                                                     "outcome_code": "help_ended"})
    body = {"to_queue": True} if to_queue else {"successor_user_id": staff.ids["colleague"]}

    response = deactivate(world, staff.ids["leaver"], body)

    assert response.status_code == 200, response.json
    assert response.json["moved"]["check_ins"] == 1
    with app.extensions["referral_db"].session() as session:
        check_in = session.exec(select(CheckIn).where(CheckIn.handover_id == task)).one()
    assert check_in.coordinator_user_id == (None if to_queue else staff.ids["colleague"])
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{task}").json["events"]
    assert [e["data"]["from_user_id"] for e in events if e["action"] == "check_in_moved"] == [staff.ids["leaver"]]


def test_the_leaver_can_no_longer_sign_in_or_use_a_token(app, world, staff):
    staff.hire("leaver")
    staff.hire("colleague")
    signed_in = staff.headers("leaver")
    assert deactivate(world, staff.ids["leaver"], {"successor_user_id": staff.ids["colleague"]}).status_code == 200
    assert world.client.get("/api/v1/alerts", headers=signed_in).status_code == 401
    assert staff.login("leaver").status_code == 401


def test_to_the_queue_the_tasks_are_unassigned_and_acknowledged_and_the_municipality_is_told(
        app, world, worker, staff):
    staff.hire("leaver")
    two = held_by(world, worker, staff, "leaver", planned=1, assigned=1)
    waiting = rejected_task(world, worker)
    staff.hire("newcomer")  # joins after the tasks came in, so was not told of them

    response = deactivate(world, staff.ids["leaver"], {"to_queue": True})

    assert response.status_code == 200, response.json
    assert response.json["moved"]["handovers"] == 2 and response.json["to_queue"] is True
    after = tasks(app, two)
    assert {(t.status, t.assignee_user_id) for t in after.values()} == {("acknowledged", None)}
    assert after[two[0]].first_contact_on is not None, "the plan made stays on the task"
    for task in two:
        [released] = staff_steps(world, task)
        assert released["action"] == "release" and released["data"]["reason"] == "deactivated"
        # Back in the queue, a colleague can take it again.
        step(world, "coordinator_askoy", task, "assign", {"assignee_user_id": world.users["coordinator_askoy"].id})
    for who in ("coordinator_askoy", "lead_askoy"):
        released = [a for a in world.get(who, "/api/v1/alerts?per_page=200").json["items"]
                    if a["kind"] == "handover_release"]
        assert {a["handover_id"] for a in released} == set(two), who
    # The leaver's unread alert about the waiting task goes to the colleagues doing the same work.
    assert waiting in {a.handover_id for a in unread_alerts(app, staff.ids["newcomer"])}
    assert unread_alerts(app, staff.ids["leaver"]) == []


@pytest.mark.parametrize("case", ["other_organisation", "inactive", "not_an_admin", "unknown_user",
                                  "no_destination", "lead_only"])
def test_a_refused_deactivation_changes_nothing(app, world, worker, staff, case):
    staff.hire("leaver")
    staff.hire("gone")
    staff.hire("lead", roles=("municipal_lead",))
    task = held_by(world, worker, staff, "leaver", assigned=1)[0]
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(update(User).where(User.id == staff.ids["gone"]).values(active=False))
    user_id, body, who, status = {
        "other_organisation": (staff.ids["leaver"], {"successor_user_id": world.users["coordinator_bergen"].id},
                               "admin", 422),
        "inactive": (staff.ids["leaver"], {"successor_user_id": staff.ids["gone"]}, "admin", 422),
        "not_an_admin": (staff.ids["leaver"], {"to_queue": True}, "coordinator_askoy", 403),
        "unknown_user": (str(uuid.uuid4()), {"to_queue": True}, "admin", 404),
        "no_destination": (staff.ids["leaver"], {}, "admin", 422),
        "lead_only": (staff.ids["leaver"], {"successor_user_id": staff.ids["lead"]}, "admin", 422),
    }[case]

    response = deactivate(world, user_id, body, who=who)

    assert response.status_code == status, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert staff.get("leaver", "/api/v1/alerts").status_code == 200, "the leaver can still work"
    held = tasks(app, [task])[task]
    assert (held.status, held.assignee_user_id) == ("assigned", staff.ids["leaver"])
    assert staff_steps(world, task) == []


def test_a_task_is_never_assigned_to_someone_who_has_left(app, world, worker, staff):
    staff.hire("gone")
    task = rejected_task(world, worker)
    step(world, "coordinator_askoy", task, "acknowledge")
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(update(User).where(User.id == staff.ids["gone"]).values(active=False))
    response = world.post("coordinator_askoy", f"/api/v1/handovers/{task}/assign",
                          json={"assignee_user_id": staff.ids["gone"]})
    assert response.status_code == 422
    assert tasks(app, [task])[task].status == "acknowledged"


def test_the_sweep_returns_a_task_whose_holder_was_deactivated_elsewhere_to_the_queue_and_tells_the_lead(
        app, world, worker, staff, sweep):
    staff.hire("leaver")
    task = held_by(world, worker, staff, "leaver", assigned=1)[0]
    with app.extensions["referral_db"].engine.begin() as connection:  # e.g. by a future identity provider
        connection.execute(update(User).where(User.id == staff.ids["leaver"]).values(active=False))
    assert open_tasks_with_inactive_holder(app) == [task]

    sweep("2026-10-05T10:00:00+02:00")

    assert open_tasks_with_inactive_holder(app) == []
    held = tasks(app, [task])[task]
    assert (held.status, held.assignee_user_id) == ("acknowledged", None)
    [released] = staff_steps(world, task)
    assert released["action"] == "release" and released["data"]["reason"] == "holder_inactive"
    assert released["actor_id"] is None
    lead_told = [a for a in world.get("lead_askoy", "/api/v1/alerts?per_page=200").json["items"]
                 if a["kind"] == "handover_release" and a["handover_id"] == task]
    assert len(lead_told) == 1
    sweep("2026-10-05T10:05:00+02:00")  # once only
    assert len(staff_steps(world, task)) == 1


def test_partners_see_the_new_contact_person_on_the_referral_and_the_handover_page(app, world, worker, staff):
    staff.hire("leaver")
    staff.hire("colleague")
    task = held_by(world, worker, staff, "leaver", assigned=1)[0]
    referral_id = world.get("coordinator_askoy", f"/api/v1/handovers/{task}").json["referral_id"]
    assert deactivate(world, staff.ids["leaver"], {"successor_user_id": staff.ids["colleague"]}).status_code == 200

    for who, path in (("gp", f"/henvisninger/{referral_id}"), ("bup", f"/henvisninger/{referral_id}"),
                      ("gp", f"/tilbakehenvisninger/{task}"), ("coordinator_askoy", f"/tilbakehenvisninger/{task}")):
        page = Browser(app, who).get(path)
        assert page.status_code == 200, (who, path)
        text = page.get_data(as_text=True)
        assert "Colleague Ansatt" in text, (who, path)
        assert "Leaver Ansatt" not in text.split("Tidslinje")[0], (who, path)


def test_the_dashboard_counts_the_changes_of_contact_person_per_child(app, world, worker, staff, clock):
    staff.hire("leaver")
    staff.hire("colleague")
    three = held_by(world, worker, staff, "leaver", assigned=3)  # three children, one person each
    clock.set(MONDAY.replace(minute=10))
    assert deactivate(world, staff.ids["leaver"], {"successor_user_id": staff.ids["colleague"]}).status_code == 200
    clock.set(MONDAY.replace(minute=20))
    for task in three[:2]:  # and two of them passed on once more
        step(world, "coordinator_askoy", task, "assign", {"assignee_user_id": world.users["coordinator_askoy"].id})

    exported = Browser(app, "coordinator_askoy").get("/oversikt.csv").data.decode("utf-8-sig")

    figures = {row[2]: row[3] for row in csv.reader(io.StringIO(exported), delimiter=";") if row[0] == "Kontaktperson"}
    assert figures == {"Barn som hadde en kontaktperson": "3", "Skifter av kontaktperson": "5",
                       "Skifter per barn": "1,7", "Barn med 2 eller flere skifter": "<3",
                       "Andel barn med 2 eller flere skifter (%)": ":"}
    page = Browser(app, "coordinator_askoy").get("/oversikt").get_data(as_text=True)
    assert "Skifte av kontaktperson" in page and "Skifter per barn" in page
