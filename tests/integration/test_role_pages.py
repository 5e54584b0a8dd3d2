"""Pages of another role answer 403 with the Norwegian error page (web/roles.py), the same for every address
under them, so they tell nothing about which referrals exist; the header offers only the pages a role opens."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.test_web_decisions import Page, WebUser

REFUSED = "Du har ikke tilgang"
NAVIGATION = ("Ny henvisning", "Mine henvisninger", "Inntak", "Tilbakehenvisninger", "Varsler", "Oversikt",
              "Administrasjon")


def navigation(page: Page) -> list[str]:
    """The links of the header's main menu, in order."""
    menu = page.html.split('aria-label="Hovedmeny"', 1)[1].split("</nav>", 1)[0]
    return [name for name in NAVIGATION if f">{name}</a>" in menu]


def assert_refused(page: Page) -> None:
    assert page.h1 == [REFUSED]
    assert page.title.startswith(REFUSED)
    assert "Du har ikke tilgang til dette." in page.text()
    assert '<html lang="nb"' in page.html


@pytest.mark.parametrize(("who", "path"), [
    ("nurse_bergen", "/inntak"),
    ("gp", "/tilbakehenvisninger"),
    ("ppt", "/inntak"),
    ("bup", "/henvisninger"),
    ("bup", "/henvisninger/ny"),
    ("bup", "/tilbakehenvisninger"),
    ("coordinator_bergen", "/inntak"),
    ("coordinator_bergen", "/henvisninger"),
    ("lead_askoy", "/henvisninger/ny"),
    ("lead_gp", "/henvisninger"),
    ("lead_gp", "/oversikt"),
    ("admin", "/inntak"),
    ("admin", "/tilbakehenvisninger"),
    ("auditor", "/henvisninger"),
])
def test_a_page_of_another_role_answers_403_in_norwegian(app, world, who, path):
    assert_refused(WebUser(app, who).get(path, expect=403))


def test_a_page_of_its_own_role_opens(app, world):
    for who, path in (("nurse_bergen", "/henvisninger"), ("nurse_bergen", "/henvisninger/ny"), ("bup", "/inntak"),
                      ("coordinator_bergen", "/tilbakehenvisninger"), ("lead_askoy", "/tilbakehenvisninger"),
                      ("lead_gp", "/tilbakehenvisninger"), ("admin", "/oversikt"), ("auditor", "/oversikt"),
                      ("gp", "/varsler"), ("bup", "/oversikt")):
        WebUser(app, who).get(path, expect=200)


def test_bups_page_of_a_referral_answers_404_alike_for_a_referral_and_for_none_to_someone_not_a_party(app, world):
    referral = world.referral_in("submitted")
    nurse = WebUser(app, "nurse_bergen")

    for path in (f"/inntak/{referral['id']}", f"/inntak/{uuid.uuid4()}"):
        page = nurse.get(path, expect=404)
        assert page.h1 == ["Fant ikke siden"] and "Ola" not in page.html


def test_a_referrer_cannot_post_bups_decision(app, world):
    referral = world.referral_in("submitted")
    gp = WebUser(app, "gp")
    token = gp.get("/henvisninger").hidden("csrf_token")

    response = gp.client.post(f"/inntak/{referral['id']}/avslag", data={
        "csrf_token": token, "reason_code": "not_specialist_need", "explanation": "Nei.", "municipal_advice": "Nei."})

    assert response.status_code == 403
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == "submitted"


def test_someone_not_signed_in_is_sent_to_log_in_not_refused(app, world):
    response = app.test_client().get("/inntak")
    assert response.status_code == 302 and response.headers["Location"].startswith("/logg-inn")


@pytest.mark.parametrize(("who", "menu"), [
    ("nurse_bergen", ["Ny henvisning", "Mine henvisninger", "Varsler", "Oversikt"]),
    ("bup", ["Inntak", "Varsler", "Oversikt"]),
    ("coordinator_bergen", ["Tilbakehenvisninger", "Varsler", "Oversikt"]),
    ("lead_gp", ["Tilbakehenvisninger", "Varsler"]),
    ("admin", ["Varsler", "Oversikt", "Administrasjon"]),
    ("auditor", ["Varsler", "Oversikt"]),
])
def test_the_header_offers_only_the_pages_the_role_opens(app, world, who, menu):
    assert navigation(WebUser(app, who).get("/varsler")) == menu


def test_a_referring_services_lead_starts_at_the_tasks(app, world):
    response = WebUser(app, "lead_gp").client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/tilbakehenvisninger"
