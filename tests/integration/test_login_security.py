"""Logging in safely: repeated wrong passwords lock an e-mail address for a while (known or unknown, so
the answers never reveal which addresses exist), and a token stops working when it is revoked or expires.

Each test logs in as a user of its own, created by the administrator through the API, so the shared demo
users are never locked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from referral_service.services.admin.auth import LOCKED, LOGIN_FAILED
from tests.integration.test_api_errors import assert_problem

TOKEN = "/api/v1/auth/token"
MAX_FAILED_LOGINS = 10
LOCKOUT = timedelta(minutes=15)
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "riktig-passord-2026"


@pytest.fixture
def user_email(world) -> str:
    """A new referrer at the GP office; the address is unique to this test run."""
    email = f"lege-{uuid.uuid4().hex[:12]}@askoy.example"
    created = world.post("admin", "/api/v1/users", json={
        "email": email, "name": "Lina Låst", "password": PASSWORD, "organisation_id": world.orgs["gp"].id,
        "roles": ["referrer"], "profession": "doctor"})
    assert created.status_code == 201, created.json
    return email


@pytest.fixture
def frozen(clock):
    clock.set(START)
    return clock


def log_in(world, email: str, password: str):
    return world.client.post(TOKEN, json={"email": email, "password": password})


def fail_until_locked(world, email: str) -> list:
    """Wrong passwords until the address is locked (at most one more than the limit)."""
    answers = []
    for attempt in range(1, MAX_FAILED_LOGINS + 2):
        answers.append(log_in(world, email, f"feil-passord-{attempt}"))
        if answers[-1].status_code == 429:
            break
    return answers


def assert_locked(response) -> None:
    problem = assert_problem(response, 429)
    assert problem["detail"] == LOCKED
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= LOCKOUT.total_seconds() + 1


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- lockout -------------------------------------------------------------------------------------------------

def test_ten_wrong_passwords_in_a_row_lock_the_address(world, frozen, user_email):
    answers = fail_until_locked(world, user_email)
    assert len(answers) in (MAX_FAILED_LOGINS, MAX_FAILED_LOGINS + 1)  # the 10th or the 11th is refused
    for response in answers[:-1]:
        assert assert_problem(response, 401)["detail"] == LOGIN_FAILED
    assert_locked(answers[-1])


def test_while_locked_even_the_right_password_is_refused_with_429(world, frozen, user_email):
    fail_until_locked(world, user_email)
    frozen.set(START + LOCKOUT - timedelta(minutes=1))
    assert_locked(log_in(world, user_email, PASSWORD))


def test_after_the_lock_expires_the_right_password_works(world, frozen, user_email):
    fail_until_locked(world, user_email)
    frozen.set(START + timedelta(minutes=16))
    response = log_in(world, user_email, PASSWORD)
    assert response.status_code == 200
    assert world.client.get("/api/v1/referrals", headers=bearer(response.json["access_token"])).status_code == 200


def test_a_right_password_before_the_limit_starts_the_count_again(world, frozen, user_email):
    for attempt in range(MAX_FAILED_LOGINS - 1):
        assert log_in(world, user_email, f"feil-{attempt}").status_code == 401
    assert log_in(world, user_email, PASSWORD).status_code == 200
    for attempt in range(MAX_FAILED_LOGINS - 1):
        assert log_in(world, user_email, f"feil-igjen-{attempt}").status_code == 401


def test_an_unknown_address_is_locked_exactly_like_a_known_one(world, frozen, user_email):
    unknown = f"finnes-ikke-{uuid.uuid4().hex[:12]}@askoy.example"
    known_answers = fail_until_locked(world, user_email)
    unknown_answers = fail_until_locked(world, unknown)
    assert [r.status_code for r in unknown_answers] == [r.status_code for r in known_answers]
    assert [r.json for r in unknown_answers] == [r.json for r in known_answers]
    assert unknown_answers[-1].headers["Retry-After"] == known_answers[-1].headers["Retry-After"]
    assert_locked(log_in(world, unknown, "hva-som-helst-1"))


def test_the_answers_never_tell_whether_the_address_exists(world, frozen, user_email):
    unknown = f"finnes-ikke-{uuid.uuid4().hex[:12]}@askoy.example"
    for response in fail_until_locked(world, user_email) + fail_until_locked(world, unknown):
        text = response.get_data(as_text=True).lower()
        assert user_email not in text and unknown not in text
        for hint in ("unknown", "no such", "not found", "does not exist", "finnes ikke", "ukjent"):
            assert hint not in text, (hint, text)
    assert log_in(world, unknown, "x").json == log_in(world, user_email, "x").json


def test_locking_one_address_leaves_other_users_alone(world, frozen, user_email):
    fail_until_locked(world, user_email)
    assert world.get("gp", "/api/v1/referrals").status_code == 200
    assert log_in(world, "fastlege@askoy.example", "feil").status_code == 401  # counted, not locked


# --- tokens ------------------------------------------------------------------------------------------------------

def test_a_revoked_token_answers_401(world, user_email):
    token = log_in(world, user_email, PASSWORD).json["access_token"]
    assert world.client.get("/api/v1/referrals", headers=bearer(token)).status_code == 200
    assert world.client.post("/api/v1/auth/revoke", headers=bearer(token)).status_code == 204
    assert_problem(world.client.get("/api/v1/referrals", headers=bearer(token)), 401)
    assert_problem(world.client.post("/api/v1/auth/revoke", headers=bearer(token)), 401)


def test_revoking_one_token_leaves_the_users_other_logins_working(world, user_email):
    first = log_in(world, user_email, PASSWORD).json["access_token"]
    second = log_in(world, user_email, PASSWORD).json["access_token"]
    assert world.client.post("/api/v1/auth/revoke", headers=bearer(first)).status_code == 204
    assert world.client.get("/api/v1/referrals", headers=bearer(second)).status_code == 200


def test_a_token_nine_hours_old_answers_401(world, frozen, user_email):
    token = log_in(world, user_email, PASSWORD).json["access_token"]
    assert world.client.get("/api/v1/referrals", headers=bearer(token)).status_code == 200
    frozen.set(START + timedelta(hours=9))
    assert_problem(world.client.get("/api/v1/referrals", headers=bearer(token)), 401)
