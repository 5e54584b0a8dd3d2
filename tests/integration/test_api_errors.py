"""Every error status of API.md answers RFC 9457 problem+json, and a refused request changes nothing."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from referral_service.demo import DEMO_PASSWORD
from referral_service.logging_setup import JsonFormatter
from tests.support.clock import norway_today
from tests.support.world import USERS

PROBLEM_KEYS = {"type", "title", "status", "detail"}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
#: A start-of-care deadline the date ranges allow (workflows/date_ranges.py): refusals for other reasons use it.
LATER = (norway_today() + timedelta(days=60)).isoformat()


# --- helpers shared by the API test modules ---------------------------------------------------------------

#: Failed log-ins are counted on purpose (lockout), so that table may change on a refused login.
COUNTED_ON_FAILURE = {"login_throttle"}


def db_counts(world) -> dict[str, int]:
    """Rows per table, read straight from the database the app uses."""
    engine = world.app.extensions["referral_db"].engine
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SQLModel.metadata.sorted_tables if table.name not in COUNTED_ON_FAILURE}


def without_attempts(counts: dict[str, Any], status: int) -> dict[str, Any]:
    """Issue 13: a 404 on a child's resource is logged as a denied attempt; nothing else may change."""
    return {table: n for table, n in counts.items() if status != 404 or not table.startswith("access_log")}


