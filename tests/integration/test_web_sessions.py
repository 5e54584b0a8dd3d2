"""Sessions kept on the server (issue 13, must show 2): log-out ends the session itself, not only the browser's copy,
so a cookie copied before log-out gets the sign-in page; idle time and the longest life are counted by the service's
clock; a new password, a reset by an administrator and deactivation end the user's other browsers. And passwords:
the user changes their own (page and API), an administrator resets one (page, API, command line), and fifty wrong
passwords from one address do not stop another account's correct password through the web form (must show 6).

Each test signs in as a user of its own, created by the administrator through the API, so the shared demo users'
passwords and sessions are never touched.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from referral_service.cli import main as cli
from referral_service.demo import DEMO_PASSWORD
from referral_service.web.formatting import OSLO
from tests.integration.test_api_errors import assert_problem
from tests.support.world import USERS

SESSION_COOKIE = "henvisning_session"
PASSWORD = "riktig-passord-2026"
NEW_PASSWORD = "nytt-og-langt-passord"


@pytest.fixture
def person(world) -> dict:
    """A new referrer at the GP office, with an address unique to this test."""
    email = f"okt-{uuid.uuid4().hex[:12]}@askoy.example"
    created = world.post("admin", "/api/v1/users", json={
        "email": email, "name": "Øyvind Økt", "password": PASSWORD, "organisation_id": world.orgs["gp"].id,
        "roles": ["referrer"], "profession": "doctor"})
    assert created.status_code == 201, created.json
    return {"id": created.json["id"], "email": email}


@pytest.fixture
def start(clock) -> datetime:
    moment = datetime.now(UTC).replace(microsecond=0)
    clock.set(moment)
    return moment


def csrf_of(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def log_in(app, email: str, password: str = PASSWORD, *, address: str = "127.0.0.1"):
    """A browser of its own, after posting the log-in form; (client, the answer to the form)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.post("/logg-inn", data={"email": email, "password": password,
                                              "csrf_token": csrf_of(client, "/logg-inn")})
    return client, response


def signed_in(app, email: str, password: str = PASSWORD):
    client, response = log_in(app, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def opens_referrals(client) -> bool:
    """Whether /henvisninger opens; otherwise the browser is sent to sign in."""
    response = client.get("/henvisninger")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/logg-inn"), response.status
    return False


def browser_with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, value)
    return client


def token_for(world, email: str, password: str = PASSWORD) -> str:
    response = world.client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- log-out and time (must show 2) -----------------------------------------------------------------------

def test_after_log_out_the_cookie_copied_before_gets_the_sign_in_page(app, world, person):
    client = signed_in(app, person["email"])
    assert opens_referrals(client)
    copied = client.get_cookie(SESSION_COOKIE).value

    logged_out = client.post("/logg-ut", data={"csrf_token": csrf_of(client, "/henvisninger")})
    assert logged_out.status_code == 302 and logged_out.headers["Location"] == "/logg-inn"

    assert not opens_referrals(browser_with_cookie(app, copied))
    assert not opens_referrals(client)


def test_twenty_nine_idle_minutes_keep_the_session_and_thirty_one_end_it(app, world, person, clock, start):
    client = signed_in(app, person["email"])
    clock.set(start + timedelta(minutes=29))
    assert opens_referrals(client)
    clock.set(start + timedelta(minutes=29 + 29))
    assert opens_referrals(client)  # idle time counts from the last request, not from signing in
    copied = client.get_cookie(SESSION_COOKIE).value
    clock.set(start + timedelta(minutes=29 + 29 + 31))
    assert not opens_referrals(browser_with_cookie(app, copied))
    clock.set(start + timedelta(minutes=29 + 29 + 2))  # the session stays ended, whatever the clock says next
    assert not opens_referrals(client)


def test_thirty_one_idle_minutes_after_signing_in_end_the_session(app, world, person, clock, start):
    client = signed_in(app, person["email"])
    clock.set(start + timedelta(minutes=31))
    assert not opens_referrals(client)


def test_a_session_ends_ten_hours_after_signing_in_however_active(app, world, person, clock, start):
    client = signed_in(app, person["email"])
    for minutes in range(25, 10 * 60, 25):
        clock.set(start + timedelta(minutes=minutes))
        assert opens_referrals(client), minutes
    clock.set(start + timedelta(hours=10))
    assert not opens_referrals(client)


def test_the_page_says_the_real_end_idle_time_or_the_ten_hour_cap(app, world, person, clock, start):
    client = signed_in(app, person["email"])

    def notice_time() -> str:
        return re.search(r"Du blir logget ut kl\. <span[^>]*>(\d\d:\d\d)</span>",
                         client.get("/henvisninger").get_data(as_text=True))[1]

    clock.set(start + timedelta(minutes=10))
    assert notice_time() == f"{(start + timedelta(minutes=40)).astimezone(OSLO):%H:%M}"
    for minutes in range(30, 9 * 60 + 50, 25):
        clock.set(start + timedelta(minutes=minutes))
        client.get("/henvisninger")
    clock.set(start + timedelta(hours=9, minutes=45))
    assert notice_time() == f"{(start + timedelta(hours=10)).astimezone(OSLO):%H:%M}"
    extended = client.post("/okt/forleng", data={"csrf_token": csrf_of(client, "/henvisninger")})
    assert extended.json["seconds_left"] == 15 * 60


