"""DESIGN.md rules 2 and 3 through `referral-service sweep --at`: an unacknowledged handover is escalated to
the municipal lead, once per level, counting Norwegian working days; BUP is warned before the assessment
deadline and a breach (fristbrudd) is recorded after it and after a passed start-of-care deadline.
A sweep records and alerts; it never closes anything."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from config.secret_strength import new_fernet_key, new_signing_secret
from referral_service.cli import main
from referral_service.services.loop import sweeps
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 10, 5, 9, tzinfo=OSLO)  # acknowledge due Wed 7 Oct, first contact due Mon 19 Oct
ESCALATION = "handover_unacknowledged"
NO_FIRST_CONTACT = "handover_no_first_contact"


@pytest.fixture(autouse=True)
def logged_in_before_the_clock_moves(request):
    """Tokens issued now stay valid while the service's clock is set back in time."""
    if "world" in request.fixturenames:
        world = request.getfixturevalue("world")
        for who in ("gp", "bup", "bup2", "coordinator_askoy", "lead_askoy", "lead_bergen"):
            world.headers(who)


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


@pytest.fixture
def sweep(app, tmp_path):
    """`referral-service sweep --at ISO` against the test database; returns click's result."""
    runner = CliRunner()
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}

    def run(at: str) -> Result:
        result = runner.invoke(main, ["sweep", "--at", at], env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    return run


def handover_created_at(world, worker, clock, moment: datetime) -> dict[str, Any]:
    """A rejected referral whose handover the background work created at `moment`."""
    clock.set(moment)
    referral = world.referral_in("rejected")
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    return task(world, handover_id)


def task(world, handover_id: str) -> dict[str, Any]:
    response = world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}")
    assert response.status_code == 200, response.json
    return response.json


def alerts(world, who: str, kind: str) -> list[dict[str, Any]]:
    items = world.get(who, "/api/v1/alerts?per_page=200").json["items"]
    return [a for a in items if a["kind"] == kind]


def do(world, who: str, handover_id: str, action: str, body: dict | None = None) -> dict[str, Any]:
    response = world.post(who, f"/api/v1/handovers/{handover_id}/{action}", json=body)
    assert response.status_code == 200, response.json
    return response.json


# --- escalation of an unacknowledged handover ---------------------------------------------------------------

