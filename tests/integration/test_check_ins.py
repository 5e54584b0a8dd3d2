"""Issue 10, "Check-in after help ends": closing a handover because the municipal help has ended schedules a
check-in with the family three calendar months later (the next working day when that is not one). Before its
due date it is planned on the task's page; on the due date it is in the coordinator's worklist and the
coordinator is alerted, once; not recorded in time it escalates to the lead, once per level. Its outcome is
recorded by the owning municipality only; a refused request changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlmodel import select

from referral_service.cli import main
from referral_service.domain.check_in import CheckIn
from referral_service.domain.organisation import User
from referral_service.services.handovers.check_ins import move_check_ins
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.integration.test_api_handovers import refused
from tests.integration.test_web_decisions import WebUser
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
#: A Friday; three months later is Saturday 6 February 2027, so the check-in is due Monday 8 February.
CLOSED = datetime(2026, 11, 6, 10, tzinfo=OSLO)
DUE = "2027-02-08"
HELP_ENDED = {"outcome": "Samtalene hos helsesykepleier er avsluttet.", "outcome_code": "help_ended"}
RECORDED = {"outcome": "Barnet går på skolen igjen og sover bedre.", "outcome_code": "doing_well"}
DUE_ALERT, OVERDUE_ALERT = "check_in_due", "check_in_overdue"


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


@pytest.fixture
def sweep(app, tmp_path):
    """`referral-service sweep --at ISO` against the test database."""
    runner = CliRunner()
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}

    def run(at: str) -> str:
        result = runner.invoke(main, ["sweep", "--at", at], env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    return run


REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos helsesykepleier."}


def sent_referral(world, child: dict[str, Any]) -> dict[str, Any]:
    referral = world.create_referral("gp", child=child)
    return world.act("gp", referral["id"], "submit")


def closed_handover(world, worker, clock, *, assignee: str | None = None, child: dict[str, Any] | None = None,
                    **close: str) -> dict[str, Any]:
    """A rejected referral's handover (for this child, or a new one), taken and closed by Askøy's coordinator
    at CLOSED."""
    clock.set(CLOSED)
    referral = sent_referral(world, child or world.referral_body()["child"])
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    for action, body in (("acknowledge", None),
                         *((("assign", {"assignee_user_id": world.users[assignee].id}),) if assignee else ()),
                         ("close", close or HELP_ENDED)):
        response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}", json=body)
        assert response.status_code == 200, response.json
    return response.json


def check_ins_of(world, who: str, query: str = "") -> list[dict[str, Any]]:
    response = world.get(who, f"/api/v1/check-ins?{query}")
    assert response.status_code == 200, response.json
    return response.json["items"]


def the_check_in(world, handover: dict[str, Any], who: str = "coordinator_askoy") -> dict[str, Any]:
    [check_in] = check_ins_of(world, who, f"handover_id={handover['id']}")
    return check_in


def alerts(world, who: str, kind: str) -> list[dict[str, Any]]:
    return [a for a in world.get(who, "/api/v1/alerts?per_page=200").json["items"] if a["kind"] == kind]


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=OSLO)


# --- scheduling ----------------------------------------------------------------------------------------------

def test_closing_because_help_ended_plans_a_check_in_three_months_on_at_the_next_working_day(world, worker, clock):
    handover = closed_handover(world, worker, clock)
    check_in = the_check_in(world, handover)
    assert (check_in["status"], check_in["due_on"], check_in["due"]) == ("planned", DUE, False)
    assert check_in["coordinator_user_id"] == world.users["coordinator_askoy"].id
    assert check_in["actions"] == ["record", "cancel"]
    actions = [e["action"] for e in world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}")
               .json["events"]]
    assert "close" in actions and actions[-1] == "check_in_scheduled"  # the timeline shows it after the close


def test_the_check_in_is_held_by_the_person_the_task_was_assigned_to(world, worker, clock):
    handover = closed_handover(world, worker, clock, assignee="lead_askoy")
    assert the_check_in(world, handover)["coordinator_user_id"] == world.users["lead_askoy"].id


@pytest.mark.parametrize("outcome_code", ["followed_up", "declined"])
def test_closing_for_another_reason_schedules_nothing(world, worker, clock, sweep, outcome_code):
    handover = closed_handover(world, worker, clock, outcome="Ferdig.", outcome_code=outcome_code)
    assert check_ins_of(world, "coordinator_askoy") == []
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}").json["events"]
    assert "check_in_scheduled" not in [e["action"] for e in events]
    sweep("2027-03-01T09:00:00+01:00")
    assert alerts(world, "coordinator_askoy", DUE_ALERT) == []


# --- it appears on its due date ------------------------------------------------------------------------------

def test_the_day_before_it_is_planned_not_due_and_nobody_is_alerted(app, world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    sweep("2027-02-05T15:00:00+01:00")  # Friday, the working day before
    clock.set(at("2027-02-05", 15))
    assert alerts(world, "coordinator_askoy", DUE_ALERT) == []
    assert check_ins_of(world, "coordinator_askoy", "due_by=2027-02-05") == []
    coordinator = WebUser(app, "coordinator_askoy")
    assert "Oppfølgingssamtaler i dag" not in coordinator.get("/tilbakehenvisninger").text()
    page = coordinator.get(f"/tilbakehenvisninger/{handover['id']}")
    assert "Status Planlagt" in page.by_id["oppfolgingssamtale"] and "08.02.2027" in page.by_id["oppfolgingssamtale"]
    assert "Skal holdes nå" not in page.by_id["oppfolgingssamtale"]


def test_on_its_due_date_it_is_in_the_worklist_and_the_coordinator_is_alerted_once(app, world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    assert "check_in_due: 1" in sweep("2027-02-08T07:00:00+01:00")
    assert "nothing new" in sweep("2027-02-08T15:00:00+01:00")
    clock.set(at(DUE))
    [alert] = alerts(world, "coordinator_askoy", DUE_ALERT)
    assert alert["handover_id"] == handover["id"] and "08.02.2027" in alert["message"]
    assert "Ola" not in alert["message"] and "Testesen" not in alert["message"]
    assert alerts(world, "lead_askoy", DUE_ALERT) == []
    [due] = check_ins_of(world, "coordinator_askoy", f"due_by={DUE}&status=planned")
    assert due["due"] is True
    coordinator = WebUser(app, "coordinator_askoy")
    worklist = coordinator.get("/tilbakehenvisninger")
    assert "Oppfølgingssamtaler i dag" in worklist.text()
    assert f"/tilbakehenvisninger/{handover['id']}#oppfolgingssamtale" in worklist.html


def test_the_coordinator_records_the_check_in_on_the_api_and_its_alert_is_settled(world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    sweep("2027-02-08T07:00:00+01:00")
    clock.set(at(DUE, 11))
    check_in = the_check_in(world, handover)
    response = world.post("coordinator_askoy", f"/api/v1/check-ins/{check_in['id']}/record", json=RECORDED,
                          headers={"If-Match": world.get("coordinator_askoy",
                                                         f"/api/v1/check-ins/{check_in['id']}").headers["ETag"]})
    assert response.status_code == 200, response.json
    done = response.json
    assert (done["status"], done["outcome_code"], done["next_step"]) == ("done", "doing_well", "none")
    assert done["done_by_user_id"] == world.users["coordinator_askoy"].id and done["actions"] == []
    [alert] = alerts(world, "coordinator_askoy", DUE_ALERT)
    assert alert["read_at"] is not None
    [recorded] = [e for e in world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}").json["events"]
                  if e["action"] == "check_in_recorded"]
    assert recorded["data"]["outcome_code"] == "doing_well" and recorded["actor_id"] == done["done_by_user_id"]
    assert check_ins_of(world, "coordinator_askoy", f"due_by={DUE}&status=planned") == []
    assert "nothing new" in sweep("2027-03-01T09:00:00+01:00")  # a recorded check-in never escalates


def test_the_coordinator_records_the_check_in_on_the_tasks_page(app, world, worker, clock):
    handover = closed_handover(world, worker, clock)
    clock.set(at(DUE))
    coordinator = WebUser(app, "coordinator_askoy")
    page = coordinator.get(f"/tilbakehenvisninger/{handover['id']}")
    assert "Registrer samtalen" in page.buttons and "Skal holdes nå" in page.by_id["oppfolgingssamtale"]
    page = coordinator.submit("/oppfolgingssamtale", {"check_in_outcome_code": "needs_help_again",
                                                      "check_in_outcome": ""}, expect=422)
    assert "Skriv hva som kom fram i samtalen." in page.text()
    assert the_check_in(world, handover)["status"] == "planned"
    page = coordinator.submit("/oppfolgingssamtale", {"check_in_outcome_code": "needs_help_again",
                                                      "check_in_outcome": "Angsten er tilbake."})
    assert "Oppfølgingssamtalen er registrert." in page.text()
    section = page.by_id["oppfolgingssamtale"]
    assert "Gjennomført" in section and "Barnet trenger hjelp igjen" in section
    assert "henvis barnet på nytt" in section and "Registrer samtalen" not in page.buttons
    assert the_check_in(world, handover)["next_step"] == "offer_help_or_refer_again"


# --- no check-in is silently dropped -------------------------------------------------------------------------

def test_a_check_in_not_recorded_in_time_escalates_to_the_lead_once_per_level(world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    sweep("2027-02-08T09:00:00+01:00")
    sweep("2027-02-15T15:00:00+01:00")  # five working days after the due date: still within the grace
    clock.set(at("2027-02-15", 16))
    assert alerts(world, "lead_askoy", OVERDUE_ALERT) == []
    assert "check_in_overdue: 1" in sweep("2027-02-16T09:00:00+01:00")
    assert "nothing new" in sweep("2027-02-16T14:00:00+01:00")
    clock.set(at("2027-02-16", 15))
    [alert] = alerts(world, "lead_askoy", OVERDUE_ALERT)
    assert alert["handover_id"] == handover["id"] and "nivå 1" in alert["message"]
    assert alerts(world, "coordinator_askoy", OVERDUE_ALERT) == []
    sweep("2027-02-17T09:00:00+01:00")
    clock.set(at("2027-02-17", 15))
    assert sorted(a["message"][:20] for a in alerts(world, "lead_askoy", OVERDUE_ALERT)) == [
        "Eskalert (nivå 1): e", "Eskalert (nivå 2): e"]
    assert the_check_in(world, handover)["escalation_level"] == 2


@pytest.fixture
def lead_askoy_leaves(app, world):
    """Askøy's lead becomes inactive for the test, and comes back after it."""
    def set_active(active: bool) -> None:
        with app.extensions["referral_db"].session() as session:
            user = session.exec(select(User).where(User.id == world.users["lead_askoy"].id)).one()
            user.active = active
            session.add(user)
            session.commit()

    set_active(False)
    yield
    set_active(True)


