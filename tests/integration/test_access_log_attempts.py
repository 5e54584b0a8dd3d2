"""Denied attempts on a child's resources are logged, so an auditor sees probing (issue 13).

A 404 on a referral or a handover task (one the user may not see, or one that does not exist) leaves an attempt
row: who asked, for which id. The use case rolls back, yet the row stays; it names no child and never an
identity number, and the chain still verifies.
"""

from __future__ import annotations

import re

from referral_service.demo import DEMO_PASSWORD
from tests.integration.test_access_log import log_rows, verify_over_the_api
from tests.support.world import USERS


def a_bergen_referral(world) -> dict:
    """Sent by Bergen's PPT office about a Bergen child: the Askøy GP takes no part in it."""
    referral = world.create_referral("ppt", home_municipality="4601",
                                     consent={"given_by": ["guardian"], "share_with": ["bup", "school"]})
    return world.act("ppt", referral["id"], "submit")


def attempts(app) -> list[dict]:
    return [row for row in log_rows(app) if row["action"].startswith("denied:")]


def test_the_askoy_gp_probing_a_bergen_referral_gets_404_and_leaves_an_attempt_row(world, app):
    bergen = a_bergen_referral(world)
    response = world.get("gp", f"/api/v1/referrals/{bergen['id']}")
    assert response.status_code == 404

    [row] = attempts(app)
    assert (row["user_id"], row["organisation_id"], row["action"]) == (
        world.users["gp"].id, world.orgs["gp"].id, "denied:referral")
    assert row["referral_id"] == row["requested_id"] == bergen["id"]
    assert row["child_id"] is None  # the attempt reveals nothing of the child to the log's readers either
    assert verify_over_the_api(world)["ok"] is True


def test_an_action_on_a_referral_one_may_not_see_is_logged_and_changes_nothing(world, app):
    bergen = a_bergen_referral(world)
    world.act("gp", bergen["id"], "withdraw", {"reason": "Prøver."}, expect=404)
    [row] = attempts(app)
    assert (row["user_id"], row["requested_id"]) == (world.users["gp"].id, bergen["id"])
    assert world.get("ppt", f"/api/v1/referrals/{bergen['id']}").json["status"] == "submitted"


def test_an_id_that_does_not_exist_is_logged_but_a_number_in_the_address_is_not_kept(world, app):
    missing = "0190a4b2-0000-7000-8000-000000000000"
    assert world.get("gp", f"/api/v1/referrals/{missing}").status_code == 404
    identity_number = world.national_id()
    assert world.get("gp", f"/api/v1/referrals/{identity_number}").status_code == 404

    first, second = attempts(app)
    assert first["requested_id"] == missing
    assert second["requested_id"] is None and second["referral_id"] is None
    assert identity_number not in str(log_rows(app))


def test_a_handover_task_one_may_not_see_is_logged_as_an_attempt(world, app):
    missing = "0190a4b2-0000-7000-8000-0000000000aa"
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{missing}").status_code == 404
    [row] = attempts(app)
    assert (row["action"], row["requested_id"], row["referral_id"]) == ("denied:handover", missing, None)


def test_a_referral_page_one_may_not_see_is_logged_as_an_attempt(world, app):
    bergen = a_bergen_referral(world)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/logg-inn").get_data(as_text=True))[1]
    client.post("/logg-inn", data={"email": USERS["gp"], "password": DEMO_PASSWORD, "csrf_token": token})

    assert client.get(f"/henvisninger/{bergen['id']}").status_code == 404
    [row] = attempts(app)
    assert (row["user_id"], row["referral_id"]) == (world.users["gp"].id, bergen["id"])


def test_a_check_in_one_may_not_see_is_logged_as_an_attempt(world, app):
    missing = "0190a4b2-0000-7000-8000-0000000000cc"
    assert world.get("coordinator_askoy", f"/api/v1/check-ins/{missing}").status_code == 404
    [row] = attempts(app)
    assert (row["action"], row["requested_id"], row["referral_id"]) == ("denied:check_in", missing, None)
