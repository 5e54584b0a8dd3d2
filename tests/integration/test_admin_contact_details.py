"""Issue 14: the phone and hours the family is given ("Hvem skal jeg snakke med nå?") are set in administration: a
user's phone and when they can be reached, an organisation's phone and contact hours, on the pages, through the API
and on the command line, with the same rule everywhere (digits, spaces and + up to 30; hours up to 200) and Norwegian
errors on the pages. A refused change changes nothing; every change is in the administration log."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from referral_service.cli import main
from tests.integration.test_web_decisions import WebUser

PASSWORD = "et-langt-passord-2026"


def new_user(world, org: str = "askoy", roles: tuple[str, ...] = ("municipal_coordinator",), **extra) -> dict:
    response = world.post("admin", "/api/v1/users", json={
        "email": f"kontakt.{uuid.uuid4().hex[:10]}@test.example", "name": "Kari Kontakt", "password": PASSWORD,
        "organisation_id": world.orgs[org].id, "roles": list(roles), **extra})
    assert response.status_code == 201, response.json
    return response.json


def new_organisation(world) -> dict:
    response = world.post("admin", "/api/v1/organisations", json={
        "kind": "gp_office", "name": f"Legekontoret {uuid.uuid4().hex[:6]}", "municipality_number": "4627"})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def admin(app, world) -> WebUser:
    return WebUser(app, "admin")


def test_an_admin_sets_a_users_phone_and_hours_on_the_users_page(admin, world):
    user = new_user(world)
    admin.get(f"/admin/brukere/{user['id']}")
    page = admin.submit(f"/admin/brukere/{user['id']}/kontakt", {"phone": "+47 55 12 34 56",
                                                                   "reachable_hours": "hverdager 08.00–15.30"})
    assert "Telefon og tid for familier er lagret." in page.text()
    assert "+47 55 12 34 56" in page.text() and "hverdager 08.00–15.30" in page.text()
    assert "Telefon og tid for familier endret" in page.text()  # the administration log


def test_a_bad_phone_or_too_long_hours_is_refused_in_norwegian_and_nothing_changes(admin, world):
    user = new_user(world, phone="55 00 00 00")
    admin.get(f"/admin/brukere/{user['id']}")
    refused = admin.submit(f"/admin/brukere/{user['id']}/kontakt", {"phone": "ring meg", "reachable_hours": ""},
                           expect=422)
    assert "Telefonnummeret kan bare ha sifre, mellomrom og +, og høyst 30 tegn." in refused.text()
    assert refused.field("Telefon")["value"] == "ring meg"  # what they typed, to correct
    refused = admin.submit(f"/admin/brukere/{user['id']}/kontakt", {"phone": "55 00 00 00",
                                                                     "reachable_hours": "x" * 201}, expect=422)
    assert "Teksten er for lang. Den kan ha høyst 200 tegn." in refused.text()
    page = admin.get(f"/admin/brukere/{user['id']}")
    assert "55 00 00 00" in page.text() and "x" * 201 not in page.text()


def test_an_admin_sets_an_organisations_phone_and_hours_on_its_list_of_users(admin, world):
    organisation = new_organisation(world)
    admin.get(f"/admin/brukere?virksomhet={organisation['id']}")
    page = admin.submit(f"/admin/virksomheter/{organisation['id']}/kontakt",
                        {"phone": "56 15 00 00", "contact_hours": "mandag–fredag 08–16"})
    assert "Telefon og tid for familier er lagret." in page.text()
    listed = admin.get("/admin/virksomheter").text()
    assert "56 15 00 00" in listed and "mandag–fredag 08–16" in listed
    admin.get(f"/admin/brukere?virksomhet={organisation['id']}")
    refused = admin.submit(f"/admin/virksomheter/{organisation['id']}/kontakt",
                           {"phone": "56-15-00-00", "contact_hours": ""}, expect=422)
    assert "Telefonnummeret kan bare ha sifre" in refused.text()


def test_other_roles_cannot_use_the_administration_forms(app, world):
    coordinator = WebUser(app, "coordinator_askoy")
    token = coordinator.get("/varsler").hidden("csrf_token")
    for path in (f"/admin/virksomheter/{world.orgs['askoy'].id}/kontakt",
                 f"/admin/brukere/{world.users['coordinator_askoy'].id}/kontakt"):
        response = coordinator.client.post(path, data={"csrf_token": token, "phone": "1"})
        assert response.status_code == 403, path


def test_the_api_takes_and_answers_phone_and_hours(world):
    user = new_user(world, phone="+47 400 00 000", reachable_hours="tirsdager 09–11")
    assert (user["phone"], user["reachable_hours"]) == ("+47 400 00 000", "tirsdager 09–11")

    changed = world.client.put(f"/api/v1/users/{user['id']}/contact", headers=world.headers("admin"),
                               json={"phone": "55 55 55 55", "reachable_hours": None})
    assert changed.status_code == 200, changed.json
    assert (changed.json["phone"], changed.json["reachable_hours"]) == ("55 55 55 55", None)

    refused = world.client.put(f"/api/v1/users/{user['id']}/contact", headers=world.headers("admin"),
                               json={"phone": "ring meg"})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    too_long = world.client.put(f"/api/v1/users/{user['id']}/contact", headers=world.headers("admin"),
                                json={"reachable_hours": "x" * 201})
    assert too_long.status_code == 422
    not_theirs = world.client.put(f"/api/v1/users/{user['id']}/contact", headers=world.headers("coordinator_askoy"),
                                  json={"phone": "1"})
    assert not_theirs.status_code == 403

    organisation = new_organisation(world)
    org = world.client.put(f"/api/v1/organisations/{organisation['id']}/contact", headers=world.headers("admin"),
                           json={"phone": "56 00 00 00", "contact_hours": "hverdager 8–15"})
    assert org.status_code == 200 and org.json["phone"] == "56 00 00 00"
    assert world.client.put(f"/api/v1/organisations/{organisation['id']}/contact",
                            headers=world.headers("coordinator_askoy"), json={"phone": "1"}).status_code == 403
    events = world.get("admin", "/api/v1/admin/events?per_page=50").json["items"]
    assert {e["target_id"] for e in events if e["action"] == "contact_changed"} >= {user["id"], organisation["id"]}


def test_a_user_sets_their_own_phone_and_hours_through_the_api(app, world):
    user = new_user(world)
    token = world.client.post("/api/v1/auth/token", json={"email": user["email"], "password": PASSWORD}).json
    own = world.client.put(f"/api/v1/users/{user['id']}/contact",
                           headers={"Authorization": f"Bearer {token['access_token']}"},
                           json={"phone": "99 88 77 66", "reachable_hours": "onsdager"})
    assert own.status_code == 200 and own.json["phone"] == "99 88 77 66"


def test_the_command_line_adds_users_and_organisations_with_phone_and_hours(app, world, tmp_path):
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    org = runner.invoke(main, ["organisations", "add", "--kind", "gp_office", "--name", "Kvam legekontor",
                               "--municipality", "4627", "--phone", "56 00 11 22", "--hours", "hverdager"], env=env)
    assert org.exit_code == 0, (org.output, org.exception)
    email = f"cli.{uuid.uuid4().hex[:8]}@test.example"
    user = runner.invoke(main, ["users", "add", "--email", email, "--name", "Kari Kvam", "--organisation-id",
                                world.orgs["askoy"].id, "--role", "municipal_coordinator", "--phone", "400 00 001",
                                "--hours", "mandager", "--password", PASSWORD], env=env)
    assert user.exit_code == 0, (user.output, user.exception)
    refused = runner.invoke(main, ["users", "add", "--email", f"x{email}", "--name", "Kari Kvam", "--organisation-id",
                                   world.orgs["askoy"].id, "--role", "municipal_coordinator", "--phone", "ring",
                                   "--password", PASSWORD], env=env)
    assert refused.exit_code != 0 and "phone" in refused.output
    listed = world.get("admin", "/api/v1/organisations?per_page=200").json["items"]
    assert any(o["phone"] == "56 00 11 22" and o["contact_hours"] == "hverdager" for o in listed)


def test_a_user_sets_their_own_phone_and_hours_on_the_password_page(app, world):
    user = new_user(world)
    me = WebUser.__new__(WebUser)
    me.client, me.page = app.test_client(), None
    login = me.get("/logg-inn")
    me.client.post("/logg-inn", data={"email": user["email"], "password": PASSWORD,
                                     "csrf_token": login.hidden("csrf_token")})
    me.get("/passord")
    page = me.submit("/min-kontaktinfo", {"phone": "90 90 90 90", "reachable_hours": "fredager 10–12"})
    assert "Telefon og tid for familier er lagret." in page.text()
    assert me.get("/passord").field("Telefon")["value"] == "90 90 90 90"
    refused = me.submit("/min-kontaktinfo", {"phone": "ni null", "reachable_hours": ""}, expect=422)
    assert "Telefonnummeret kan bare ha sifre, mellomrom og +, og høyst 30 tegn." in refused.text()
    assert me.get("/passord").field("Telefon")["value"] == "90 90 90 90"