def test_when_the_holder_is_inactive_the_organisations_coordinators_are_alerted(world, worker, clock, sweep,
                                                                                request):
    handover = closed_handover(world, worker, clock, assignee="lead_askoy")
    request.getfixturevalue("lead_askoy_leaves")
    sweep("2027-02-08T09:00:00+01:00")
    clock.set(at(DUE, 10))
    [alert] = alerts(world, "coordinator_askoy", DUE_ALERT)
    assert alert["handover_id"] == handover["id"]


def test_move_check_ins_gives_a_leavers_check_ins_to_the_organisations_coordinators(app, world, worker, clock):
    handover = closed_handover(world, worker, clock, assignee="lead_askoy")
    lead = world.users["lead_askoy"].id
    with app.extensions["referral_db"].session() as session:
        uow = SqlUnitOfWork.on(session)
        with uow:
            from referral_service.bootstrap import dependencies
            assert move_check_ins(uow, dependencies(app).clock, from_user_id=lead, to_user_id=None) == 1
            uow.commit()
        assert session.exec(select(CheckIn)).one().coordinator_user_id is None
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}").json["events"]
    [moved] = [e for e in events if e["action"] == "check_in_moved"]
    assert moved["data"] == {"check_in_id": the_check_in(world, handover)["id"], "from_user_id": lead,
                             "to_user_id": None}


