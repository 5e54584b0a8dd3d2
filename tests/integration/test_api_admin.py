"""Administration through the API: organisations and users; administrators see no child data."""

from __future__ import annotations

import uuid

from tests.integration.test_api_errors import UNKNOWN_ID, assert_problem, refuse

PASSWORD = "et-langt-passord-2026"


def unique_email(prefix: str = "ny.bruker") -> str:
    # Users are directory data and stay between tests: every e-mail must be new.
    return f"{prefix}.{uuid.uuid4().hex[:12]}@test.example"


def user_body(world, **overrides) -> dict:
    body = {"email": unique_email(), "name": "Nina Ny", "password": PASSWORD,
            "organisation_id": world.orgs["gp"].id, "roles": ["referrer"], "profession": "doctor"}
    body.update(overrides)
    return body


# --- organisations ----------------------------------------------------------------------------------------

def test_an_admin_creates_an_organisation_in_a_municipality(world):
    response = world.post("admin", "/api/v1/organisations",
                          json={"kind": "ppt_office", "name": "PPT Askøy", "municipality_number": "4627",
                                "her_id": "123456"})
    assert response.status_code == 201
    created = response.json
    assert created["id"]
    assert {k: created[k] for k in ("kind", "name", "municipality_number", "her_id")} == {
        "kind": "ppt_office", "name": "PPT Askøy", "municipality_number": "4627", "her_id": "123456"}


def test_a_bup_clinic_needs_no_municipality(world):
    response = world.post("admin", "/api/v1/organisations", json={"kind": "bup_clinic", "name": "BUP Nord"})
    assert response.status_code == 201
    assert response.json["municipality_number"] is None


def test_every_other_kind_needs_a_municipality_number(world):
    for kind in ("municipality", "ppt_office", "school_health_service", "gp_office", "child_welfare"):
        refuse(world, "admin", "post", "/api/v1/organisations", 422, "municipality_number",
               json={"kind": kind, "name": f"Uten kommune ({kind})"})


def test_a_municipality_number_must_have_four_digits(world):
    refuse(world, "admin", "post", "/api/v1/organisations", 422, "municipality_number",
           json={"kind": "gp_office", "name": "Legekontoret", "municipality_number": "46270"})


def test_an_unknown_organisation_kind_is_422(world):
    refuse(world, "admin", "post", "/api/v1/organisations", 422, "kind",
           json={"kind": "hospital", "name": "Sykehuset", "municipality_number": "4601"})


def test_the_operator_kind_cannot_be_registered_through_the_api(world):
    refuse(world, "admin", "post", "/api/v1/organisations", 422, "kind",
           json={"kind": "operator", "name": "Enda en drift"})


def test_organisations_are_listed_with_a_kind_filter(world):
    created = world.post("admin", "/api/v1/organisations",
                         json={"kind": "child_welfare", "name": "Barnevernet i Bergen", "municipality_number": "4601"})
    assert created.status_code == 201
    listing = world.get("admin", "/api/v1/organisations?kind=child_welfare&per_page=200").json
    assert {"items", "total", "page", "per_page"} <= listing.keys()
    assert listing["items"] and {o["kind"] for o in listing["items"]} == {"child_welfare"}
    assert created.json["id"] in {o["id"] for o in listing["items"]}


def test_the_clinic_list_holds_both_demo_clinics_and_nothing_else(world):
    listing = world.get("gp", "/api/v1/organisations?kind=bup_clinic&per_page=200").json
    ids = {o["id"] for o in listing["items"]}
    assert {world.orgs["bup"].id, world.orgs["bup2"].id} <= ids
    assert world.orgs["gp"].id not in ids
    assert listing["total"] == len(listing["items"])


def test_an_unknown_kind_filter_is_422(world):
    refuse(world, "admin", "get", "/api/v1/organisations?kind=hospital", 422, "kind")


# --- users ------------------------------------------------------------------------------------------------

def test_an_admin_creates_a_user(world):
    body = user_body(world)
    response = world.post("admin", "/api/v1/users", json=body)
    assert response.status_code == 201
    user = response.json
    assert user["id"] and user["email"] == body["email"]
    assert user["organisation_id"] == world.orgs["gp"].id and user["roles"] == ["referrer"]
    assert "password" not in user and PASSWORD not in response.get_data(as_text=True)


def test_a_new_user_can_log_in_and_use_the_token(world):
    body = user_body(world)
    assert world.post("admin", "/api/v1/users", json=body).status_code == 201
    login = world.client.post("/api/v1/auth/token", json={"email": body["email"], "password": PASSWORD})
    assert login.status_code == 200
    assert login.json["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    created = world.client.post("/api/v1/referrals", json=world.referral_body(), headers=headers)
    assert created.status_code == 201
    assert created.json["referrer_org_id"] == world.orgs["gp"].id


def test_a_duplicate_email_is_422(world):
    body = user_body(world)
    assert world.post("admin", "/api/v1/users", json=body).status_code == 201
    refuse(world, "admin", "post", "/api/v1/users", 422, "email", json={**body, "name": "Nina To"})


def test_an_email_differing_only_in_case_is_a_duplicate(world):
    body = user_body(world)
    assert world.post("admin", "/api/v1/users", json=body).status_code == 201
    refuse(world, "admin", "post", "/api/v1/users", 422, "email", json={**body, "email": body["email"].upper()})


def test_a_user_in_an_unknown_organisation_is_422(world):
    refuse(world, "admin", "post", "/api/v1/users", 422, "organisation_id",
           json=user_body(world, organisation_id=UNKNOWN_ID))


def test_an_unknown_role_is_422(world):
    refuse(world, "admin", "post", "/api/v1/users", 422, "roles.0", json=user_body(world, roles=["superuser"]))


def test_a_short_password_is_422(world):
    refuse(world, "admin", "post", "/api/v1/users", 422, "password", json=user_body(world, password="kort"))


def test_only_an_admin_creates_users(world):
    for who in ("gp", "bup", "lead_bergen", "auditor"):
        refuse(world, who, "post", "/api/v1/users", 403, json=user_body(world, roles=["admin"]))


def test_only_an_admin_creates_organisations(world):
    for who in ("gp", "bup", "coordinator_askoy", "auditor"):
        refuse(world, who, "post", "/api/v1/organisations", 403,
               json={"kind": "bup_clinic", "name": "BUP uten lov"})


def test_creating_organisations_and_users_needs_a_token(world):
    refuse(world, None, "post", "/api/v1/organisations", 401, json={"kind": "bup_clinic", "name": "BUP"})
    refuse(world, None, "post", "/api/v1/users", 401, json=user_body(world))
    refuse(world, None, "get", "/api/v1/organisations", 401)


# --- administrators read no child data --------------------------------------------------------------------

def test_an_admin_sees_no_referrals(world):
    rid = world.referral_in("submitted")["id"]
    assert world.get("admin", "/api/v1/referrals").json["total"] == 0
    assert_problem(world.get("admin", f"/api/v1/referrals/{rid}"), 404)


def test_an_admin_cannot_write_a_referral(world):
    refuse(world, "admin", "post", "/api/v1/referrals", 403, json=world.referral_body())
