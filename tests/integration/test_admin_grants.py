"""Referral-right grants (issue 13, must show 5): an administrator grants a municipality's school nurses the
right to refer for a period through the pages, the API and the command line; a school nurse there can then
submit a referral, and could not before. The grant is checked (profession, municipality, period, overlap)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.cli import main
from tests.integration.test_api_errors import UNKNOWN_ID, refuse
from tests.integration.test_web_decisions import WebUser

#: Askøy takes no part in the trial: its school nurse drafts, and needs a co-referrer to submit (README).
ASKOY = "4627"


def _remove_askoy_grants(app) -> None:
    # Grants are directory data and stay between tests; Askøy's must not outlive the test that made them.
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(text("DELETE FROM referral_right_grant WHERE municipality_number = :n"), {"n": ASKOY})


@pytest.fixture
def askoy_without_grants(app, world) -> Iterator[None]:
    _remove_askoy_grants(app)
    yield
    _remove_askoy_grants(app)


@pytest.fixture
def today(app) -> date:
    return dependencies(app).clock.today()


def nurse_submits(world) -> int:
    """The Askøy school nurse writes a referral and tries to send it: the submit's status."""
    draft = world.create_referral("nurse_askoy")
    return world.post("nurse_askoy", f"/api/v1/referrals/{draft['id']}/submit").status_code


def grant_body(today: date, **overrides) -> dict:
    body = {"municipality_number": ASKOY, "profession": "school_nurse", "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=365)).isoformat(), "basis": "Kommunestyrets vedtak"}
    body.update(overrides)
    return body


# --- must show 5: three ways to grant, and then the nurse can submit ----------------------------------------

@pytest.mark.usefixtures("askoy_without_grants")
def test_granted_through_the_api_the_nurse_can_submit(world, today):
    assert nurse_submits(world) == 403
    response = world.post("admin", "/api/v1/referral-rights", json=grant_body(today))
    assert response.status_code == 201, response.json
    assert {k: response.json[k] for k in ("municipality_number", "profession", "valid_from")} == {
        "municipality_number": ASKOY, "profession": "school_nurse", "valid_from": today.isoformat()}
    assert response.json["id"] in {g["id"] for g in world.get("admin", "/api/v1/referral-rights").json["items"]}
    assert nurse_submits(world) == 200
    [event] = [e for e in world.get("auditor", "/api/v1/admin/events").json["items"] if e["action"] == "grant_added"]
    assert event["target_id"] == response.json["id"] and event["actor_user_id"] == world.users["admin"].id


@pytest.mark.usefixtures("askoy_without_grants")
def test_granted_through_the_pages_the_nurse_can_submit(app, world, today):
    assert nurse_submits(world) == 403
    admin = WebUser(app, "admin")
    admin.get("/admin/henvisningsrett")
    page = admin.submit("/admin/henvisningsrett", {
        "municipality_number": ASKOY, "profession": "school_nurse", "valid_from": today.strftime("%d.%m.%Y"),
        "valid_to": "", "basis": "Utprøving i Askøy"})
    assert "Henvisningsretten for helsesykepleier er gitt." in page.text()
    assert "Askøy (4627)" in page.text() and "Utprøving i Askøy" in page.text()
    assert nurse_submits(world) == 200


@pytest.mark.usefixtures("askoy_without_grants")
def test_granted_through_the_command_line_the_nurse_can_submit(app, world, today, tmp_path):
    assert nurse_submits(world) == 403
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    added = runner.invoke(main, ["grants", "add", "--municipality", ASKOY, "--profession", "school_nurse",
                                 "--from", today.isoformat(), "--basis", "Vedtak"], env=env)
    assert added.exit_code == 0, (added.output, added.exception)
    assert "Granted school_nurse in 4627" in added.output
    listed = runner.invoke(main, ["grants", "list"], env=env)
    assert listed.exit_code == 0 and "4627" in listed.output and "(no end)" in listed.output
    assert nurse_submits(world) == 200
    [event] = [e for e in world.get("admin", "/api/v1/admin/events").json["items"] if e["action"] == "grant_added"]
    assert event["actor_user_id"] is None  # the command line


@pytest.mark.usefixtures("askoy_without_grants")
def test_a_grant_ended_early_through_the_command_line_stops_the_nurse(app, world, today, tmp_path):
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}
    start = today - timedelta(days=10)
    grant = world.post("admin", "/api/v1/referral-rights", json=grant_body(today, valid_from=start.isoformat()))
    assert nurse_submits(world) == 200
    yesterday = (today - timedelta(days=1)).isoformat()
    ended = CliRunner().invoke(main, ["grants", "end", grant.json["id"], "--to", yesterday], env=env)
    assert ended.exit_code == 0, (ended.output, ended.exception)
    assert nurse_submits(world) == 403
    refused = CliRunner().invoke(main, ["grants", "add", "--municipality", "9999", "--profession", "doctor",
                                        "--from", today.isoformat()], env=env)
    assert refused.exit_code != 0 and "profession" in refused.output and "municipality_number" in refused.output


