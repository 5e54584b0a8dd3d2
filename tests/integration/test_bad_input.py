"""Input that once ended in 500 is refused as it should be, on both databases: JSON nested too deep (422), text the
databases cannot hold (422, naming the field, never echoing it), malformed or non-UTF-8 bodies (400/422); nothing is
saved, and the web's forms say so in Norwegian."""

from __future__ import annotations

import json

from tests.integration.test_api_errors import assert_problem, refuse
from tests.integration.test_web_referral_form import Browser, parse, step_one

API = "/api/v1/referrals"
JSON = {"Content-Type": "application/json"}


def referral_count(world) -> int:
    return world.get("gp", API).json["total"]


def test_json_nested_100_000_deep_is_422_naming_the_limit_and_changes_nothing(world):
    problem = refuse(world, "gp", "post", API, 422, "_body", data=b"[" * 100_000 + b"]" * 100_000, headers=JSON)
    assert "32 levels" in problem["detail"]
    assert referral_count(world) == 0


def test_a_referral_with_a_field_nested_33_deep_is_422_and_changes_nothing(world):
    body = world.referral_body()
    body["description"] = json.loads("[" * 32 + "]" * 32)  # 33 levels with the referral's own object
    refuse(world, "gp", "post", API, 422, "_body", data=json.dumps(body), headers=JSON)
    assert referral_count(world) == 0


def test_a_draft_edit_nested_too_deep_leaves_the_draft_as_it_was(world):
    referral = world.create_referral()
    body = {"child": {"given_name": {"a": json.loads("[" * 40 + "]" * 40)}}}
    refuse(world, "gp", "patch", f"{API}/{referral['id']}", 422, "_body", data=json.dumps(body), headers=JSON)
    assert world.get("gp", f"{API}/{referral['id']}").json["child"]["given_name"] == "Ola"


def test_nesting_at_the_limit_is_judged_by_the_schema_not_refused_as_too_deep(world):
    body = world.referral_body()
    body["description"] = json.loads("[" * 31 + "]" * 31)  # 32 levels in all
    problem = assert_problem(world.post("gp", API, data=json.dumps(body), headers=JSON), 422, "description")
    assert "_body" not in problem["errors"]


def test_brackets_inside_text_are_not_nesting(world):
    body = world.referral_body(description="[{" * 500 + " Økende angst og skolefravær siden høsten, sover dårlig.")
    assert world.post("gp", API, json=body).status_code == 201


def test_a_lone_surrogate_in_a_name_is_422_naming_the_field_and_nothing_is_saved(world):
    body = world.referral_body()
    body["child"]["given_name"] = "Ola\ud800"
    data = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \ud800, as a client would send it
    assert "\\ud800" in data
    problem = refuse(world, "gp", "post", API, 422, "child.given_name", data=data, headers=JSON)
    assert "Ola" not in json.dumps(problem)
    assert referral_count(world) == 0


def test_a_lone_surrogate_in_a_guardians_name_of_a_draft_edit_is_422(world):
    referral = world.create_referral()
    child = {"given_name": "Kari", "family_name": "Testesen", "home_municipality": "4627",
             "guardians": [{"name": "Far \udc00 Testesen"}]}
    refuse(world, "gp", "patch", f"{API}/{referral['id']}", 422, "child.guardians.0.name",
           data=json.dumps({"child": child}), headers=JSON)
    assert world.get("gp", f"{API}/{referral['id']}").json["child"]["given_name"] == "Ola"


def test_a_lone_surrogate_in_a_key_is_422_naming_where_the_key_is(world):
    body = world.referral_body()
    body["child"]["\udfffsecret-key"] = "x"
    problem = refuse(world, "gp", "post", API, 422, "child", data=json.dumps(body), headers=JSON)
    assert "secret-key" not in json.dumps(problem)


def test_a_lone_surrogate_in_a_query_argument_cannot_reach_the_service(world):
    # A URL carries bytes: %ED%A0%80 is what a lone surrogate would be; it is read as replacement characters.
    response = world.get("gp", f"{API}?status=%ED%A0%80")
    assert response.status_code == 422


def test_a_nul_in_a_query_argument_is_422(world):
    assert_problem(world.get("bup", "/api/v1/handovers?status=open%00"), 422, "status.0")


def test_a_body_that_is_not_utf8_is_400_and_changes_nothing(world):
    refuse(world, "gp", "post", API, 400, data=b'{"child": {"given_name": "\xff\xfe Ola"}}', headers=JSON)


def test_malformed_json_stays_400(world):
    refuse(world, "gp", "post", API, 400, data=b'{"child": [[[', headers=JSON)


def test_the_web_form_tells_in_norwegian_that_text_cannot_be_stored_and_saves_nothing(app, world):
    browser = Browser(app, "nurse_bergen")
    data = step_one(world, **{"child.given_name": "OLA_MARKER"})
    data["csrf_token"] = browser.csrf_from("/henvisninger")
    # A lone surrogate as a browser or a script would encode it in a form (WTF-8 bytes): not UTF-8.
    raw = "&".join(f"{k}={v}" for k, v in data.items() if isinstance(v, str)).replace("OLA_MARKER", "Ola%ED%A0%80")
    response = browser.client.post("/henvisninger/ny", data=raw.encode(),
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    page = parse(response)
    assert "tegn som ikke kan lagres" in page.text and "Ingenting er lagret" in page.text
    assert world.get("nurse_bergen", API).json["total"] == 0


def test_the_web_form_refuses_a_nul_in_a_name_in_norwegian(app, world):
    browser = Browser(app, "nurse_bergen")
    response = browser.post("/henvisninger/ny", step_one(world, **{"child.given_name": "Ola\x00"}))
    assert response.status_code == 422
    assert "tegn som ikke kan lagres" in parse(response).text
    assert world.get("nurse_bergen", API).json["total"] == 0