def assert_problem(response, status: int, *fields: str) -> dict[str, Any]:
    """The response is a problem+json document with this status; for 422, `errors` names each field."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(response.get_data(as_text=True))
    assert PROBLEM_KEYS <= problem.keys()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    if status == 422:
        assert isinstance(problem["errors"], dict) and problem["errors"]
        assert all(isinstance(messages, list) and messages for messages in problem["errors"].values())
    for field in fields:
        assert field in problem.get("errors", {}), (field, problem)
    return problem


def refuse(world, who: str | None, method: str, path: str, status: int, *fields: str,
           **kwargs: Any) -> dict[str, Any]:
    """Make a request that must be refused with `status`; the database row counts stay the same."""
    if who is not None:
        world.headers(who)  # log in first: the login itself writes a token row
    before = db_counts(world)
    if who is None:
        response = getattr(world.client, method)(path, **kwargs)
    else:
        response = getattr(world, method)(who, path, **kwargs)
    problem = assert_problem(response, status, *fields)
    assert without_attempts(db_counts(world), status) == without_attempts(before, status), \
        "a refused request changed the database"
    return problem


def etag_of(world, who: str, referral_id: str) -> str:
    response = world.get(who, f"/api/v1/referrals/{referral_id}")
    assert response.status_code == 200
    return response.headers["ETag"]


def with_wrong_check_digit(national_id: str) -> str:
    return national_id[:10] + str((int(national_id[10]) + 1) % 10)


def capture_everything_logged(caplog, capfd, monkeypatch) -> Callable[[], str]:
    """All the service logs at DEBUG (as the app's JSON handler writes it) and all it prints, from now on."""
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    json_handlers = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert json_handlers, "the app's JSON log handler is not installed"
    for handler in json_handlers:
        monkeypatch.setattr(handler, "stream", stream)
    logging.getLogger("referral_service").debug("log capture works")
    assert "log capture works" in stream.getvalue()  # the app's own handler writes to us at DEBUG

    def collect() -> str:
        printed = capfd.readouterr()
        records = [JsonFormatter().format(record) for record in caplog.records]
        return "\n".join([stream.getvalue(), printed.out, printed.err, caplog.text, *records])

    return collect


@pytest.fixture
def everything_logged(caplog, capfd, monkeypatch) -> Callable[[], str]:
    return capture_everything_logged(caplog, capfd, monkeypatch)


# --- 400 --------------------------------------------------------------------------------------------------

def test_a_malformed_json_body_is_400(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 400,
           data='{"child": {"national_id": ', headers={"Content-Type": "application/json"})


def test_a_malformed_json_body_on_an_action_is_400(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "bup", "post", f"/api/v1/referrals/{rid}/request-information", 400,
           data="{questions: nope", headers={"Content-Type": "application/json"})
    assert world.get("bup", f"/api/v1/referrals/{rid}").json["status"] == "submitted"


# --- 401 --------------------------------------------------------------------------------------------------

def test_a_request_without_a_token_is_401(world):
    refuse(world, None, "get", "/api/v1/referrals", 401)


def test_a_request_with_an_unknown_token_is_401(world):
    refuse(world, None, "get", "/api/v1/referrals", 401, headers={"Authorization": "Bearer not-a-real-token"})


def test_a_request_with_another_scheme_than_bearer_is_401(world):
    refuse(world, None, "post", "/api/v1/referrals", 401, json=world.referral_body(),
           headers={"Authorization": "Basic Zm9vOmJhcg=="})


def test_a_wrong_password_is_401_and_issues_no_token(world):
    refuse(world, None, "post", "/api/v1/auth/token", 401,
           json={"email": USERS["gp"], "password": DEMO_PASSWORD + "x"})


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(world):
    wrong_password = refuse(world, None, "post", "/api/v1/auth/token", 401,
                            json={"email": USERS["gp"], "password": "not-the-password"})
    unknown_email = refuse(world, None, "post", "/api/v1/auth/token", 401,
                           json={"email": "nobody@nowhere.example", "password": "not-the-password"})
    assert unknown_email == wrong_password
    assert USERS["gp"] not in json.dumps(wrong_password)


def test_an_expired_token_is_401(world, clock):
    login = world.client.post("/api/v1/auth/token", json={"email": USERS["gp"], "password": DEMO_PASSWORD})
    expires_at = datetime.fromisoformat(login.json["expires_at"])
    clock.set(expires_at + timedelta(seconds=1))
    refuse(world, None, "get", "/api/v1/referrals", 401,
           headers={"Authorization": f"Bearer {login.json['access_token']}"})


def test_the_right_password_gives_a_bearer_token(world):
    response = world.client.post("/api/v1/auth/token", json={"email": USERS["gp"], "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    assert response.json["access_token"] and response.json["expires_at"]
    me = world.client.get("/api/v1/referrals",
                          headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200


# --- 403 --------------------------------------------------------------------------------------------------

def test_a_bup_user_may_not_create_a_referral(world):
    refuse(world, "bup", "post", "/api/v1/referrals", 403, json=world.referral_body())


def test_a_referrer_may_not_create_an_organisation(world):
    refuse(world, "gp", "post", "/api/v1/organisations", 403,
           json={"kind": "gp_office", "name": "Legekontor uten lov", "municipality_number": "4627"})


def test_a_school_nurse_without_referral_right_may_not_submit(world):
    rid = world.create_referral("nurse_askoy")["id"]
    etag = etag_of(world, "nurse_askoy", rid)
    refuse(world, "nurse_askoy", "post", f"/api/v1/referrals/{rid}/submit", 403)
    assert etag_of(world, "nurse_askoy", rid) == etag
    assert world.get("nurse_askoy", f"/api/v1/referrals/{rid}").json["status"] == "draft"


def test_a_referrer_may_not_take_the_clinics_decision(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/accept", 403, json={"care_start_due": LATER})
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["status"] == "submitted"


def test_the_clinic_may_not_take_the_referrers_action(world):
    rid = world.referral_in("information_requested")["id"]
    refuse(world, "bup", "post", f"/api/v1/referrals/{rid}/supplement", 403, json={"text": "Svar fra BUP selv"})


# --- 404 --------------------------------------------------------------------------------------------------

def test_an_unknown_referral_is_404(world):
    refuse(world, "gp", "get", f"/api/v1/referrals/{UNKNOWN_ID}", 404)


def test_an_action_on_an_unknown_referral_is_404(world):
    refuse(world, "bup", "post", f"/api/v1/referrals/{UNKNOWN_ID}/withdraw", 404, json={"reason": "Finnes ikke"})


def test_another_clinics_referral_is_404_exactly_like_an_unknown_one(world):
    rid = world.referral_in("submitted")["id"]
    hidden = refuse(world, "bup2", "get", f"/api/v1/referrals/{rid}", 404)
    unknown = refuse(world, "bup2", "get", f"/api/v1/referrals/{UNKNOWN_ID}", 404)
    assert hidden == unknown


def test_another_clinic_cannot_act_on_a_referral_it_does_not_receive(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "bup2", "post", f"/api/v1/referrals/{rid}/accept", 404, json={"care_start_due": LATER})


def test_a_referrer_of_another_organisation_gets_404(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "ppt", "get", f"/api/v1/referrals/{rid}", 404)
    refuse(world, "ppt", "get", f"/api/v1/referrals/{rid}/events", 404)
    refuse(world, "ppt", "post", f"/api/v1/referrals/{rid}/withdraw", 404, json={"reason": "Ikke min"})


def test_the_clinic_cannot_see_a_draft(world):
    rid = world.create_referral("gp")["id"]
    refuse(world, "bup", "get", f"/api/v1/referrals/{rid}", 404)


def test_an_unknown_url_is_a_problem_404(world):
    refuse(world, "gp", "get", "/api/v1/no-such-resource", 404)


def test_an_unsupported_method_is_a_problem_405_naming_the_allowed_ones(world):
    rid = world.create_referral("gp")["id"]
    response = world.client.delete(f"/api/v1/referrals/{rid}", headers=world.headers("gp"))
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


# --- 409 --------------------------------------------------------------------------------------------------

def test_submitting_a_submitted_referral_is_409(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 409)


def test_accepting_a_rejected_referral_is_409(world):
    rid = world.referral_in("rejected")["id"]
    refuse(world, "bup", "post", f"/api/v1/referrals/{rid}/accept", 409, json={"care_start_due": LATER})
    assert world.get("bup", f"/api/v1/referrals/{rid}").json["status"] == "rejected"


def test_editing_a_submitted_referral_is_409(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "gp", "patch", f"/api/v1/referrals/{rid}", 409, json={"description": "Endret etter innsending"})
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["description"] != "Endret etter innsending"


# --- 412 --------------------------------------------------------------------------------------------------

def test_an_action_with_a_stale_if_match_is_412(world):
    rid = world.create_referral("gp")["id"]
    stale = etag_of(world, "gp", rid)
    assert world.patch("gp", f"/api/v1/referrals/{rid}", json={"urgency": "urgent"}).status_code == 200
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 412, headers={"If-Match": stale})
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["status"] == "draft"


def test_an_edit_with_a_stale_if_match_is_412(world):
    rid = world.create_referral("gp")["id"]
    stale = etag_of(world, "gp", rid)
    first = world.patch("gp", f"/api/v1/referrals/{rid}", json={"urgency": "urgent"}, headers={"If-Match": stale})
    assert first.status_code == 200
    refuse(world, "gp", "patch", f"/api/v1/referrals/{rid}", 412, json={"urgency": "normal"},
           headers={"If-Match": stale})
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["urgency"] == "urgent"


def test_a_clinic_decision_with_a_stale_if_match_is_412(world):
    rid = world.referral_in("submitted")["id"]
    stale = etag_of(world, "bup", rid)
    world.act("bup", rid, "request-information", {"questions": "Hvor lenge?"})
    world.act("gp", rid, "supplement", {"text": "Siden august."})
    refuse(world, "bup", "post", f"/api/v1/referrals/{rid}/accept", 412, json={"care_start_due": LATER},
           headers={"If-Match": stale})
    assert world.get("bup", f"/api/v1/referrals/{rid}").json["status"] == "submitted"


# --- 413 --------------------------------------------------------------------------------------------------

def test_a_body_over_one_megabyte_is_413(world):
    body = world.referral_body(description="x" * 1_100_000)
    refuse(world, "gp", "post", "/api/v1/referrals", 413, json=body)


# --- 422 --------------------------------------------------------------------------------------------------

def test_wrong_types_are_422_naming_each_field(world):
    body = world.referral_body(urgency=3, reasons="anxiety")
    body["child"]["guardians"] = "Mor"
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "urgency", "reasons", "child.guardians", json=body)


def test_missing_required_fields_are_422_naming_each_field(world):
    body = world.referral_body()
    del body["clinic_id"]
    del body["child"]["family_name"]
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "clinic_id", "child.family_name", json=body)


def test_a_child_name_of_only_spaces_is_422(world):
    body = world.referral_body()
    body["child"]["given_name"] = "   "
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "child.given_name", json=body)


def test_a_body_that_is_not_an_object_is_422(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 422, json=["not", "a", "referral"])


def test_an_unknown_reason_code_is_422(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "reasons.1",
           json=world.referral_body(reasons=["anxiety", "bad_mood"]))


def test_a_municipality_number_that_is_not_four_digits_is_422(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "child.home_municipality",
           json=world.referral_body(home_municipality="462"))


def test_an_unknown_clinic_is_422(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "clinic_id", json=world.referral_body(clinic_id=UNKNOWN_ID))


def test_an_organisation_that_is_not_a_bup_clinic_is_not_a_clinic(world):
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "clinic_id",
           json=world.referral_body(clinic_id=world.orgs["school_askoy"].id))


