"""Soft completeness (henvisningsveilederen: an incomplete referral is still assessed): what BUP would only
miss is a warning; the referral is sent with it, BUP sees it on the assessment page, and Oversikt counts it."""

from __future__ import annotations

from tests.integration.test_web_decisions import WebUser
from tests.integration.test_web_referral_form import Browser, parse


def test_a_draft_with_only_warnings_is_sent_from_the_form_and_bup_sees_what_is_missing(app, world):
    rid = world.create_referral("gp", measures_tried="", child_view="")["id"]
    browser = Browser(app, "gp")
    panel = parse(browser.client.get(f"/henvisninger/{rid}/steg/6")).by_id("bup-vil-mangle")
    assert panel is not None
    page_text = browser.client.get(f"/henvisninger/{rid}/steg/6").get_data(as_text=True)
    assert "Du kan sende henvisningen. BUP ser hva som mangler" in page_text

    response = browser.post(f"/henvisninger/{rid}/steg/6", {"handling": "send"})
    assert response.status_code == 302
    assert world.get("gp", f"/api/v1/referrals/{rid}").json["status"] == "submitted"

    assessment = WebUser(app, "bup").get(f"/inntak/{rid}").text()
    assert "Sendt med mangler" in assessment
    assert "Det står ikke hva som er prøvd i kommunen." in assessment and "Barnets stemme mangler." in assessment

    csv = Browser(app, "bup").client.get("/oversikt.csv").get_data().decode("utf-8-sig")
    assert "Henvisninger;Alle;Sendt med mangler;<3" in csv  # one child: shown as fewer than three


def test_what_the_law_needs_still_stops_the_form(app, world):
    rid = world.create_referral("gp", reasons=[])["id"]
    response = Browser(app, "gp").post(f"/henvisninger/{rid}/steg/6", {"handling": "send"})
    assert response.status_code == 422
    assert "Henvisningsgrunn er ikke valgt." in parse(response).by_id("feiloppsummering").text
