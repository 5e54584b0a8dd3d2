"""DESIGN.md rule 5 and API.md: a child's identity number never appears in a URL, a log line, an e-mail
or an error message, and is encrypted at rest; the child's name stays out of logs and e-mails too.
Every response carries the security headers, child data never lands in a shared cache, and an
oversized request is refused with 413.

The child has distinctive names, so that finding them anywhere means a leak and not a coincidence.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from referral_service.bootstrap import dependencies
from tests.integration.test_api_errors import assert_problem, capture_everything_logged, with_wrong_check_digit
from tests.support.loop import InProcessWorker

API = "/api/v1/referrals"
GIVEN_NAME = "Xylofonia"
FAMILY_NAME = "Qwertzbakken"
GUARDIAN = "Zebediah Qwertzbakken"


@pytest.fixture
def everything_logged(caplog, capfd, monkeypatch):
    return capture_everything_logged(caplog, capfd, monkeypatch)


def distinctive_referral_body(world) -> dict:
    body = world.referral_body()
    body["child"].update(given_name=GIVEN_NAME, family_name=FAMILY_NAME,
                         guardians=[{"name": GUARDIAN, "phone": "40000001", "email": "foresatt@test.example"}])
    return body


def secrets_of(body: dict) -> dict[str, str]:
    return {"identity number": body["child"]["national_id"], "given name": GIVEN_NAME, "family name": FAMILY_NAME}


def full_loop(world, app, body: dict) -> tuple[str, InProcessWorker]:
    """Referral, question and answer, rejection, handover worked to the end, identity number revealed,
    and a few refusals on the way; returns the referral id and the worker that sent the e-mails."""
    worker = InProcessWorker(app)
    today = dependencies(app).clock.today()
    created = world.post("gp", API, json=body)
    assert created.status_code == 201
    rid = created.json["id"]
    world.act("gp", rid, "submit")
    world.get("bup", f"{API}/{rid}")
    world.get("bup", API)
    world.act("bup", rid, "request-information", {"questions": "Hvordan sover barnet?"})
    worker.run()
    world.act("gp", rid, "supplement", {"text": "Dårlig, våkner ofte."})
    world.act("bup", rid, "accept", {"care_start_due": "2020-01-01"}, expect=422)
    world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                     "municipal_advice": "Kommunepsykolog."})
    worker.run()
    handover_id = world.get("gp", f"{API}/{rid}").json["handover_id"]
    for action, action_body in (("acknowledge", None), ("assign", {"service": "Kommunepsykologen"}),
                                ("plan", {"first_contact_on": (today + timedelta(days=2)).isoformat(),
                                          "plan": "Samtale hjemme."}),
                                ("close", {"outcome": "Følges opp av kommunepsykologen."})):
        assert world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}",
                          json=action_body).status_code == 200
    worker.run()
    revealed = world.post("gp", f"{API}/{rid}/national-id")
    assert revealed.json["national_id"] == body["child"]["national_id"]
    assert world.get("ppt", f"{API}/{rid}").status_code == 404
    assert world.post("gp", f"{API}/{rid}/national-id", headers={"Authorization": "Bearer feil"}).status_code == 401
    return rid, worker


def test_a_whole_loop_logs_and_mails_neither_the_identity_number_nor_the_childs_name(
        world, app, everything_logged):
    body = distinctive_referral_body(world)
    _rid, worker = full_loop(world, app, body)
    logged = everything_logged()
    assert "referral event processed" in logged and "alert e-mail sent" in logged  # the capture works
    assert worker.mailer.sent, "the loop sends alert e-mails"
    mails = "\n".join(message.as_string() for message in worker.mailer.sent)
    for what, secret in secrets_of(body).items():
        assert secret not in logged, f"the {what} is in the logs"
        assert secret not in mails, f"the {what} is in an e-mail"
    assert GUARDIAN not in logged + mails


def test_alert_messages_name_neither_the_child_nor_the_identity_number(world, app):
    body = distinctive_referral_body(world)
    full_loop(world, app, body)
    for who in ("gp", "coordinator_askoy", "lead_askoy", "bup"):
        for alert in world.get(who, "/api/v1/alerts").json["items"]:
            for what, secret in secrets_of(body).items():
                assert secret not in alert["message"], (who, what, alert["message"])


def test_the_identity_number_is_shown_only_masked_in_referrals_and_lists(world, app):
    body = distinctive_referral_body(world)
    rid, _worker = full_loop(world, app, body)
    number = body["child"]["national_id"]
    for who in ("gp", "bup", "coordinator_askoy"):
        for path in (f"{API}/{rid}", f"{API}/{rid}/events", API, "/api/v1/handovers", "/api/v1/alerts"):
            assert number not in world.get(who, path).get_data(as_text=True), (who, path)


def test_the_identity_number_is_not_stored_in_plain_text(world, app):
    body = distinctive_referral_body(world)
    full_loop(world, app, body)
    number = body["child"]["national_id"]
    engine = app.extensions["referral_db"].engine
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                assert number not in repr(tuple(row)), f"the identity number is stored readable in {table.name}"


def test_a_refused_identity_number_is_not_echoed_in_the_error(world):
    body = distinctive_referral_body(world)
    wrong = with_wrong_check_digit(body["child"]["national_id"])
    body["child"]["national_id"] = wrong
    response = world.post("gp", API, json=body)
    assert_problem(response, 422, "child.national_id")
    assert wrong not in response.get_data(as_text=True)


def test_a_database_error_logs_nothing_about_the_child(world, everything_logged):
    """A NUL character in a name is refused by PostgreSQL mid-request: the error is logged, its data is not."""
    body = distinctive_referral_body(world)
    body["child"]["given_name"] = GIVEN_NAME + "\x00"
    world.post("gp", API, json=body)
    logged = everything_logged()
    for what, secret in secrets_of(body).items():
        assert secret not in logged, f"the {what} is in the logs"
    assert GUARDIAN not in logged


def test_a_nul_byte_in_a_name_is_refused_with_422_on_every_database(world):
    """PostgreSQL cannot store a NUL character, so the service refuses it everywhere, and clearly (rule 6)."""
    body = distinctive_referral_body(world)
    body["child"]["given_name"] = GIVEN_NAME + "\x00"
    assert_problem(world.post("gp", API, json=body), 422, "child.given_name")


# --- headers and size ---------------------------------------------------------------------------------------

SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


@pytest.mark.parametrize("who, method, path", [
    ("gp", "get", API),
    ("gp", "get", f"{API}/00000000-0000-4000-8000-000000000000"),
    (None, "get", API),
    ("gp", "post", f"{API}/not-a-referral/submit"),
    (None, "post", "/api/v1/auth/token"),
    (None, "get", "/api/v1/openapi.json"),
    (None, "get", "/health"),
    (None, "get", "/api/docs"),
    (None, "get", "/"),
    (None, "get", "/finnes-ikke"),
], ids=lambda v: v if isinstance(v, str) else str(v))
def test_every_response_carries_the_security_headers(world, who, method, path):
    headers = world.headers(who) if who else {}
    response = world.client.open(path, method=method.upper(), headers=headers,
                                 json={} if method == "post" else None)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, response.status_code, name)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, (path, csp)
    if path.startswith("/api/v1"):
        assert "no-store" in response.headers.get("Cache-Control", ""), (path, response.status_code)


def test_the_referral_with_child_data_is_never_cacheable(world):
    rid = world.create_referral("gp")["id"]
    response = world.get("gp", f"{API}/{rid}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who, path", [("gp", API), (None, "/api/v1/auth/token")])
def test_a_request_over_one_megabyte_is_413_problem_json(world, who, path):
    headers = world.headers(who) if who else {}
    response = world.client.post(path, data=b'{"x": "' + b"a" * 1_050_000 + b'"}',
                                 headers={**headers, "Content-Type": "application/json"})
    problem = assert_problem(response, 413)
    assert "too large" in problem["detail"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