def test_a_check_in_is_cancelled_only_with_a_reason_and_that_shows_in_the_case(world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    check_in = the_check_in(world, handover)
    path = f"/api/v1/check-ins/{check_in['id']}/cancel"
    refused(world, 422, lambda: world.post("coordinator_askoy", path, json={"reason": " "}), "reason")
    response = world.post("coordinator_askoy", path, json={"reason": "Barnet er henvist til BUP på nytt."})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}").json["events"]
    assert [e["data"]["reason"] for e in events if e["action"] == "check_in_cancelled"] == [
        "Barnet er henvist til BUP på nytt."]
    assert "nothing new" in sweep("2027-03-01T09:00:00+01:00")


def test_when_the_child_is_referred_again_the_check_in_is_called_off_and_its_holder_told(world, worker, clock,
                                                                                           sweep):
    child = world.referral_body()["child"]
    handover = closed_handover(world, worker, clock, child=child)
    clock.set(at("2026-12-01"))
    again = sent_referral(world, child)
    assert "check_in_cancelled: 1" in sweep("2026-12-01T10:00:00+01:00")
    assert "nothing new" in sweep("2026-12-01T11:00:00+01:00")
    clock.set(at("2026-12-01", 12))
    check_in = the_check_in(world, handover)
    assert (check_in["status"], check_in["cancel_reason"]) == ("cancelled", "child_referred_again")
    [alert] = alerts(world, "coordinator_askoy", "check_in_cancelled")
    assert "henvist på nytt" in alert["message"] and "Ola" not in alert["message"]
    events = world.get("coordinator_askoy", f"/api/v1/handovers/{handover['id']}").json["events"]
    [cancelled] = [e for e in events if e["action"] == "check_in_cancelled"]
    assert cancelled["data"]["new_referral_id"] == again["id"] and cancelled["actor_id"] is None
    sweep("2027-02-08T09:00:00+01:00")
    assert alerts(world, "coordinator_askoy", DUE_ALERT) == []


