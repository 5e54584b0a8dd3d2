"""The referring side names a municipal contact after submission on the referral page; the child is then no
longer waiting alone, and the contact's service hears of BUP's decision."""

from __future__ import annotations

from tests.integration.test_web_referral_form import Browser, parse


def test_the_referrer_adds_a_contact_on_the_referral_page_after_submission(app, world):
    rid = world.create_referral("gp", municipal_contacts=[])["id"]
    world.act("gp", rid, "submit")
    browser = Browser(app, "gp")
    page = parse(browser.client.get(f"/henvisninger/{rid}"))
    assert "Legg til kontakten" in [b.text for b in page.find_all("button")]

    refused = browser.post(f"/henvisninger/{rid}/kontakt", {"contact_role": "", "contact_name": "Tone Lærer"})
    assert refused.status_code == 422
    assert parse(refused).by_id("felt-contact-role-feil").text == (
        "Skriv rollen, for eksempel lærer eller helsesykepleier.")

    response = browser.post(f"/henvisninger/{rid}/kontakt", {
        "contact_role": "Helsesykepleier", "contact_name": "Heidi Helsesykepleier",
        "contact_organisation_id": world.orgs["school_askoy"].id})
    assert response.status_code == 302
    contacts = world.get("gp", f"/api/v1/referrals/{rid}").json["municipal_contacts"]
    assert [(c["name"], c["organisation_id"]) for c in contacts] == [
        ("Heidi Helsesykepleier", world.orgs["school_askoy"].id)]


def test_a_draft_names_its_contacts_in_the_form_not_here(app, world):
    rid = world.create_referral("gp")["id"]
    page = parse(Browser(app, "gp").client.get(f"/henvisninger/{rid}"))
    assert "Legg til kontakten" not in [b.text for b in page.find_all("button")]
