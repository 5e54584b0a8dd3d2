"""Issue 14, must-show 4: "Vi har ikke hørt noe" alerts the owner of the child's case at once, and the owner's lead
once when nobody has answered within FAMILY_NUDGE_ANSWER_WORKING_DAYS (2) working days, through the real
`referral-service sweep --at`. An answered call is never escalated; a second press while one is unanswered alerts no
one again; someone who may not read the case gets 404 and the attempt is logged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from flask import render_template
from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.cli import main
from referral_service.domain.family import GuardianIdentity
from referral_service.services.family.access import FamilyViewer, readable_case
from tests.integration.test_web_decisions import WebUser
from tests.support.family import CSRF_TOKEN, family_client
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 11, 16, 9, tzinfo=OSLO)  # answer due Wednesday 18 November; the lead hears on Thursday
RAISED, UNANSWERED = "family_nudge", "family_nudge_unanswered"
GUARDIAN_BORN = date(1985, 3, 14)


@pytest.fixture
def sweep(app, tmp_path):
    """`referral-service sweep --at ISO` against the test database."""
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}

    def run(at: str, **settings: str) -> Result:
        result = CliRunner().invoke(main, ["sweep", "--at", at], env={**env, **settings})
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    return run


def record_guardian(app, referral_id: str, child_id: str, national_id: str) -> None:
    """The guardian recorded on the referral with their identity number (as the referral form keeps it)."""
    vault = dependencies(app).identity.vault
    with app.extensions["referral_db"].session() as session:
        session.add(GuardianIdentity(referral_id=referral_id, child_id=child_id, name="Mor Testesen",
                                     national_id_ciphertext=vault.encrypt(national_id),
                                     national_id_index=vault.blind_index(national_id)))
        session.commit()


def held_by_the_coordinator(app, world, clock) -> dict[str, Any]:
    """A 14-year-old's referral BUP rejected; Askøy's coordinator has acknowledged the task (and holds it); the
    child's mother is recorded with her number."""
    clock.set(MONDAY)
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/acknowledge")
    assert response.status_code == 200, response.json
    guardian = world.national_id(GUARDIAN_BORN)
    record_guardian(app, referral["id"], referral["child"]["id"], guardian)
    return {"id": referral["id"], "handover_id": handover_id, "guardian": guardian}


def press(app, national_id: str, referral_id: str, expect: int = 303):
    response = family_client(app, national_id).post(f"/familie/sak/{referral_id}/ikke-hort",
                                                    data={"csrf_token": CSRF_TOKEN})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


def alerts(world, who: str, kind: str) -> list[dict[str, Any]]:
    return [a for a in world.get(who, "/api/v1/alerts?per_page=200").json["items"] if a["kind"] == kind]


def test_the_owner_is_alerted_at_once_and_the_lead_only_after_two_working_days_once(app, world, clock, sweep):
    case = held_by_the_coordinator(app, world, clock)
    press(app, case["guardian"], case["id"])

    [alert] = alerts(world, "coordinator_askoy", RAISED)  # the person who holds the case, at once
    assert alert["referral_id"] == case["id"] and alert["handover_id"] == case["handover_id"]
    assert "16.11.2026" in alert["message"] and "ikke har hørt noe" in alert["message"]
    assert alerts(world, "lead_askoy", RAISED) == []

    sweep("2026-11-17T09:00:00+01:00")
    sweep("2026-11-18T16:00:00+01:00")  # the answer is due today: the lead is not told yet
    assert alerts(world, "lead_askoy", UNANSWERED) == []

    assert f"{UNANSWERED}: 1" in sweep("2026-11-19T09:00:00+01:00").output
    [escalated] = alerts(world, "lead_askoy", UNANSWERED)
    assert escalated["referral_id"] == case["id"] and "2 virkedager" in escalated["message"]
    assert alerts(world, "coordinator_askoy", UNANSWERED) == []

    assert UNANSWERED not in sweep("2026-11-19T15:00:00+01:00").output
    sweep("2026-11-20T09:00:00+01:00")
    assert len(alerts(world, "lead_askoy", UNANSWERED)) == 1