def test_an_unknown_municipal_contact_organisation_is_422(world):
    body = world.referral_body(municipal_contacts=[{"role": "Lærer", "name": "Lise Lærer",
                                                    "organisation_id": UNKNOWN_ID}])
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "municipal_contacts.0.organisation_id", json=body)


def test_an_invalid_action_body_is_422(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "bup", "post", f"/api/v1/referrals/{rid}/reject", 422, "reason_code", "explanation",
           json={"reason_code": "because", "municipal_advice": "Kommunepsykolog."})
    assert world.get("bup", f"/api/v1/referrals/{rid}").json["status"] == "submitted"


def test_an_identity_number_with_a_wrong_check_digit_is_422(world):
    body = world.referral_body()
    body["child"]["national_id"] = with_wrong_check_digit(body["child"]["national_id"])
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "child.national_id", json=body)


def test_an_identity_number_of_ten_digits_is_422(world):
    body = world.referral_body()
    body["child"]["national_id"] = body["child"]["national_id"][:10]
    refuse(world, "gp", "post", "/api/v1/referrals", 422, "child.national_id", json=body)


def test_a_synthetic_test_number_is_accepted_in_test_configuration(world):
    body = world.referral_body()
    assert int(body["child"]["national_id"][2:4]) > 80  # Tenor synthetic numbers add 80 to the month
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201
    assert response.json["child"]["birth_date"] == "2012-05-10"


