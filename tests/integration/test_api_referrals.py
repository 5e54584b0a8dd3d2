"""Referrals through the API: identity numbers, idempotency, ETags, lists, co-referring, completeness,
consent and statutory deadlines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from referral_service.demo import DEMO_PASSWORD
from tests.integration.test_api_errors import (
    assert_problem,
    capture_everything_logged,
    db_counts,
    etag_of,
    refuse,
)
from tests.support.clock import norway_today
from tests.support.world import USERS

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def everything_logged(caplog, capfd, monkeypatch) -> Callable[[], str]:
    return capture_everything_logged(caplog, capfd, monkeypatch)


def born_aged(years: int) -> date:
    """A birth date that makes the child exactly `years` old today (the first of this month)."""
    today = norway_today()
    return date(today.year - years, today.month, 1)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


# --- the identity number ----------------------------------------------------------------------------------

def test_a_created_referral_shows_the_identity_number_only_masked(world):
    body = world.referral_body(birth_date=date(2012, 5, 10))
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201
    assert response.json["child"]["national_id_masked"] == "10.05.12 *****"
    assert "national_id" not in response.json["child"]
    assert body["child"]["national_id"] not in response.get_data(as_text=True)


def test_a_read_referral_never_contains_the_identity_number(world):
    body = world.referral_body()
    rid = world.post("gp", "/api/v1/referrals", json=body).json["id"]
    number = body["child"]["national_id"]
    for path in (f"/api/v1/referrals/{rid}", f"/api/v1/referrals/{rid}/events", "/api/v1/referrals"):
        assert number not in world.get("gp", path).get_data(as_text=True), path


def test_creating_a_referral_logs_no_identity_number(world, everything_logged):
    body = world.referral_body()
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201
    world.act("gp", response.json["id"], "submit")
    assert body["child"]["national_id"] not in everything_logged()


# --- Idempotency-Key --------------------------------------------------------------------------------------

def test_a_retry_with_the_same_idempotency_key_returns_the_first_referral(world):
    body = world.referral_body()
    first = world.post("gp", "/api/v1/referrals", json=body, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201
    after_first = db_counts(world)
    retry = world.post("gp", "/api/v1/referrals", json=body, headers={"Idempotency-Key": "retry-1"})
    assert retry.status_code == first.status_code
    assert retry.json["id"] == first.json["id"]
    assert db_counts(world)["referral"] == after_first["referral"] == 1
    assert db_counts(world)["referral_event"] == after_first["referral_event"]


def test_the_same_idempotency_key_with_another_body_is_422(world):
    body = world.referral_body()
    assert world.post("gp", "/api/v1/referrals", json=body, headers={"Idempotency-Key": "key-2"}).status_code == 201
    changed = {**body, "urgency": "urgent"}
    refuse(world, "gp", "post", "/api/v1/referrals", 422, json=changed, headers={"Idempotency-Key": "key-2"})
    assert db_counts(world)["referral"] == 1


def test_different_users_may_use_the_same_idempotency_key(world):
    gp = world.post("gp", "/api/v1/referrals", json=world.referral_body(), headers={"Idempotency-Key": "shared"})
    nurse = world.post("nurse_bergen", "/api/v1/referrals", json=world.referral_body(home_municipality="4601"),
                       headers={"Idempotency-Key": "shared"})
    assert gp.status_code == nurse.status_code == 201
    assert gp.json["id"] != nurse.json["id"]
    assert db_counts(world)["referral"] == 2


def test_two_long_idempotency_keys_are_never_taken_for_one_another(world):
    body = world.referral_body()
    prefix = "k" * 1000
    first = world.post("gp", "/api/v1/referrals", json=body, headers={"Idempotency-Key": prefix + "-first"})
    second = world.post("gp", "/api/v1/referrals", json=body, headers={"Idempotency-Key": prefix + "-second"})
    if first.status_code == 422:  # refusing keys longer than the service keeps is fine too
        assert_problem(first, 422, "Idempotency-Key")
    else:
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.json["id"] != first.json["id"], "a different key replayed another request's referral"


def test_without_an_idempotency_key_every_post_creates_a_referral(world):
    body = world.referral_body()
    first = world.post("gp", "/api/v1/referrals", json=body)
    second = world.post("gp", "/api/v1/referrals", json=body)
    assert first.json["id"] != second.json["id"]
    assert db_counts(world)["referral"] == 2


# --- ETag and If-Match ------------------------------------------------------------------------------------

def test_a_referral_carries_an_etag(world):
    created = world.post("gp", "/api/v1/referrals", json=world.referral_body())
    assert created.headers.get("ETag")
    assert world.get("gp", f"/api/v1/referrals/{created.json['id']}").headers["ETag"] == created.headers["ETag"]


def test_an_action_answers_with_the_new_etag(world):
    rid = world.create_referral("gp")["id"]
    before = etag_of(world, "gp", rid)
    response = world.post("gp", f"/api/v1/referrals/{rid}/submit")
    assert response.status_code == 200
    assert response.headers["ETag"] != before
    assert response.headers["ETag"] == etag_of(world, "gp", rid)


def test_an_action_with_a_matching_if_match_succeeds(world):
    rid = world.create_referral("gp")["id"]
    referral = world.act("gp", rid, "submit", headers={"If-Match": etag_of(world, "gp", rid)})
    assert referral["status"] == "submitted"


def test_an_action_with_if_match_star_succeeds(world):
    rid = world.referral_in("submitted")["id"]
    referral = world.act("bup", rid, "request-information", {"questions": "Hvor lenge?"}, headers={"If-Match": "*"})
    assert referral["status"] == "information_requested"


def test_inviting_a_co_referrer_changes_the_etag(world):
    rid = world.create_referral("nurse_askoy")["id"]
    before = etag_of(world, "nurse_askoy", rid)
    invited = world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers",
                         json={"organisation_id": world.orgs["gp"].id})
    assert invited.status_code == 200
    assert invited.json["co_referrers"] and invited.headers["ETag"] != before


def test_inviting_a_co_referrer_with_a_stale_if_match_is_412(world):
    rid = world.create_referral("nurse_askoy")["id"]
    stale = etag_of(world, "nurse_askoy", rid)
    assert world.patch("nurse_askoy", f"/api/v1/referrals/{rid}", json={"urgency": "urgent"}).status_code == 200
    refuse(world, "nurse_askoy", "post", f"/api/v1/referrals/{rid}/co-referrers", 412,
           json={"organisation_id": world.orgs["gp"].id}, headers={"If-Match": stale})
    assert rid not in ids(world.get("gp", "/api/v1/referrals"))


def test_an_edit_with_a_matching_if_match_succeeds_and_changes_the_etag(world):
    rid = world.create_referral("gp")["id"]
    etag = etag_of(world, "gp", rid)
    response = world.patch("gp", f"/api/v1/referrals/{rid}", json={"urgency": "urgent"}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.json["urgency"] == "urgent"
    assert response.headers["ETag"] != etag


# --- lists ------------------------------------------------------------------------------------------------

def test_a_list_is_paginated(world):
    created = {world.create_referral("gp")["id"] for _ in range(3)}
    first = world.get("gp", "/api/v1/referrals?page=1&per_page=2").json
    second = world.get("gp", "/api/v1/referrals?page=2&per_page=2").json
    assert set(first) == {"items", "total", "page", "per_page"}
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    assert (second["total"], second["page"], second["per_page"], len(second["items"])) == (3, 2, 2, 1)
    assert {r["id"] for r in first["items"] + second["items"]} == created


def test_a_list_defaults_to_fifty_per_page(world):
    listing = world.get("gp", "/api/v1/referrals").json
    assert (listing["page"], listing["per_page"], listing["total"], listing["items"]) == (1, 50, 0, [])


def test_more_than_two_hundred_per_page_is_422(world):
    assert world.get("gp", "/api/v1/referrals?per_page=200").status_code == 200
    refuse(world, "gp", "get", "/api/v1/referrals?per_page=201", 422, "per_page")


def test_a_list_filters_by_status(world):
    draft = world.create_referral("gp")["id"]
    submitted = world.referral_in("submitted")["id"]
    assert ids(world.get("gp", "/api/v1/referrals?status=draft")) == {draft}
    assert ids(world.get("gp", "/api/v1/referrals?status=submitted")) == {submitted}


def test_a_page_that_is_not_a_number_is_422(world):
    refuse(world, "gp", "get", "/api/v1/referrals?page=first", 422, "page")


def test_an_unknown_status_filter_is_422(world):
    refuse(world, "gp", "get", "/api/v1/referrals?status=lost", 422, "status")


def test_another_clinic_lists_none_of_this_clinics_referrals(world):
    world.referral_in("submitted")
    world.referral_in("accepted")
    assert world.get("bup", "/api/v1/referrals").json["total"] == 2
    listing = world.get("bup2", "/api/v1/referrals").json
    assert (listing["total"], listing["items"]) == (0, [])


def test_a_draft_is_not_in_the_clinics_list(world):
    draft = world.create_referral("gp")["id"]
    submitted = world.referral_in("submitted")["id"]
    assert ids(world.get("bup", "/api/v1/referrals")) == {submitted}
    assert draft in ids(world.get("gp", "/api/v1/referrals"))


def test_a_draft_withdrawn_before_it_was_sent_never_reaches_the_clinic_it_named(world):
    draft = world.create_referral("gp")["id"]
    world.act("gp", draft, "withdraw", {"reason": "Familien ombestemte seg."})
    submitted = world.referral_in("submitted")["id"]
    assert ids(world.get("bup", "/api/v1/referrals")) == {submitted}
    assert world.get("bup", f"/api/v1/referrals/{draft}").status_code == 404
    assert draft in ids(world.get("gp", "/api/v1/referrals"))


def test_another_referring_organisation_lists_none_of_these_referrals(world):
    world.referral_in("submitted")
    assert world.get("ppt", "/api/v1/referrals").json["total"] == 0


def test_a_co_referrer_organisation_sees_the_referral_once_invited(world):
    rid = world.create_referral("nurse_askoy")["id"]
    assert rid not in ids(world.get("gp", "/api/v1/referrals"))
    response = world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers",
                          json={"organisation_id": world.orgs["gp"].id})
    assert response.status_code == 200
    assert rid in ids(world.get("gp", "/api/v1/referrals"))
    assert world.get("gp", f"/api/v1/referrals/{rid}").status_code == 200
    assert rid not in ids(world.get("ppt", "/api/v1/referrals"))


# --- co-referring (medhenviser) ---------------------------------------------------------------------------

def test_a_school_nurse_without_referral_right_gets_a_gp_to_co_refer_and_submit(world):
    created = world.post("nurse_askoy", "/api/v1/referrals", json=world.referral_body())
    assert created.status_code == 201
    rid = created.json["id"]
    assert_problem(world.post("nurse_askoy", f"/api/v1/referrals/{rid}/submit"), 403)
    invited = world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers",
                         json={"organisation_id": world.orgs["gp"].id})
    assert invited.status_code == 200
    assert [c["organisation_id"] for c in invited.json["co_referrers"]] == [world.orgs["gp"].id]
    submitted = world.act("gp", rid, "submit")
    assert submitted["status"] == "submitted"
    assert submitted["submitted_by_user_id"] == world.users["gp"].id
    assert submitted["referrer_user_id"] == world.users["nurse_askoy"].id


def test_a_school_nurse_with_referral_right_submits_alone(world):
    referral = world.create_referral("nurse_bergen", home_municipality="4601")
    assert world.act("nurse_bergen", referral["id"], "submit")["status"] == "submitted"


def test_a_bup_clinic_cannot_be_invited_as_co_referrer(world):
    rid = world.create_referral("gp")["id"]
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/co-referrers", 422, "organisation_id",
           json={"organisation_id": world.orgs["bup2"].id})


# --- completeness and consent -----------------------------------------------------------------------------

def missing_fields(world, who: str, rid: str) -> list[str]:
    response = world.get(who, f"/api/v1/referrals/{rid}/completeness")
    assert response.status_code == 200
    assert response.json["complete"] is (not response.json["missing"])
    return [item["field"] for item in response.json["missing"]]


def test_a_complete_draft_has_nothing_missing(world):
    rid = world.create_referral("gp")["id"]
    assert world.get("gp", f"/api/v1/referrals/{rid}/completeness").json == {
        "complete": True, "may_submit": True, "missing": []}


def test_completeness_names_what_a_draft_lacks(world):
    rid = world.create_referral("gp", measures_tried="", child_view="")["id"]
    missing = world.get("gp", f"/api/v1/referrals/{rid}/completeness").json
    assert missing["complete"] is False
    assert {"measures_tried", "child_view"} <= {item["field"] for item in missing["missing"]}
    assert all(item["message"] for item in missing["missing"])


def test_submitting_a_draft_without_what_the_law_needs_is_422_naming_what_is_missing(world):
    rid = world.create_referral("gp", reasons=[], consent={"given_by": [], "share_with": []})["id"]
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 422, "reasons", "consent")
    referral = world.get("gp", f"/api/v1/referrals/{rid}").json
    assert (referral["status"], referral["received_on"], referral["assessment_due"]) == ("draft", None, None)


def test_what_bup_would_only_miss_is_a_warning_and_the_referral_is_sent_with_it(world):
    rid = world.create_referral("gp", measures_tried="", child_view="")["id"]
    completeness = world.get("gp", f"/api/v1/referrals/{rid}/completeness").json
    assert (completeness["complete"], completeness["may_submit"]) == (False, True)
    assert {(m["field"], m["blocking"]) for m in completeness["missing"]} == {
        ("measures_tried", False), ("child_view", False)}
    sent = world.act("gp", rid, "submit")
    assert sent["status"] == "submitted" and sent["assessment_due"]
    [submit] = [e for e in world.get("bup", f"/api/v1/referrals/{rid}/events").json["items"] if e["action"] == "submit"]
    assert {gap["code"] for gap in submit["data"]["gaps"]} == {"measures_tried_missing", "child_view_missing"}


def test_a_seventeen_year_old_must_consent_themselves(world):
    rid = world.create_referral("gp", birth_date=born_aged(17))["id"]
    assert "consent" in missing_fields(world, "gp", rid)
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 422, "consent")
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["status"] == "draft"


def test_a_seventeen_year_olds_own_consent_is_enough(world):
    consent = {"given_by": ["child"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"}
    rid = world.create_referral("gp", birth_date=born_aged(17), consent=consent)["id"]
    assert world.act("gp", rid, "submit")["status"] == "submitted"


def test_a_child_under_sixteen_cannot_consent_alone(world):
    consent = {"given_by": ["child"], "share_with": ["bup"], "recorded_on": "2026-11-02"}
    rid = world.create_referral("gp", birth_date=born_aged(14), consent=consent)["id"]
    refuse(world, "gp", "post", f"/api/v1/referrals/{rid}/submit", 422, "consent")


def test_a_draft_completed_by_an_edit_can_be_submitted(world):
    rid = world.create_referral("gp", measures_tried="", child_view="")["id"]
    edited = world.patch("gp", f"/api/v1/referrals/{rid}",
                         json={"measures_tried": "Samtaler i åtte uker.", "child_view": "Vil ha hjelp."})
    assert edited.status_code == 200
    assert missing_fields(world, "gp", rid) == []
    assert world.act("gp", rid, "submit")["status"] == "submitted"


# --- statutory deadlines (10 Norwegian working days) ------------------------------------------------------

def signed_in(world, who: str) -> dict[str, str]:
    """A token issued at the clock's current time; the World's cached tokens may have expired by then."""
    response = world.client.post("/api/v1/auth/token", json={"email": USERS[who], "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def submit_at(world, clock, moment: datetime, **overrides: Any) -> dict[str, Any]:
    """A referral created and submitted by the GP at `moment` (the service's clock set there)."""
    clock.set(moment)
    headers = signed_in(world, "gp")
    created = world.client.post("/api/v1/referrals", json=world.referral_body(**overrides), headers=headers)
    assert created.status_code == 201, created.json
    submitted = world.client.post(f"/api/v1/referrals/{created.json['id']}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.json
    return submitted.json


def test_received_before_easter_the_assessment_is_due_after_the_easter_holidays(world, clock):
    # Tue 31 Mar 2026; Maundy Thursday 2 Apr, Good Friday 3 Apr and Easter Monday 6 Apr are holidays.
    referral = submit_at(world, clock, datetime(2026, 3, 31, 9, tzinfo=OSLO))
    assert (referral["received_on"], referral["assessment_due"]) == ("2026-03-31", "2026-04-17")


def test_ascension_day_and_whit_monday_are_not_working_days(world, clock):
    # Tue 12 May 2026: 13, 15, 18, 19, 20, 21, 22, 26, 27, 28 May (14 May Ascension, 25 May Whit Monday).
    referral = submit_at(world, clock, datetime(2026, 5, 12, 9, tzinfo=OSLO))
    assert (referral["received_on"], referral["assessment_due"]) == ("2026-05-12", "2026-05-28")


def test_christmas_and_new_year_are_not_working_days(world, clock):
    # Fri 18 Dec 2026: 21, 22, 23, 24, 28, 29, 30, 31 Dec, 4 and 5 Jan (25-26 Dec and 1 Jan are holidays).
    referral = submit_at(world, clock, datetime(2026, 12, 18, 9, tzinfo=OSLO))
    assert (referral["received_on"], referral["assessment_due"]) == ("2026-12-18", "2027-01-05")


def test_the_day_of_receipt_is_the_date_in_norway(world, clock):
    # 22:30 UTC on 31 Mar is 00:30 on Wed 1 Apr in Oslo; due after Easter: 1, 7-10, 13-17, 20 Apr.
    referral = submit_at(world, clock, datetime(2026, 3, 31, 22, 30, tzinfo=ZoneInfo("UTC")))
    assert (referral["received_on"], referral["assessment_due"]) == ("2026-04-01", "2026-04-20")


def test_the_submit_event_records_the_deadline(world, clock):
    referral = submit_at(world, clock, datetime(2026, 3, 31, 9, tzinfo=OSLO))
    events = world.client.get(f"/api/v1/referrals/{referral['id']}/events", headers=signed_in(world, "gp")).json
    submit = next(e for e in events["items"] if e["action"] == "submit")
    assert submit["data"] == {"received_on": "2026-03-31", "assessment_due": "2026-04-17"}


def test_overdue_lists_a_referral_whose_assessment_deadline_has_passed(world, clock):
    late = submit_at(world, clock, datetime(2026, 3, 2, 9, tzinfo=OSLO))  # due Mon 16 Mar
    on_time = submit_at(world, clock, datetime(2026, 3, 30, 9, tzinfo=OSLO))  # due Thu 16 Apr
    assert late["assessment_due"] == "2026-03-16"
    clock.set(datetime(2026, 3, 31, 9, tzinfo=OSLO))
    bup = signed_in(world, "bup")
    assert ids(world.client.get("/api/v1/referrals?overdue=true", headers=bup)) == {late["id"]}
    assert ids(world.client.get("/api/v1/referrals", headers=bup)) == {late["id"], on_time["id"]}


def test_a_referral_due_today_is_not_yet_overdue(world, clock):
    referral = submit_at(world, clock, datetime(2026, 3, 2, 9, tzinfo=OSLO))
    clock.set(datetime(2026, 3, 16, 15, tzinfo=OSLO))
    bup = signed_in(world, "bup")
    assert ids(world.client.get("/api/v1/referrals?overdue=true", headers=bup)) == set()
    clock.set(datetime(2026, 3, 17, 8, tzinfo=OSLO))
    bup = signed_in(world, "bup")
    assert ids(world.client.get("/api/v1/referrals?overdue=true", headers=bup)) == {referral["id"]}


def test_a_birth_date_after_the_services_today_is_422(world, clock):
    clock.set(datetime(2011, 1, 3, 9, tzinfo=OSLO))
    body = world.referral_body(birth_date=date(2012, 5, 10))
    response = world.client.post("/api/v1/referrals", json=body, headers=signed_in(world, "gp"))
    assert_problem(response, 422, "child.national_id")
    assert re.search(r"\d{11}", response.get_data(as_text=True)) is None
