"""The API reads JSON only: a body of another media type answers 415 problem+json and changes nothing.

Before, webargs read a form-encoded or text body as no body at all and answered 422 for the fields it then
missed, which told the client to fix fields it had sent. Requests without a body are not affected.
"""

from __future__ import annotations

import json
import re

import pytest

REFERRALS = "/api/v1/referrals"


def referral_count(world) -> int:
    return world.get("gp", REFERRALS).json["total"]


def assert_415(response) -> None:
    assert response.status_code == 415, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == 415 and "application/json" in problem["detail"]


@pytest.mark.parametrize("content_type, encode", [
    ("application/x-www-form-urlencoded", lambda body: "description=Skolevegring&urgency=normal"),
    ("text/plain", json.dumps),
    ("application/xml", lambda body: "<referral><urgency>normal</urgency></referral>"),
    ("multipart/form-data; boundary=x",
     lambda body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--'),
])
def test_a_new_referral_in_another_media_type_is_415_and_creates_nothing(world, content_type, encode):
    before = referral_count(world)

    response = world.client.post(REFERRALS, data=encode(world.referral_body()), content_type=content_type,
                                 headers=world.headers("gp"))

    assert_415(response)
    assert referral_count(world) == before


def test_a_decision_sent_as_a_form_is_415_and_the_referral_keeps_its_state(world):
    rid = world.referral_in("submitted")["id"]
    etag = world.get("bup", f"{REFERRALS}/{rid}").headers["ETag"]

    response = world.client.post(f"{REFERRALS}/{rid}/reject", data={"reason_code": "not_specialist_need"},
                                 headers=world.headers("bup"))

    assert_415(response)
    after = world.get("bup", f"{REFERRALS}/{rid}")
    assert after.json["status"] == "submitted" and after.headers["ETag"] == etag


def test_an_edit_sent_as_text_is_415_and_the_draft_is_unchanged(world):
    rid = world.create_referral("gp")["id"]
    before = world.get("gp", f"{REFERRALS}/{rid}").json

    response = world.client.patch(f"{REFERRALS}/{rid}", data=json.dumps({"description": "Endret."}),
                                  content_type="text/plain", headers=world.headers("gp"))

    assert_415(response)
    assert world.get("gp", f"{REFERRALS}/{rid}").json == before


def test_json_with_a_charset_is_json(world):
    response = world.client.post(REFERRALS, data=json.dumps(world.referral_body()),
                                 content_type="application/json; charset=utf-8", headers=world.headers("gp"))

    assert response.status_code == 201, response.json


def test_requests_without_a_body_are_not_asked_for_a_media_type(world):
    rid = world.referral_in("draft")["id"]

    listed = world.client.get(REFERRALS, headers=world.headers("gp"))
    submitted = world.client.post(f"{REFERRALS}/{rid}/submit", content_type="text/plain",
                                  headers=world.headers("gp"))  # a media type, but no body: nothing to refuse

    assert listed.status_code == 200
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"


def test_the_sign_in_refuses_a_form_with_415_not_401(world):
    response = world.client.post("/api/v1/auth/token", data={"email": "x@example.org", "password": "x"})

    assert_415(response)


def test_every_operation_that_takes_a_body_refuses_a_form_with_the_415_it_documents(world):
    document = world.client.get("/api/v1/openapi.json").json
    taking_a_body = [(path, method, operation) for path, item in document["paths"].items()
                     for method, operation in item.items()
                     if isinstance(operation, dict) and "requestBody" in operation]
    assert len(taking_a_body) > 30

    for path, method, operation in taking_a_body:
        url = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        response = world.client.open(url, method=method.upper(), data={"note": "x"}, headers=world.headers("admin"))
        assert response.status_code == 415, (method, path, response.status_code)
        assert "415" in operation["responses"], (method, path)