def test_an_answered_call_is_not_escalated(app, world, clock, sweep):
    case = held_by_the_coordinator(app, world, clock)
    press(app, case["guardian"], case["id"])

    coordinator = WebUser(app, "coordinator_askoy")
    page = coordinator.get(f"/tilbakehenvisninger/{case['handover_id']}")
    assert "Familien sa fra 16.11.2026 at de ikke har hørt noe." in page.text()
    after = coordinator.submit("/familien-kontaktet", {})
    assert "dere har tatt kontakt med familien" in after.text()
    assert "kontakt tatt 16.11.2026" in after.text()
    assert all(a["read_at"] for a in alerts(world, "coordinator_askoy", RAISED))

    sweep("2026-11-19T09:00:00+01:00")
    sweep("2026-11-20T09:00:00+01:00")
    assert alerts(world, "lead_askoy", UNANSWERED) == []


def test_a_second_press_while_unanswered_alerts_no_one_again_and_says_so(app, world, clock):
    case = held_by_the_coordinator(app, world, clock)
    press(app, case["guardian"], case["id"])
    press(app, case["guardian"], case["id"])
    assert len(alerts(world, "coordinator_askoy", RAISED)) == 1
    with app.extensions["referral_db"].session() as session:
        assert session.execute(text("SELECT count(*) FROM family_nudge")).scalar() == 1


def test_a_task_nobody_holds_yet_alerts_the_owners_coordinators_and_the_lead_after_the_setting(app, world, clock,
                                                                                             sweep):
    clock.set(MONDAY)
    body = world.referral_body()  # a 14-year-old, who presses it themselves
    created = world.post("gp", "/api/v1/referrals", json=body)
    assert created.status_code == 201, created.json
    world.act("gp", created.json["id"], "submit")
    world.act("bup", created.json["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Nei.",
                                                    "municipal_advice": "Kommunepsykolog."})
    InProcessWorker(app).run()
    press(app, body["child"]["national_id"], created.json["id"])
    assert len(alerts(world, "coordinator_askoy", RAISED)) == 1

    three = {"REFERRAL_FAMILY_NUDGE_ANSWER_WORKING_DAYS": "3"}
    sweep("2026-11-19T09:00:00+01:00", **three)  # Thursday: the answer is due today with three working days
    assert alerts(world, "lead_askoy", UNANSWERED) == []
    sweep("2026-11-20T09:00:00+01:00", **three)
    [escalated] = alerts(world, "lead_askoy", UNANSWERED)
    assert "3 virkedager" in escalated["message"]


def test_someone_who_may_not_read_the_case_gets_404_and_the_attempt_is_logged(app, world, clock):
    case = held_by_the_coordinator(app, world, clock)
    stranger = world.national_id(date(1980, 1, 1))
    press(app, stranger, case["id"], expect=404)
    assert alerts(world, "coordinator_askoy", RAISED) == []
    with app.extensions["referral_db"].session() as session:
        assert session.execute(text("SELECT count(*) FROM family_nudge")).scalar() == 0
        denied = session.execute(text("SELECT organisation_id, requested_id FROM access_log "
                                      "WHERE action = 'denied:referral'")).all()
    assert [tuple(row) for row in denied] == [("family", case["id"])]


def family_partial(app, national_id: str, referral_id: str) -> str:
    """The button's part of the family's case page (the page itself includes it with `case`)."""
    vault = dependencies(app).identity.vault
    viewer = FamilyViewer(person_id="lest-i-test", national_id_indexes=vault.blind_indexes(national_id))
    with app.test_request_context("/"), app.extensions["referral_db"].session() as session:
        case = readable_case(session, viewer, referral_id, today=dependencies(app).clock.today())
        assert case is not None
        return " ".join(render_template("family/_nudge.html", case=case).split())