def test_another_childs_referral_leaves_the_check_in_planned(world, worker, clock, sweep):
    handover = closed_handover(world, worker, clock)
    clock.set(at("2026-12-01"))
    sent_referral(world, world.referral_body()["child"])
    sweep("2026-12-01T10:00:00+01:00")
    clock.set(at("2026-12-01", 12))
    assert the_check_in(world, handover)["status"] == "planned"


# --- need-to-know and refusals -------------------------------------------------------------------------------

def test_others_who_read_the_task_see_the_check_in_but_do_not_act_on_it(world, worker, clock):
    handover = closed_handover(world, worker, clock)
    for who in ("bup", "gp"):
        seen = the_check_in(world, handover, who)
        assert seen["status"] == "planned" and seen["actions"] == []
    assert check_ins_of(world, "coordinator_bergen") == []
    assert check_ins_of(world, "admin") == []


def test_reading_and_recording_a_check_in_is_in_the_access_log(world, worker, clock):
    handover = closed_handover(world, worker, clock)
    check_in = the_check_in(world, handover)
    world.get("bup", f"/api/v1/check-ins/{check_in['id']}")
    world.post("coordinator_askoy", f"/api/v1/check-ins/{check_in['id']}/record", json=RECORDED)
    entries = world.get("auditor", f"/api/v1/audit?referral_id={handover['referral_id']}&per_page=200").json["items"]
    logged = {(e["user_id"], e["action"]) for e in entries}
    assert (world.users["bup"].id, "read_check_in") in logged
    assert (world.users["coordinator_askoy"].id, "record_check_in") in logged
    assert (world.users["coordinator_askoy"].id, "list_check_ins") in logged


@pytest.mark.parametrize(("who", "body", "status", "fields"), [
    ("coordinator_bergen", RECORDED, 404, ()),
    ("gp", RECORDED, 403, ()),
    ("bup", RECORDED, 403, ()),
    ("coordinator_askoy", {"outcome": "Bra.", "outcome_code": "fine"}, 422, ("outcome_code",)),
    ("coordinator_askoy", {"outcome_code": "doing_well"}, 422, ("outcome",)),
])
def test_a_refused_recording_changes_nothing(world, worker, clock, who, body, status, fields):
    check_in = the_check_in(world, closed_handover(world, worker, clock))
    refused(world, status, lambda: world.post(who, f"/api/v1/check-ins/{check_in['id']}/record", json=body),
            *fields)


def test_a_stale_or_repeated_recording_changes_nothing(world, worker, clock):
    check_in = the_check_in(world, closed_handover(world, worker, clock))
    path = f"/api/v1/check-ins/{check_in['id']}/record"
    refused(world, 412, lambda: world.post("coordinator_askoy", path, json=RECORDED,
                                           headers={"If-Match": f'"{check_in["id"]}.0"'}))
    assert world.post("coordinator_askoy", path, json=RECORDED).status_code == 200
    refused(world, 409, lambda: world.post("coordinator_askoy", path, json=RECORDED))


def test_an_unknown_check_in_is_404(world):
    unknown = "00000000-0000-4000-8000-000000000000"
    refused(world, 404, lambda: world.get("coordinator_askoy", f"/api/v1/check-ins/{unknown}"))