def test_a_rejected_identity_number_is_neither_echoed_nor_logged(world, everything_logged):
    body = world.referral_body()
    wrong = with_wrong_check_digit(body["child"]["national_id"])
    body["child"]["national_id"] = wrong
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert_problem(response, 422, "child.national_id")
    assert wrong not in response.get_data(as_text=True)
    assert wrong not in everything_logged()


def test_a_rejected_identity_number_in_an_edit_is_neither_echoed_nor_logged(world, everything_logged):
    referral = world.create_referral("gp")
    child = world.referral_body()["child"]
    wrong = with_wrong_check_digit(child["national_id"])
    etag = etag_of(world, "gp", referral["id"])
    response = world.patch("gp", f"/api/v1/referrals/{referral['id']}", json={"child": {**child, "national_id": wrong}})
    assert_problem(response, 422, "child.national_id")
    assert wrong not in response.get_data(as_text=True)
    assert wrong not in everything_logged()
    assert etag_of(world, "gp", referral["id"]) == etag


def test_an_identity_number_put_in_an_address_is_neither_echoed_nor_logged(world, everything_logged):
    """A client that puts a child's number in a URL path (by mistake, or probing): 404, and the request's log line
    keeps the path with the number masked."""
    number = world.national_id()
    spaced = f"{number[:6]}%20{number[6:]}"
    for path in (f"/api/v1/referrals/{number}", f"/api/v1/handovers/{number}", f"/fhir/ServiceRequest/{number}",
                 f"/fhir/Patient/{spaced}", f"/fhir/ServiceRequest/{number}/$everything", f"/fhir/Task/{number}"):
        response = world.get("gp", path)
        assert response.status_code == 404, path
        assert number not in response.get_data(as_text=True), path
    logged = everything_logged()
    assert number not in logged
    assert number[6:] not in logged  # nor its last five digits after a space
    assert "/fhir/ServiceRequest/***********" in logged  # the line is there, with the number masked
