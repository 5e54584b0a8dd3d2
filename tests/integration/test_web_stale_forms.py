"""A referrer's answer or withdrawal from a page that has gone stale changes nothing."""

from __future__ import annotations

from tests.integration.test_web_reveal import signed_in


def test_withdrawing_from_a_stale_page_is_refused_and_the_referral_stays_as_it_was(world, app):
    referral = world.referral_in("submitted")
    stale = world.get("gp", f"/api/v1/referrals/{referral['id']}").headers["ETag"]
    world.post("gp", f"/api/v1/referrals/{referral['id']}/co-referrers",
               json={"organisation_id": world.orgs["school_askoy"].id})  # someone else changed it meanwhile
    client, token = signed_in(app, "gp")
    response = client.post(f"/henvisninger/{referral['id']}/trekk-tilbake",
                           data={"csrf_token": token, "versjon": stale, "reason": "Flytter."})
    assert response.status_code == 302
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == "submitted"
    page = client.get(f"/henvisninger/{referral['id']}").get_data(as_text=True)
    assert "Henvisningen er endret i mellomtiden" in page  # the user is told why nothing happened