def test_the_family_is_told_who_hears_it_and_that_it_was_said(app, world, clock):
    case = held_by_the_coordinator(app, world, clock)
    coordinator = world.users["coordinator_askoy"].name
    before = family_partial(app, case["guardian"], case["id"])
    assert (f"Vi sier fra til {coordinator} nå. Hvis ingen tar kontakt innen 2 virkedager, sier vi fra til lederen."
            in before)
    assert "Vi har ikke hørt noe</button>" in before

    press(app, case["guardian"], case["id"])
    after = family_partial(app, case["guardian"], case["id"])
    assert f"Vi har sagt fra til {coordinator} 16.11.2026" in after and "<button" not in after


def test_the_owner_answers_from_the_alert(app, world, clock, sweep):
    case = held_by_the_coordinator(app, world, clock)
    press(app, case["guardian"], case["id"])
    coordinator = WebUser(app, "coordinator_askoy")
    inbox = coordinator.get("/varsler")
    assert "Familien har ikke hørt noe" in inbox.text()
    after = coordinator.submit(f"/henvisninger/{case['id']}/familien-kontaktet", {})
    assert "Registrert: dere har tatt kontakt med familien." in after.text()
    assert "Vi har tatt kontakt med familien" not in after.text()  # the alert is done, its button gone
    sweep("2026-11-20T09:00:00+01:00")
    assert alerts(world, "lead_askoy", UNANSWERED) == []


def test_a_press_without_the_form_token_changes_nothing(app, world, clock):
    case = held_by_the_coordinator(app, world, clock)
    response = family_client(app, case["guardian"]).post(f"/familie/sak/{case['id']}/ikke-hort", data={})
    assert response.status_code == 400
    assert alerts(world, "coordinator_askoy", RAISED) == []
    with app.extensions["referral_db"].session() as session:
        assert session.execute(text("SELECT count(*) FROM family_nudge")).scalar() == 0


def test_only_the_owner_answers_and_someone_who_may_not_see_the_referral_gets_404(app, world, clock, sweep):
    case = held_by_the_coordinator(app, world, clock)
    press(app, case["guardian"], case["id"])
    gp = WebUser(app, "gp")  # the referrer sees the referral, but the municipality holds the case
    page = gp.get(f"/henvisninger/{case['id']}")
    assert "Familien sa fra 16.11.2026" in page.text() and "Vi har tatt kontakt med familien" not in page.text()
    token = page.hidden("csrf_token")
    assert gp.client.post(f"/henvisninger/{case['id']}/familien-kontaktet",
                          data={"csrf_token": token}).status_code == 403
    bergen = WebUser(app, "coordinator_bergen")
    token = bergen.get("/varsler").hidden("csrf_token")
    assert bergen.client.post(f"/henvisninger/{case['id']}/familien-kontaktet",
                              data={"csrf_token": token}).status_code == 404
    sweep("2026-11-19T09:00:00+01:00")
    assert len(alerts(world, "lead_askoy", UNANSWERED)) == 1  # still unanswered


def test_a_call_made_while_bup_assessed_reaches_the_municipality_once_bup_has_handed_the_child_back(
        app, world, clock, sweep):
    """The family asked BUP; then BUP rejected and Askøy owns the follow-up. Asking again reaches Askøy, and an
    unanswered call goes up to Askøy's lead, not to BUP."""
    clock.set(MONDAY)
    referral = world.referral_in("submitted")
    guardian = world.national_id(GUARDIAN_BORN)
    record_guardian(app, referral["id"], referral["child"]["id"], guardian)
    press(app, guardian, referral["id"])
    assert len(alerts(world, "bup", RAISED)) == 1

    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Kommunen.",
                                                "municipal_advice": "Samtaler hos kommunepsykolog."})
    InProcessWorker(app).run()
    case_page = family_client(app, guardian).get(f"/familie/sak/{referral['id']}").get_data(as_text=True)
    assert "Askøy kommune" in case_page and "Vi har ikke hørt noe" in case_page  # the button asks the new owner
    press(app, guardian, referral["id"])

    assert len(alerts(world, "coordinator_askoy", RAISED)) == 1
    assert len(alerts(world, "bup", RAISED)) == 1  # BUP was told once, on the first call, and not again
    sweep("2026-11-19T09:00:00+01:00")
    assert len(alerts(world, "lead_askoy", UNANSWERED)) == 1
    assert alerts(world, "bup", UNANSWERED) == []