def test_forleng_okten_counts_idle_time_from_then(app, world, person, clock, start):
    client = signed_in(app, person["email"])
    clock.set(start + timedelta(minutes=20, seconds=30))
    token = csrf_of(client, "/henvisninger")
    extended = client.post("/okt/forleng", data={"csrf_token": token})
    assert extended.status_code == 200 and extended.json["seconds_left"] == 30 * 60
    clock.set(start + timedelta(minutes=20, seconds=40))
    assert client.post("/okt/forleng", data={"csrf_token": token}).json["seconds_left"] == 30 * 60
    clock.set(start + timedelta(minutes=50, seconds=30))
    assert opens_referrals(client)


# ---- a new password, a reset and deactivation end the other browsers ----------------------------------------

def test_changing_the_password_ends_the_other_browsers_and_keeps_this_one(app, world, person):
    here, there = signed_in(app, person["email"]), signed_in(app, person["email"])
    other_token = token_for(world, person["email"])
    page = here.get("/passord").get_data(as_text=True)
    for label in ("Nåværende passord", "Nytt passord", "Gjenta nytt passord"):
        assert f">{label}</label>" in page

    changed = here.post("/passord", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                          "repeat_password": NEW_PASSWORD,
                                          "csrf_token": csrf_of(here, "/passord")})
    assert changed.status_code == 303
    assert "Passordet er endret" in here.get("/henvisninger").get_data(as_text=True)
    assert opens_referrals(here)
    assert not opens_referrals(there)
    assert_problem(world.client.get("/api/v1/referrals", headers=bearer(other_token)), 401)
    assert log_in(app, person["email"], PASSWORD)[1].status_code == 401
    assert opens_referrals(signed_in(app, person["email"], NEW_PASSWORD))


@pytest.mark.parametrize(("current", "new", "repeated", "message"), [
    ("feil-passord-123", NEW_PASSWORD, NEW_PASSWORD, "Det nåværende passordet er feil."),
    (PASSWORD, "kort", "kort", "Det nye passordet må ha minst 10 tegn."),
    (PASSWORD, PASSWORD, PASSWORD, "Velg et annet passord enn det du har nå."),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "Du må skrive det nye passordet likt to ganger."),
])
def test_a_refused_new_password_says_why_in_norwegian_and_changes_nothing(app, world, person, current, new,
                                                                          repeated, message):
    here, there = signed_in(app, person["email"]), signed_in(app, person["email"])
    refused = here.post("/passord", data={"current_password": current, "new_password": new,
                                          "repeat_password": repeated, "csrf_token": csrf_of(here, "/passord")})
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert opens_referrals(here) and opens_referrals(there)
    assert opens_referrals(signed_in(app, person["email"], PASSWORD))


def test_deactivation_ends_the_users_browser_session(app, world, person):
    client = signed_in(app, person["email"])
    assert opens_referrals(client)
    response = world.post("admin", f"/api/v1/admin/users/{person['id']}/deactivate", json={"to_queue": True})
    assert response.status_code == 200, response.json
    assert not opens_referrals(client)


def test_an_administrator_resets_a_password_on_the_page_and_the_user_chooses_a_new_one_first(app, world, person,
                                                                                               caplog):
    caplog.set_level(logging.DEBUG)
    users_browser = signed_in(app, person["email"])
    admin = signed_in(app, USERS["admin"], DEMO_PASSWORD)
    page = f"/admin/brukere/{person['id']}/nytt-passord"
    confirm = admin.get(page)
    assert confirm.status_code == 200 and "Lag midlertidig passord" in confirm.get_data(as_text=True)

    answer = admin.post(page, data={"csrf_token": csrf_of(admin, page)})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'id="midlertidig-passord">([^<]+)<', answer.get_data(as_text=True))[1]
    assert temporary not in caplog.text
    assert not opens_referrals(users_browser)
    assert log_in(app, person["email"], PASSWORD)[1].status_code == 401

    client, signed = log_in(app, person["email"], temporary)
    assert signed.headers["Location"] == "/passord"
    assert client.get("/henvisninger").headers["Location"] == "/passord"
    assert "midlertidig passord" in client.get("/passord").get_data(as_text=True)
    chosen = client.post("/passord", data={"current_password": temporary, "new_password": NEW_PASSWORD,
                                           "repeat_password": NEW_PASSWORD, "csrf_token": csrf_of(client, "/passord")})
    assert chosen.status_code == 303
    assert opens_referrals(client)
    assert log_in(app, person["email"], NEW_PASSWORD)[1].headers["Location"] == "/"


def test_only_an_administrator_opens_the_reset_page(app, world, person):
    gp = signed_in(app, USERS["gp"], DEMO_PASSWORD)
    page = f"/admin/brukere/{person['id']}/nytt-passord"
    assert gp.get(page).status_code == 403
    assert gp.post(page, data={"csrf_token": csrf_of(gp, "/henvisninger")}).status_code == 403
    assert signed_in(app, USERS["admin"], DEMO_PASSWORD).get("/admin/brukere/finnes-ikke/nytt-passord"
                                                             ).status_code == 404
    assert opens_referrals(signed_in(app, person["email"]))