@pytest.mark.usefixtures("askoy_without_grants")
def test_a_grant_ended_early_through_the_api_and_the_pages(app, world, today):
    start = today - timedelta(days=10)
    first = world.post("admin", "/api/v1/referral-rights", json=grant_body(today, valid_from=start.isoformat(),
                                                                           valid_to=None))
    ended = world.post("admin", f"/api/v1/referral-rights/{first.json['id']}/end",
                       json={"valid_to": (today - timedelta(days=1)).isoformat()})
    assert ended.status_code == 200 and ended.json["valid_to"] == (today - timedelta(days=1)).isoformat()
    assert nurse_submits(world) == 403
    second = world.post("admin", "/api/v1/referral-rights", json=grant_body(today, valid_to=None))
    assert second.status_code == 201, second.json
    admin = WebUser(app, "admin")
    admin.get("/admin/henvisningsrett")
    refused = admin.submit(f"/admin/henvisningsrett/{second.json['id']}/avslutt",
                           {"valid_to": (today - timedelta(days=30)).strftime("%d.%m.%Y")}, expect=422)
    assert "Siste dag kan ikke være før første dag." in refused.text()
    page = admin.submit(f"/admin/henvisningsrett/{second.json['id']}/avslutt",
                        {"valid_to": today.strftime("%d.%m.%Y")})
    assert "Henvisningsretten er avsluttet." in page.text()


# --- what a grant must be ------------------------------------------------------------------------------

@pytest.mark.usefixtures("askoy_without_grants")
def test_a_grant_is_checked(world, today):
    cases = [
        ("profession", {"profession": "doctor"}),  # doctors always may refer: nothing to grant
        ("municipality_number", {"municipality_number": "9999"}),
        ("municipality_number", {"municipality_number": "1247"}),  # Askøy's number before 2020: not in force
        ("valid_to", {"valid_to": (today - timedelta(days=1)).isoformat()}),
    ]
    for field, change in cases:
        refuse(world, "admin", "post", "/api/v1/referral-rights", 422, field, json=grant_body(today, **change))
    assert world.post("admin", "/api/v1/referral-rights", json=grant_body(today)).status_code == 201
    overlapping = grant_body(today, valid_from=(today + timedelta(days=100)).isoformat(), valid_to=None)
    refuse(world, "admin", "post", "/api/v1/referral-rights", 422, "valid_from", json=overlapping)
    after = grant_body(today, valid_from=(today + timedelta(days=366)).isoformat(), valid_to=None)
    assert world.post("admin", "/api/v1/referral-rights", json=after).status_code == 201
    other_profession = grant_body(today, profession="ppt_adviser")
    assert world.post("admin", "/api/v1/referral-rights", json=other_profession).status_code == 201


@pytest.mark.usefixtures("askoy_without_grants")
def test_the_pages_say_why_a_grant_is_refused_in_norwegian(app, world, today):
    assert world.post("admin", "/api/v1/referral-rights", json=grant_body(today)).status_code == 201
    admin = WebUser(app, "admin")
    admin.get("/admin/henvisningsrett")
    page = admin.submit("/admin/henvisningsrett", {"municipality_number": ASKOY, "profession": "school_nurse",
                                                   "valid_from": today.strftime("%d.%m.%Y")}, expect=422)
    assert "Perioden overlapper en annen henvisningsrett" in page.text()
    page = admin.submit("/admin/henvisningsrett", {"municipality_number": ASKOY, "profession": "ppt_adviser",
                                                   "valid_from": "31.02.2027"}, expect=422)
    assert "Skriv datoen som dd.mm.åååå" in page.text()


def test_only_an_admin_grants(world, today):
    for who in ("coordinator_askoy", "lead_askoy", "nurse_askoy", "auditor", "bup"):
        refuse(world, who, "post", "/api/v1/referral-rights", 403, json=grant_body(today))
        refuse(world, who, "get", "/api/v1/referral-rights", 403)
        refuse(world, who, "post", f"/api/v1/referral-rights/{UNKNOWN_ID}/end", 403,
               json={"valid_to": today.isoformat()})
    refuse(world, "admin", "post", f"/api/v1/referral-rights/{UNKNOWN_ID}/end", 404,
           json={"valid_to": today.isoformat()})
