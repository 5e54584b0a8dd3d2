"""The home municipality is one the register holds: refused at draft and at submit when no municipality
has the number, mapped to today's municipality when it is from before a reform (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from referral_service.domain.referral import Referral
from tests.integration.test_api_errors import assert_problem, refuse
from tests.integration.test_web_referral_form import Browser, parse, step_one

MISTYPED = ["9999", "4672"]  # no municipality; Askøy is 4627


@pytest.mark.parametrize("number", MISTYPED)
def test_a_draft_with_a_number_no_municipality_has_is_refused_and_nothing_is_stored(world, number):
    body = world.referral_body(home_municipality=number)
    problem = refuse(world, "gp", "post", "/api/v1/referrals", 422, "child.home_municipality", json=body)
    assert problem["errors"]["child.home_municipality"] == ["No Norwegian municipality has this number."]


@pytest.mark.parametrize("number", MISTYPED)
def test_changing_a_draft_to_a_number_no_municipality_has_is_refused(world, number):
    rid = world.create_referral("gp")["id"]
    child = world.referral_body()["child"] | {"home_municipality": number}
    child.pop("national_id")
    refuse(world, "gp", "patch", f"/api/v1/referrals/{rid}", 422, "child.home_municipality", json={"child": child})
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["child"]["home_municipality"] == "4627"


@pytest.mark.parametrize("number", MISTYPED)
def test_submitting_a_draft_whose_municipality_is_not_in_the_register_is_refused(world, number):
    rid = world.create_referral("gp")["id"]
    engine = world.app.extensions["referral_db"].engine
    with engine.begin() as connection:  # a draft saved before the register was checked
        connection.execute(update(Referral).where(Referral.id == rid).values(child_home_municipality=number))
    problem = refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 422, "child.home_municipality")
    assert problem["errors"]["child.home_municipality"]
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["status"] == "draft"
    completeness = world.get("gp", f"/api/v1/referrals/{rid}/completeness").json
    assert {"field": "child.home_municipality", "code": "home_municipality_unknown"}.items() <= \
        next(item for item in completeness["missing"] if item["field"] == "child.home_municipality").items()


@pytest.mark.parametrize(("old", "today"), [("1247", "4627"), ("1201", "4601")])
def test_a_number_from_before_the_2020_reform_is_stored_as_todays_municipality(world, old, today):
    referral = world.create_referral("gp", home_municipality=old)
    assert referral["child"]["home_municipality"] == today


def test_a_number_split_between_municipalities_asks_for_todays(world):
    problem = assert_problem(world.post("gp", "/api/v1/referrals", json=world.referral_body(home_municipality="1507")),
                             422, "child.home_municipality")
    assert "split" in problem["errors"]["child.home_municipality"][0]


@pytest.mark.parametrize("number", MISTYPED)
def test_the_form_refuses_the_number_in_norwegian(app, world, number):
    browser = Browser(app, "nurse_bergen")
    response = browser.post("/henvisninger/ny", step_one(world, **{"child.home_municipality": number}))
    assert response.status_code == 422
    page = parse(response)
    assert page.by_id("felt-child-home-municipality-feil").text == (
        "Finner ingen kommune med dette nummeret. Velg kommunen barnet bor i fra listen.")


def test_the_form_offers_every_municipality_in_a_list(app, world):
    browser = Browser(app, "nurse_bergen")
    page = parse(browser.client.get("/henvisninger/ny"))
    field = page.by_id("felt-child-home-municipality")
    assert field.tag == "select"
    options = {o.attrs["value"]: o.text for o in field.find_all("option") if o.attrs.get("value")}
    assert len(options) == 357
    assert options["4627"] == "Askøy (4627)" and options["4601"] == "Bergen (4601)"


@pytest.mark.parametrize("number", MISTYPED)
def test_an_organisation_in_a_municipality_the_register_does_not_hold_is_refused(world, number):
    refuse(world, "admin", "post", "/api/v1/organisations", 422, "municipality_number",
           json={"kind": "municipality", "name": "Feilskrevet kommune", "municipality_number": number})
