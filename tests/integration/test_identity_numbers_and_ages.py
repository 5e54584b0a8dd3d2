"""The child's identity number and age through the API and the form: numbers issued from 2032, FH-numbers with
their registered birth date, and the service's ages (0 to 25) on the day it acts."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from referral_service.domain.national_id import NationalIdKind, make_fh_number, make_national_id
from tests.integration.test_api_errors import assert_problem, refuse
from tests.integration.test_api_referrals import signed_in
from tests.integration.test_web_referral_form import Browser, parse, step_one

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 2, 10, tzinfo=OSLO)


def number(born: date, *, remainder: int = 0, individuals: range = range(1000),
           kind: NationalIdKind = NationalIdKind.FODSELSNUMMER) -> str:
    """The first identity number for `born` from these individual numbers (remainder 1-3: the 2032 rule)."""
    for individual in individuals:
        try:
            return make_national_id(born, individual=individual, remainder=remainder, kind=kind)
        except ValueError:
            continue
    raise AssertionError("no number")


def body(world, **child: Any) -> dict[str, Any]:
    referral = world.referral_body()
    referral["child"].update(child)
    return referral


def create(world, headers: dict[str, str], **child: Any):
    return world.client.post("/api/v1/referrals", json=body(world, **child), headers=headers)


@pytest.fixture
def gp(world, clock) -> dict[str, str]:
    clock.set(NOW)
    return signed_in(world, "gp")


# ---- numbers issued from 2032 ---------------------------------------------------------------------------

@pytest.mark.parametrize("remainder", [1, 2, 3])
def test_a_2032_rule_number_with_remainder_1_2_or_3_is_accepted_with_the_registered_birth_date(
        world, gp, remainder):
    national_id = number(date(2014, 3, 9), remainder=remainder)
    response = create(world, gp, national_id=national_id, birth_date="2014-03-09")
    assert response.status_code == 201, response.json
    assert response.json["child"]["birth_date"] == "2014-03-09"
    assert response.json["child"]["national_id_masked"] == "09.03.14 *****"
    submitted = world.client.post(f"/api/v1/referrals/{response.json['id']}/submit", headers=gp)
    assert submitted.status_code == 200, submitted.json


def test_without_the_registered_birth_date_a_2032_rule_number_is_refused(world, gp):
    national_id = number(date(2014, 3, 9), remainder=2)
    problem = refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
                     json=body(world, national_id=national_id), headers=gp)
    assert "birth date" in problem["errors"]["child.birth_date"][0]
    assert national_id not in str(problem)


def test_the_registered_birth_date_gives_the_century_the_individual_number_no_longer_tells(world, gp):
    # Individual number 0-499 with the year 12 reads as 1912 by the rule before 2032: 114 years old.
    national_id = number(date(1912, 6, 1), individuals=range(0, 500))
    refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
           json=body(world, national_id=national_id), headers=gp)
    response = create(world, gp, national_id=national_id, birth_date="2012-06-01")
    assert response.status_code == 201, response.json
    assert response.json["child"]["birth_date"] == "2012-06-01"


def test_a_birth_date_that_disagrees_with_the_number_is_a_clear_conflict(world, gp):
    national_id = number(date(2012, 5, 10), individuals=range(500, 1000))
    problem = refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
                     json=body(world, national_id=national_id, birth_date="2012-05-11"), headers=gp)
    assert problem["errors"]["child.birth_date"] == [
        "The birth date given does not agree with the birth date in the identity number."]
    assert national_id not in str(problem)


def test_a_child_already_registered_keeps_the_birth_date_it_was_registered_with(world, gp):
    national_id = number(date(1912, 6, 1), individuals=range(0, 500))
    assert create(world, gp, national_id=national_id, birth_date="2012-06-01").status_code == 201
    # The digits agree with 1912 too, but the child is registered as born in 2012.
    refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
           json=body(world, national_id=national_id, birth_date="1912-06-01"), headers=gp)
    again = create(world, gp, national_id=national_id)
    assert again.status_code == 201, again.json
    assert again.json["child"]["birth_date"] == "2012-06-01"


def test_a_draft_edited_without_its_number_keeps_the_registered_birth_date(world, gp):
    created = create(world, gp, national_id=number(date(2012, 5, 10), individuals=range(500, 1000)))
    rid, etag = created.json["id"], created.headers["ETag"]
    child = {**body(world)["child"], "birth_date": "2012-05-11"}
    del child["national_id"]
    refused = world.client.patch(f"/api/v1/referrals/{rid}", json={"child": child},
                                 headers={**gp, "If-Match": etag})
    assert_problem(refused, 422, "child.birth_date")
    kept = world.client.patch(f"/api/v1/referrals/{rid}", json={"child": {**child, "birth_date": "2012-05-10"}},
                              headers={**gp, "If-Match": etag})
    assert kept.status_code == 200, kept.json


# ---- FH-numbers -----------------------------------------------------------------------------------------

def test_a_child_with_only_an_fh_number_is_referred_with_the_birth_date_given(world, gp):
    fh_number = make_fh_number(seed=11)
    response = create(world, gp, national_id=fh_number, birth_date="2019-08-30")
    assert response.status_code == 201, response.json
    assert response.json["child"]["birth_date"] == "2019-08-30"
    assert fh_number not in response.get_data(as_text=True)
    events = world.client.get(f"/api/v1/referrals/{response.json['id']}/events", headers=gp).json["items"]
    assert [e["data"] for e in events if e["action"] == "create"] == [{"child_id_kind": "fh_number"}]
    submitted = world.client.post(f"/api/v1/referrals/{response.json['id']}/submit", headers=gp)
    assert submitted.status_code == 200, submitted.json


def test_an_fh_number_without_a_birth_date_is_refused(world, gp):
    fh_number = make_fh_number(seed=12)
    problem = refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
                     json=body(world, national_id=fh_number), headers=gp)
    assert fh_number not in str(problem)


# ---- the service's ages ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("national_id", "birth_date"), [
    pytest.param(lambda: number(date(2000, 12, 1), individuals=range(500, 1000)), None, id="26 years old"),
    pytest.param(lambda: number(date(1901, 12, 2), individuals=range(0, 500)), None, id="125 years old"),
    pytest.param(lambda: make_fh_number(seed=13), "2026-12-03", id="born tomorrow"),
    pytest.param(lambda: number(date(2026, 12, 3), remainder=1), "2026-12-03", id="2032 rule, born tomorrow"),
])
def test_ages_over_25_and_births_in_the_future_are_refused_at_creation(world, gp, national_id, birth_date):
    child: dict[str, Any] = {"national_id": national_id()}
    if birth_date:
        child["birth_date"] = birth_date
    problem = refuse(world, None, "post", "/api/v1/referrals", 422, "child.birth_date",
                     json=body(world, **child), headers=gp)
    assert child["national_id"] not in str(problem)


def test_a_newborn_and_a_25_year_old_are_within_the_service(world, gp):
    for born in (date(2026, 12, 2), date(2000, 12, 3)):
        response = create(world, gp, national_id=number(born, individuals=range(500, 1000)))
        assert response.status_code == 201, (born, response.json)


def test_a_draft_made_at_25_is_not_sent_once_the_child_is_26(world, clock, gp):
    born = date(2000, 12, 3)  # 25 today, 26 tomorrow
    consent = {"given_by": ["child"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"}
    created = world.client.post("/api/v1/referrals", json={
        **body(world, national_id=number(born, individuals=range(500, 1000))), "consent": consent}, headers=gp)
    assert created.status_code == 201, created.json
    clock.set(datetime(2026, 12, 3, 9, tzinfo=OSLO))
    headers = signed_in(world, "gp")
    refused = world.client.post(f"/api/v1/referrals/{created.json['id']}/submit", headers=headers)
    problem = assert_problem(refused, 422, "child.birth_date")
    assert "25 years" in problem["errors"]["child.birth_date"][0]
    assert world.client.get(f"/api/v1/referrals/{created.json['id']}", headers=headers).json["status"] == "draft"


# ---- the form, in Norwegian ---------------------------------------------------------------------------

def test_the_form_takes_an_fh_number_with_the_birth_date(app, world):
    browser = Browser(app, "nurse_bergen")
    response = browser.post("/henvisninger/ny", step_one(
        world, **{"child.national_id": make_fh_number(seed=14), "child.birth_date": "30.08.2019"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    rid = re.fullmatch(r"/henvisninger/([^/]+)/steg/2", response.headers["Location"]).group(1)
    assert world.get("nurse_bergen", f"/api/v1/referrals/{rid}").json["child"]["birth_date"] == "2019-08-30"


@pytest.mark.parametrize(("fields", "words"), [
    ({"child.national_id": make_fh_number(seed=15)},
     "Nummeret viser ikke fødselsdatoen. Skriv barnets fødselsdato slik den er registrert."),
    ({"child.national_id": number(date(2012, 5, 10), individuals=range(500, 1000)),
      "child.birth_date": "11.05.2012"}, "Fødselsdatoen stemmer ikke med fødselsdatoen i nummeret."),
    ({"child.national_id": number(date(1985, 5, 17), individuals=range(0, 500))},
     "Tjenesten gjelder barn og unge fra 0 til og med 25 år. Sjekk fødselsdatoen."),
    ({"child.national_id": make_fh_number(seed=16), "child.birth_date": "01.01.2999"},
     "Fødselsdatoen er fram i tid."),
])
def test_the_form_says_in_norwegian_beside_the_birth_date_why_it_is_refused(app, world, fields, words):
    browser = Browser(app, "nurse_bergen")
    response = browser.post("/henvisninger/ny", step_one(world, **fields))
    assert response.status_code == 422
    page = parse(response)
    assert page.by_id("felt-child-birth-date-feil").text == words
    assert page.by_id("felt-child-birth-date").attrs["aria-invalid"] == "true"
    assert world.get("nurse_bergen", "/api/v1/referrals").json["total"] == 0
