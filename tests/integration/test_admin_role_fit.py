"""Roles must fit the organisation's kind (workflows/role_fit.py): refused with 422 naming `roles` on creation and
on change, through the API; every change, creation and deactivation is in the administration log."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import text

from referral_service.demo import ORGANISATIONS, USERS
from referral_service.workflows.role_fit import unfit_roles
from tests.integration.test_api_admin import PASSWORD, user_body
from tests.integration.test_api_errors import UNKNOWN_ID, refuse

#: Roles that do not fit, by the demo organisation they are tried at.
MISFITS = [
    ("operator", ["bup_intake"]),  # the finding: an administrator made itself BUP
    ("gp", ["bup_intake"]),
    ("bergen", ["referrer"]),
    ("bup", ["municipal_coordinator"]),
    ("askoy", ["admin"]),
    ("ppt", ["municipal_lead"]),
    ("dps", ["auditor"]),
]


def test_every_demo_user_holds_roles_that_fit_their_organisation():
    kinds = {key: kind for key, kind, _name, _number in ORGANISATIONS}
    for email, _name, org, roles, *_ in USERS:
        assert unfit_roles(kinds[org], roles) == [], email


@pytest.mark.parametrize(("org", "roles"), MISFITS)
def test_a_role_that_does_not_fit_the_kind_is_refused_on_creation(world, org, roles):
    body = user_body(world, organisation_id=world.orgs[org].id, roles=roles)
    problem = refuse(world, "admin", "post", "/api/v1/users", 422, "roles", json=body)
    assert roles[0] in problem["errors"]["roles"][0]
    assert world.client.post("/api/v1/auth/token", json={"email": body["email"], "password": body["password"]}
                             ).status_code == 401  # nothing was created


def test_roles_that_fit_are_accepted_at_every_kind(world):
    fits = {"bup": ["bup_intake"], "dps": ["bup_intake"], "bergen": ["municipal_coordinator", "municipal_lead"],
            "ppt": ["referrer", "referrer_lead"], "school_askoy": ["referrer"], "gp": ["referrer_lead"],
            "barnevern_askoy": ["referrer"], "operator": ["auditor"]}
    for org, roles in fits.items():
        response = world.post("admin", "/api/v1/users", json=user_body(world, organisation_id=world.orgs[org].id,
                                                                        roles=roles))
        assert response.status_code == 201, (org, response.json)


def _new_user(world, org: str = "askoy", roles: tuple[str, ...] = ("municipal_coordinator",)) -> dict:
    response = world.post("admin", "/api/v1/users", json=user_body(world, organisation_id=world.orgs[org].id,
                                                                    roles=list(roles)))
    assert response.status_code == 201, response.json
    return response.json


def test_an_admin_changes_a_users_roles_and_the_change_is_logged(world):
    user = _new_user(world)
    response = world.client.put(f"/api/v1/users/{user['id']}/roles", json={"roles": ["municipal_lead"]},
                                headers=world.headers("admin"))
    assert response.status_code == 200, response.json
    assert response.json["roles"] == ["municipal_lead"] and response.json["active"] is True
    events = world.get("auditor", f"/api/v1/admin/events?target_id={user['id']}").json["items"]
    assert [e["action"] for e in events] == ["roles_changed", "user_created"]
    assert events[0]["before"] == {"roles": ["municipal_coordinator"]}
    assert events[0]["after"] == {"roles": ["municipal_lead"]}
    assert events[0]["actor_user_id"] == world.users["admin"].id


def test_a_role_change_that_does_not_fit_is_refused_and_changes_nothing(world):
    user = _new_user(world)
    response = world.client.put(f"/api/v1/users/{user['id']}/roles", json={"roles": ["bup_intake"]},
                                headers=world.headers("admin"))
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "roles" in response.json["errors"]
    events = world.get("admin", f"/api/v1/admin/events?target_id={user['id']}").json["items"]
    assert [e["action"] for e in events] == ["user_created"]


def test_only_an_admin_changes_roles(world):
    user = _new_user(world)
    for who in ("coordinator_askoy", "lead_askoy", "auditor", "bup"):
        response = world.client.put(f"/api/v1/users/{user['id']}/roles", json={"roles": ["municipal_lead"]},
                                    headers=world.headers(who))
        assert response.status_code == 403, who


def test_roles_of_an_unknown_user_is_404_and_unknown_roles_422(world):
    refuse_put = world.client.put(f"/api/v1/users/{UNKNOWN_ID}/roles", json={"roles": ["referrer"]},
                                  headers=world.headers("admin"))
    assert refuse_put.status_code == 404
    user = _new_user(world)
    for roles in ([], ["superuser"]):
        response = world.client.put(f"/api/v1/users/{user['id']}/roles", json={"roles": roles},
                                    headers=world.headers("admin"))
        assert response.status_code == 422, roles


def test_deactivation_is_logged(world):
    user = _new_user(world)
    response = world.post("admin", f"/api/v1/admin/users/{user['id']}/deactivate", json={"to_queue": True})
    assert response.status_code == 200, response.json
    [event] = [e for e in world.get("admin", f"/api/v1/admin/events?target_id={user['id']}").json["items"]
               if e["action"] == "user_deactivated"]
    assert event["after"]["active"] is False and event["after"]["to_queue"] is True


def test_the_administration_log_is_for_administrators_and_auditors(world):
    for who in ("admin", "auditor"):
        assert world.get(who, "/api/v1/admin/events").status_code == 200
    for who in ("gp", "bup", "coordinator_askoy", "lead_askoy"):
        refuse(world, who, "get", "/api/v1/admin/events", 403)


def test_the_administration_log_holds_no_password(world):
    user = _new_user(world)
    text = world.get("admin", f"/api/v1/admin/events?target_id={user['id']}").get_data(as_text=True)
    assert "password" not in text and "et-langt-passord" not in text


def test_an_administrator_cannot_make_itself_auditor_nor_change_its_own_roles(world):
    own = world.client.put(f"/api/v1/users/{world.users['admin'].id}/roles", json={"roles": ["admin", "auditor"]},
                           headers=world.headers("admin"))
    assert own.status_code == 422 and "roles" in own.json["errors"]
    assert world.get("admin", "/api/v1/audit").status_code == 403  # still not an auditor
    both = user_body(world, organisation_id=world.orgs["operator"].id, roles=["admin", "auditor"])
    problem = refuse(world, "admin", "post", "/api/v1/users", 422, "roles", json=both)
    assert "admin and auditor" in problem["errors"]["roles"][0]
    auditor = _new_user(world, org="operator", roles=("auditor",))
    response = world.client.put(f"/api/v1/users/{auditor['id']}/roles", json={"roles": ["admin", "auditor"]},
                                headers=world.headers("admin"))
    assert response.status_code == 422


def test_a_role_that_does_not_fit_written_past_the_administration_opens_nothing(world, app):
    """The issue's attack account (BUP intake at another kind of organisation), made before the rule existed or
    written straight into the database: the role is ignored, on the pages and in the API."""
    body = user_body(world, organisation_id=world.orgs["gp"].id, roles=["referrer"])
    user = world.post("admin", "/api/v1/users", json=body).json
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(text("UPDATE app_user SET roles = :roles WHERE id = :id"),
                           {"roles": json.dumps(["bup_intake", "referrer"]), "id": user["id"]})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/logg-inn").get_data(as_text=True))[1]
    client.post("/logg-inn", data={"email": body["email"], "password": body["password"], "csrf_token": token})
    assert client.get("/henvisninger").status_code == 200  # the role that fits still works
    assert client.get("/inntak").status_code == 403
    api = world.client.post("/api/v1/auth/token", json={"email": body["email"], "password": body["password"]})
    referral = world.act("gp", world.create_referral("gp")["id"], "submit")
    accepted = world.client.post(f"/api/v1/referrals/{referral['id']}/accept", json={"care_start_due": "2027-01-04"},
                                 headers={"Authorization": f"Bearer {api.json['access_token']}"})
    assert accepted.status_code in (403, 404)
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == "submitted"


def test_organisations_and_users_are_added_and_roles_changed_on_the_command_line_with_the_same_rules(world, app):
    from click.testing import CliRunner

    from referral_service.cli import main

    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": app.config["DATA_DIR"]}
    runner = CliRunner()
    added = runner.invoke(main, ["organisations", "add", "--kind", "school_health_service", "--name",
                                 "Helsestasjonen i Kvam", "--municipality", "4622"], env=env)
    assert added.exit_code == 0, (added.output, added.exception)
    organisation_id = re.search(r"\(id ([0-9a-f-]+)\)", added.output)[1]
    assert organisation_id in runner.invoke(main, ["organisations", "list"], env=env).output
    unknown = runner.invoke(main, ["organisations", "add", "--kind", "ppt_office", "--name", "PPT",
                                   "--municipality", "9999"], env=env)
    assert unknown.exit_code != 0 and "municipality_number" in unknown.output

    email = f"kvam-{uuid.uuid4().hex[:8]}@kvam.example"
    misfit = runner.invoke(main, ["users", "add", "--email", email, "--name", "Kari Kvam", "--organisation-id",
                                  organisation_id, "--role", "bup_intake", "--password", PASSWORD], env=env)
    assert misfit.exit_code != 0 and "roles" in misfit.output
    user = runner.invoke(main, ["users", "add", "--email", email, "--name", "Kari Kvam", "--organisation-id",
                                organisation_id, "--role", "referrer", "--profession", "school_nurse",
                                "--password", PASSWORD], env=env)
    assert user.exit_code == 0, (user.output, user.exception)
    assert world.client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).status_code == 200
    lead = runner.invoke(main, ["users", "roles", "--email", email, "--role", "referrer", "--role", "referrer_lead"],
                         env=env)
    assert lead.exit_code == 0 and "referrer, referrer_lead" in lead.output
    refused = runner.invoke(main, ["users", "roles", "--email", email, "--role", "municipal_lead"], env=env)
    assert refused.exit_code != 0
    events = world.get("auditor", "/api/v1/admin/events?per_page=50").json["items"]
    assert {"organisation_created", "user_created", "roles_changed"} <= {e["action"] for e in events}
