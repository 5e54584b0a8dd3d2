"""Every date a person enters has a sane range (workflows/date_ranges.py): the API refuses one outside it with 422
naming the field, the web says why in Norwegian, and the dates at the edges of each range are still taken."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral_service.bootstrap import dependencies
from tests.integration.test_api_errors import assert_problem, refuse
from tests.integration.test_web_decisions import WebUser
from tests.integration.test_web_referral_form import LATER_STEPS, Browser, parse, start_draft

API = "/api/v1/referrals"


@pytest.fixture
def today(app) -> date:
    return dependencies(app).clock.today()


@pytest.fixture
def horizon(app, today) -> date:
    return today + timedelta(days=dependencies(app).config.DATE_HORIZON_DAYS)


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years) if (day.month, day.day) != (2, 29) else date(day.year - years, 3, 1)


def status_of(world, rid: str) -> str:
    return world.get("gp", f"{API}/{rid}").json["status"]


# --- deadlines ----------------------------------------------------------------------------------------------

def test_a_start_of_care_deadline_of_9999_12_31_is_422_and_the_referral_stays_submitted(world):
    rid = world.referral_in("submitted")["id"]
    refuse(world, "bup", "post", f"{API}/{rid}/accept", 422, "care_start_due", json={"care_start_due": "9999-12-31"})
    assert status_of(world, rid) == "submitted"


def test_a_deadline_at_the_horizon_is_accepted(world, horizon):
    rid = world.referral_in("submitted")["id"]
    accepted = world.act("bup", rid, "accept", {"care_start_due": horizon.isoformat()})
    assert accepted["care_start_due"] == horizon.isoformat()


def test_a_deadline_a_day_beyond_the_horizon_is_422(world, horizon):
    rid = world.referral_in("submitted")["id"]
    problem = refuse(world, "bup", "post", f"{API}/{rid}/accept", 422, "care_start_due",
                     json={"care_start_due": (horizon + timedelta(days=1)).isoformat()})
    assert horizon.isoformat() in problem["errors"]["care_start_due"][0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_planned_discharge_far_off_is_422(world, day):
    rid = world.referral_in("in_treatment")["id"]
    refuse(world, "bup", "post", f"{API}/{rid}/plan-discharge", 422, "planned_discharge_on",
           json={"planned_discharge_on": day})


# --- consent ------------------------------------------------------------------------------------------------

def test_a_consent_recorded_tomorrow_is_422_and_nothing_is_saved(world, today):
    body = world.referral_body()
    body["consent"]["recorded_on"] = (today + timedelta(days=1)).isoformat()
    refuse(world, "gp", "post", API, 422, "consent.recorded_on", json=body)
    assert world.get("gp", API).json["total"] == 0


def test_a_consent_recorded_on_0001_01_01_is_422(world):
    body = world.referral_body()
    body["consent"]["recorded_on"] = "0001-01-01"
    refuse(world, "gp", "post", API, 422, "consent.recorded_on", json=body)


def test_a_consent_recorded_today_is_accepted(world, today):
    body = world.referral_body()
    body["consent"]["recorded_on"] = today.isoformat()
    response = world.post("gp", API, json=body)
    assert response.status_code == 201, response.json
    assert response.json["consent"]["recorded_on"] == today.isoformat()


def test_a_changed_consent_in_the_future_is_422(world, today):
    rid = world.create_referral()["id"]
    consent = {"given_by": ["guardian"], "share_with": ["bup"], "recorded_on": (today + timedelta(days=3)).isoformat()}
    refuse(world, "gp", "post", f"{API}/{rid}/consent", 422, "recorded_on", json=consent)


# --- birth dates --------------------------------------------------------------------------------------------

def test_a_birth_date_26_years_ago_is_422(world, today):
    born = years_before(today, 26)
    body = world.referral_body(birth_date=born)
    body["child"]["birth_date"] = born.isoformat()
    refuse(world, "gp", "post", API, 422, "child.birth_date", json=body)


def test_a_birth_date_26_years_ago_told_only_by_the_number_is_422(world, today):
    refuse(world, "gp", "post", API, 422, "child.birth_date",
           json=world.referral_body(birth_date=years_before(today, 26)))


def test_a_birth_date_25_years_ago_is_accepted(world, today):
    born = years_before(today, 25) + timedelta(days=1)
    body = world.referral_body(birth_date=born)
    body["child"]["birth_date"] = born.isoformat()
    body["consent"] = {"given_by": ["child"], "share_with": ["bup", "municipality"],
                       "recorded_on": today.isoformat()}
    assert world.post("gp", API, json=body).status_code == 201


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_absurd_birth_date_is_422(world, day):
    body = world.referral_body()
    body["child"]["birth_date"] = day
    refuse(world, "gp", "post", API, 422, "child.birth_date", json=body)


# --- the web says it in Norwegian ---------------------------------------------------------------------------

def test_the_web_says_in_norwegian_that_a_deadline_is_too_far_ahead(app, world):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")
    page = bup.submit("/gi-rett", {"care_start_due": "31.12.9999"}, expect=422)
    assert page.by_id["felt-care-start-due-feil"] == "Datoen er for langt fram i tid. Sjekk årstallet."
    assert status_of(world, referral["id"]) == "submitted"


def test_the_web_says_in_norwegian_that_a_consent_cannot_be_recorded_ahead(app, world, today):
    browser = Browser(app, "nurse_bergen")
    rid = start_draft(browser, world)
    for step in (2, 3):
        browser.post(f"/henvisninger/{rid}/steg/{step}", {**LATER_STEPS[step], "handling": "neste"})
    tomorrow = today + timedelta(days=1)
    response = browser.post(f"/henvisninger/{rid}/steg/4", {**LATER_STEPS[4], "handling": "neste",
                                                          "consent.recorded_on": f"{tomorrow:%d.%m.%Y}"})
    assert response.status_code == 422
    page = parse(response)
    assert page.by_id("felt-consent-recorded-on-feil").text == "Datoen kan ikke være fram i tid."
    consent = world.get("nurse_bergen", f"{API}/{rid}").json["consent"]
    assert consent is None or consent["recorded_on"] is None  # the draft keeps the valid part, never the date


def test_an_api_error_for_a_date_names_the_field_in_english(world, today):
    body = world.referral_body()
    body["consent"]["recorded_on"] = (today + timedelta(days=1)).isoformat()
    problem = assert_problem(world.post("gp", API, json=body), 422, "consent.recorded_on")
    assert problem["errors"]["consent.recorded_on"] == ["The date is in the future; give the day it happened."]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_access_logs_search_by_an_absurd_day_is_told_in_norwegian_not_a_500(app, world, day):
    auditor = WebUser(app, "auditor")
    page = auditor.get(f"/revisjon?fra={day}&til={day}")
    assert "Fra og med: skriv datoen som åååå-mm-dd" in page.text()
    assert "Til og med: skriv datoen som åååå-mm-dd" in page.text()