# ---- the API -----------------------------------------------------------------------------------------------

def test_changing_the_password_through_the_api_keeps_this_token_and_ends_the_rest(app, world, person):
    browser = signed_in(app, person["email"])
    this_token, other_token = token_for(world, person["email"]), token_for(world, person["email"])
    refused = world.client.post("/api/v1/auth/password", headers=bearer(this_token),
                                json={"current_password": "feil-passord-123", "new_password": NEW_PASSWORD})
    assert assert_problem(refused, 422)["errors"]["current_password"]
    assert_problem(world.client.post("/api/v1/auth/password", headers=bearer(this_token),
                                     json={"current_password": PASSWORD, "new_password": "kort"}), 422)
    assert opens_referrals(browser)

    changed = world.client.post("/api/v1/auth/password", headers=bearer(this_token),
                                json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 204
    assert world.client.get("/api/v1/referrals", headers=bearer(this_token)).status_code == 200
    assert_problem(world.client.get("/api/v1/referrals", headers=bearer(other_token)), 401)
    assert not opens_referrals(browser)
    token_for(world, person["email"], NEW_PASSWORD)


def test_an_administrator_resets_a_password_through_the_api(app, world, person):
    token = token_for(world, person["email"])
    browser = signed_in(app, person["email"])
    assert_problem(world.post("gp", f"/api/v1/admin/users/{person['id']}/reset-password"), 403)
    assert_problem(world.post("admin", "/api/v1/admin/users/finnes-ikke/reset-password"), 404)
    assert world.client.get("/api/v1/referrals", headers=bearer(token)).status_code == 200

    reset = world.post("admin", f"/api/v1/admin/users/{person['id']}/reset-password")
    assert reset.status_code == 200
    temporary = reset.json["temporary_password"]
    assert len(temporary) >= 10
    assert_problem(world.client.get("/api/v1/referrals", headers=bearer(token)), 401)
    assert not opens_referrals(browser)
    # The temporary password, which the administrator saw, gets no token: it only lets the user choose a new one.
    refused = world.client.post("/api/v1/auth/token", json={"email": person["email"], "password": temporary})
    assert_problem(refused, 403)
    assert temporary not in refused.get_data(as_text=True)
    assert log_in(app, person["email"], temporary)[1].headers["Location"] == "/passord"
    # Who reset whose password stays on record (never the password itself).
    events = world.get("auditor", f"/api/v1/admin/events?target_id={person['id']}").json["items"]
    assert events[0]["action"] == "password_reset" and events[0]["actor_user_id"] == world.users["admin"].id
    assert temporary not in str(events)


def test_the_command_line_resets_a_password(app, world, person, monkeypatch):
    monkeypatch.setenv("REFERRAL_ENV", "test")
    monkeypatch.setenv("REFERRAL_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REFERRAL_DATA_DIR", app.config["DATA_DIR"])
    browser = signed_in(app, person["email"])
    result = CliRunner().invoke(cli, ["users", "reset-password", "--email", person["email"]])
    assert result.exit_code == 0, result.output
    temporary = result.output.strip().splitlines()[-1]
    assert not opens_referrals(browser)
    assert log_in(app, person["email"], temporary)[1].headers["Location"] == "/passord"
    unknown = CliRunner().invoke(cli, ["users", "reset-password", "--email", "finnes-ikke@askoy.example"])
    assert unknown.exit_code != 0


# ---- a shared address (must show 6, through the web form) ------------------------------------------------

def test_fifty_wrong_passwords_from_one_address_leave_another_accounts_correct_password_working(app, world,
                                                                                              person, clock, start):
    address = "10.13.0.6"
    assert log_in(app, person["email"], PASSWORD, address=address)[1].status_code == 302  # at the office, before
    answers = [log_in(app, f"kollega{i}@askoy.example", "feil-passord", address=address)[1] for i in range(50)]
    assert {a.status_code for a in answers[:49]} == {401}
    assert answers[-1].status_code == 429
    assert "mange mislykkede innlogginger herfra" in answers[-1].get_data(as_text=True)

    # A colleague who signed in from this office before gets in at once.
    client, response = log_in(app, person["email"], PASSWORD, address=address)
    assert response.status_code == 302
    assert opens_referrals(client)
    # One who never has is asked to wait a moment (no password is tried meanwhile), then gets in.
    newcomer = USERS["gp"]
    waiting = log_in(app, newcomer, DEMO_PASSWORD, address=address)[1]
    assert waiting.status_code == 429 and "Vent et minutt" in waiting.get_data(as_text=True)
    assert int(waiting.headers["Retry-After"]) <= 61
    clock.advance(timedelta(seconds=int(waiting.headers["Retry-After"])))
    client, response = log_in(app, newcomer, DEMO_PASSWORD, address=address)
    assert response.status_code == 302
    assert opens_referrals(client)
