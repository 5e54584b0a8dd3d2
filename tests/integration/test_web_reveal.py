"""A user with need may see the full identity number on request; the reveal is logged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.access_log import AccessLogEntry
from tests.support.world import USERS


def signed_in(app, who: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/logg-inn").get_data(as_text=True))[1]
    response = client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # Signing in starts a new session, with a new form token.
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/varsler").get_data(as_text=True))[1]
    return client, token


def test_the_full_number_is_shown_only_on_request_and_the_reveal_is_logged(world, app):
    body = world.referral_body()
    created = world.post("gp", "/api/v1/referrals", json=body).json
    number = body["child"]["national_id"]
    client, token = signed_in(app, "gp")
    page = client.get(f"/henvisninger/{created['id']}").get_data(as_text=True)
    assert number not in page and "Vis hele fødselsnummeret" in page
    revealed = client.post(f"/henvisninger/{created['id']}/vis-fodselsnummer", data={"csrf_token": token})
    assert revealed.status_code == 200 and number in revealed.get_data(as_text=True)
    assert revealed.headers["Cache-Control"] == "no-store"
    with app.extensions["referral_db"].session() as session:
        reveals = session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "reveal_national_id")).all()
    assert [(r.user_id, r.referral_id) for r in reveals] == [(world.users["gp"].id, created["id"])]


def test_someone_without_access_cannot_reveal_the_number(world, app):
    created = world.create_referral("gp")
    client, token = signed_in(app, "ppt")
    response = client.post(f"/henvisninger/{created['id']}/vis-fodselsnummer", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_web_session_ends_some_hours_after_signing_in_however_active(world, app, clock):
    start = datetime.now(UTC)
    clock.set(start)
    client, _token = signed_in(app, "gp")
    assert client.get("/varsler").status_code == 200
    for minutes in range(20, 10 * 60, 20):  # active all day long, by the service's clock
        clock.set(start + timedelta(minutes=minutes))
        assert client.get("/varsler").status_code == 200
    clock.set(start + timedelta(hours=10))
    response = client.get("/varsler")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