def test_three_working_days_after_creation_the_lead_is_alerted_once(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    assert handover["acknowledge_due"] == "2026-10-07"
    result = sweep("2026-10-08T09:00:00+02:00")
    assert f"{ESCALATION}: 1" in result.output
    [alert] = alerts(world, "lead_askoy", ESCALATION)
    assert alert["handover_id"] == handover["id"] and "nivå 1" in alert["message"]
    assert alerts(world, "coordinator_askoy", ESCALATION) == []
    assert alerts(world, "lead_bergen", ESCALATION) == []
    assert task(world, handover["id"])["escalation_level"] == 1


def test_more_tasks_than_one_transaction_holds_are_each_escalated_once(world, worker, clock, sweep, monkeypatch):
    monkeypatch.setattr(sweeps, "BATCH", 2)
    handovers = [handover_created_at(world, worker, clock, MONDAY) for _ in range(3)]
    assert f"{ESCALATION}: 3" in sweep("2026-10-08T09:00:00+02:00").output
    assert "nothing new" in sweep("2026-10-08T10:00:00+02:00").output
    assert sorted(a["handover_id"] for a in alerts(world, "lead_askoy", ESCALATION)) == sorted(
        h["id"] for h in handovers)


def test_nothing_is_escalated_on_the_acknowledgement_due_date(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    sweep("2026-10-07T16:00:00+02:00")
    assert alerts(world, "lead_askoy", ESCALATION) == []
    assert task(world, handover["id"])["escalation_level"] == 0


def test_running_the_same_sweep_again_adds_no_alert(world, worker, clock, sweep):
    handover_created_at(world, worker, clock, MONDAY)
    sweep("2026-10-08T09:00:00+02:00")
    again = sweep("2026-10-08T09:00:00+02:00")
    later_that_day = sweep("2026-10-08T15:30:00+02:00")
    assert "nothing new" in again.output and "nothing new" in later_that_day.output
    assert len(alerts(world, "lead_askoy", ESCALATION)) == 1


def test_each_further_working_day_escalates_one_level_more(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    sweep("2026-10-08T09:00:00+02:00")  # Thursday: level 1
    sweep("2026-10-09T09:00:00+02:00")  # Friday: level 2
    messages = sorted(a["message"] for a in alerts(world, "lead_askoy", ESCALATION))
    assert len(messages) == 2 and "nivå 1" in messages[0] and "nivå 2" in messages[1]
    assert task(world, handover["id"])["escalation_level"] == 2


def test_a_weekend_adds_no_escalation(world, worker, clock, sweep):
    handover_created_at(world, worker, clock, MONDAY)
    sweep("2026-10-09T09:00:00+02:00")  # Friday: level 2
    sweep("2026-10-10T09:00:00+02:00")  # Saturday
    sweep("2026-10-11T09:00:00+02:00")  # Sunday
    assert len(alerts(world, "lead_askoy", ESCALATION)) == 1
    sweep("2026-10-12T09:00:00+02:00")  # Monday: level 3
    assert len(alerts(world, "lead_askoy", ESCALATION)) == 2


def test_easter_is_not_counted_before_escalating(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, datetime(2026, 3, 31, 9, tzinfo=OSLO))  # Tuesday
    assert handover["acknowledge_due"] == "2026-04-07"  # Wed 1 Apr, then Easter, then Tue 7 Apr
    for during_easter in ("2026-04-02T12:00:00+02:00", "2026-04-03T12:00:00+02:00", "2026-04-06T12:00:00+02:00"):
        sweep(during_easter)
    sweep("2026-04-07T15:00:00+02:00")
    assert alerts(world, "lead_askoy", ESCALATION) == []
    sweep("2026-04-08T09:00:00+02:00")
    [alert] = alerts(world, "lead_askoy", ESCALATION)
    assert "nivå 1" in alert["message"]


def test_without_consent_to_the_municipality_the_escalation_goes_to_the_referrers_lead(world, worker, clock, sweep):
    clock.set(MONDAY)
    referral = world.create_referral("gp", consent={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "wrong_service", "explanation": "Annen instans.",
                                                "municipal_advice": "Kontakt helsestasjonen."})
    worker.run()
    sweep("2026-10-08T09:00:00+02:00")
    # The referring GP office owns the task: its lead is the top of the ladder, not the GP alone.
    [alert] = alerts(world, "lead_gp", ESCALATION)
    assert alert["referral_id"] == referral["id"]
    assert alerts(world, "lead_askoy", ESCALATION) == []


def test_an_acknowledged_task_is_not_escalated_for_acknowledgement(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    do(world, "coordinator_askoy", handover["id"], "acknowledge")
    sweep("2026-10-09T09:00:00+02:00")
    assert alerts(world, "lead_askoy", ESCALATION) == []
    assert task(world, handover["id"])["escalation_level"] == 0


def test_a_task_without_a_planned_first_contact_is_escalated_after_its_due_date(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    do(world, "coordinator_askoy", handover["id"], "acknowledge")
    do(world, "coordinator_askoy", handover["id"], "assign", {"service": "Kommunepsykolog"})
    assert handover["first_contact_due"] == "2026-10-19"
    sweep("2026-10-19T15:00:00+02:00")
    assert alerts(world, "lead_askoy", NO_FIRST_CONTACT) == []
    sweep("2026-10-20T09:00:00+02:00")
    [alert] = alerts(world, "lead_askoy", NO_FIRST_CONTACT)
    assert alert["handover_id"] == handover["id"] and "nivå 1" in alert["message"]
    assert alerts(world, "lead_askoy", ESCALATION) == []


def test_a_planned_first_contact_is_not_escalated(world, worker, clock, sweep):
    handover = handover_created_at(world, worker, clock, MONDAY)
    do(world, "coordinator_askoy", handover["id"], "acknowledge")
    do(world, "coordinator_askoy", handover["id"], "plan", {"first_contact_on": "2026-10-26", "plan": "Samtale."})
    sweep("2026-10-27T09:00:00+02:00")
    assert alerts(world, "lead_askoy", NO_FIRST_CONTACT) == []


def test_a_sweep_never_closes_anything(world, worker, clock, sweep):
    forgotten = handover_created_at(world, worker, clock, MONDAY)
    acknowledged = handover_created_at(world, worker, clock, MONDAY)
    do(world, "coordinator_askoy", acknowledged["id"], "acknowledge")
    for at in ("2026-10-08T09:00:00+02:00", "2026-11-16T09:00:00+01:00", "2027-03-01T09:00:00+01:00"):
        sweep(at)
    assert task(world, forgotten["id"])["status"] == "open"
    assert task(world, acknowledged["id"])["status"] == "acknowledged"
    assert world.get("gp", f"/api/v1/referrals/{forgotten['referral_id']}").json["status"] == "rejected"


# --- BUP's deadlines -------------------------------------------------------------------------------------

def submitted_at(world, worker, clock, moment: datetime) -> dict[str, Any]:
    clock.set(moment)
    referral = world.referral_in("submitted")
    worker.run()
    return referral


def test_bup_is_warned_two_working_days_before_the_assessment_deadline_once(world, worker, clock, sweep):
    referral = submitted_at(world, worker, clock, MONDAY)
    assert referral["assessment_due"] == "2026-10-19"  # ten working days after Monday 5 October
    sweep("2026-10-14T09:00:00+02:00")  # Wednesday: three working days before
    assert alerts(world, "bup", "assessment_warning") == []
    sweep("2026-10-15T09:00:00+02:00")  # Thursday: two working days before
    sweep("2026-10-16T09:00:00+02:00")
    sweep("2026-10-19T09:00:00+02:00")  # the deadline itself
    [warning] = alerts(world, "bup", "assessment_warning")
    assert warning["referral_id"] == referral["id"] and "19.10.2026" in warning["message"]
    assert alerts(world, "bup", "assessment_breach") == []
    assert alerts(world, "bup2", "assessment_warning") == []  # another clinic's intake is not told


def test_a_passed_assessment_deadline_is_recorded_as_a_breach_once(world, worker, clock, sweep):
    referral = submitted_at(world, worker, clock, MONDAY)
    sweep("2026-10-20T09:00:00+02:00")
    sweep("2026-10-21T09:00:00+02:00")
    [breach] = alerts(world, "bup", "assessment_breach")
    assert breach["referral_id"] == referral["id"] and "Fristbrudd" in breach["message"]


def test_an_assessed_referral_gets_no_assessment_warning(world, worker, clock, sweep):
    referral = submitted_at(world, worker, clock, MONDAY)
    world.act("bup", referral["id"], "accept", {"care_start_due": "2026-12-01"})
    sweep("2026-10-16T09:00:00+02:00")
    sweep("2026-10-21T09:00:00+02:00")
    assert alerts(world, "bup", "assessment_warning") == alerts(world, "bup", "assessment_breach") == []


def test_a_passed_start_of_care_deadline_is_a_breach_once(world, worker, clock, sweep):
    referral = submitted_at(world, worker, clock, MONDAY)
    world.act("bup", referral["id"], "accept", {"care_start_due": "2026-10-30"})
    sweep("2026-10-30T15:00:00+01:00")
    assert alerts(world, "bup", "care_start_breach") == []
    sweep("2026-10-31T09:00:00+01:00")
    sweep("2026-11-02T09:00:00+01:00")
    [breach] = alerts(world, "bup", "care_start_breach")
    assert breach["referral_id"] == referral["id"] and "30.10.2026" in breach["message"]


def test_care_that_has_started_is_no_breach(world, worker, clock, sweep):
    referral = submitted_at(world, worker, clock, MONDAY)
    world.act("bup", referral["id"], "accept", {"care_start_due": "2026-10-30"})
    world.act("bup", referral["id"], "start-treatment", {"first_appointment_on": date(2026, 10, 28).isoformat()})
    sweep("2026-11-02T09:00:00+01:00")
    assert alerts(world, "bup", "care_start_breach") == []


# --- production refuses --at -------------------------------------------------------------------------------

def test_sweep_at_is_refused_in_production(tmp_path):
    result = CliRunner().invoke(main, ["sweep", "--at", "2026-04-08T09:00:00+02:00"],
                                env={"REFERRAL_ENV": "production", "REFERRAL_DATA_DIR": str(tmp_path)})
    assert result.exit_code != 0
    assert "refused in production" in result.output or "production refuses to start without" in result.output


def test_sweep_at_is_refused_by_a_complete_production_configuration(postgres_server, tmp_path):
    # The refusal comes before the database is opened, so any PostgreSQL address will do.
    env = {"REFERRAL_ENV": "production", "REFERRAL_DATA_DIR": str(tmp_path),
           "REFERRAL_SECRET_KEY": new_signing_secret(), "REFERRAL_AUDIT_KEY": new_signing_secret(),
           "REFERRAL_ID_ENCRYPTION_KEY": new_fernet_key(),
           "REFERRAL_BROKER_URL": "redis://127.0.0.1:1/0", "REFERRAL_SMTP_HOST": "x",
           "REFERRAL_BASE_URL": "https://henvisning.kommune.example",
           "REFERRAL_DATABASE_URL": postgres_server.url}
    result = CliRunner().invoke(main, ["sweep", "--at", "2026-04-08T09:00:00+02:00"], env=env)
    assert result.exit_code != 0
    assert "--at is refused in production" in result.output
