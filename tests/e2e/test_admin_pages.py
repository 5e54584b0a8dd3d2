"""In Chromium: the administrator grants a municipality's school nurses the referral right through the pages, and a
school nurse there can then submit (and could not before); a role that does not fit the organisation's kind is
refused in Norwegian; the pages pass axe-core with the errors showing, at 390 and 1280 px.

Osterøy (4630) is used, with a school health service and a nurse made here, so the grant leaves the demo's
Bergen and Askøy as the other browser tests know them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from referral_service.bootstrap import dependencies
from referral_service.domain.national_id import make_synthetic_national_id
from tests.e2e.helpers import PASSWORD, axe_violations, describe_violations, log_in, screenshot

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

ADMIN = "admin@demo.example"
OSTEROY = "4630"


def _token(client, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _nurse_in_osteroy(client) -> dict[str, str]:
    """A school health service in Osterøy and a school nurse there, made through the API: her token."""
    admin = _token(client, ADMIN)
    org = client.post("/api/v1/organisations", headers=admin, json={
        "kind": "school_health_service", "name": f"Skolehelsetjenesten på Osterøy {uuid.uuid4().hex[:6]}",
        "municipality_number": OSTEROY}).get_json()
    email = f"helsesykepleier.{uuid.uuid4().hex[:8]}@osteroy.example"
    created = client.post("/api/v1/users", headers=admin, json={
        "email": email, "name": "Olaug Helsesykepleier", "password": PASSWORD, "organisation_id": org["id"],
        "roles": ["referrer"], "profession": "school_nurse"})
    assert created.status_code == 201, created.get_json()
    return _token(client, email)


def _nurse_submits(client, nurse: dict[str, str], today: date) -> int:
    clinics = client.get("/api/v1/organisations?kind=bup_clinic", headers=nurse).get_json()["items"]
    body = {
        "child": {"national_id": make_synthetic_national_id(date(2013, 4, 9), seed=uuid.uuid4().int % 9000),
                  "given_name": "Oda", "family_name": "Osterøy", "home_municipality": OSTEROY,
                  "guardians": [{"name": "Far Osterøy", "phone": "40000001"}]},
        "clinic_id": clinics[0]["id"], "reasons": ["anxiety"],
        "description": "Økende angst og fravær siden høsten, sover dårlig og trekker seg unna venner.",
        "urgency": "normal", "measures_tried": "Samtaler med helsesykepleier.", "child_view": "Jeg vil ha hjelp.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"],
                    "recorded_on": today.isoformat()},
    }
    draft = client.post("/api/v1/referrals", headers=nurse, json=body)
    assert draft.status_code == 201, draft.get_json()
    return client.post(f"/api/v1/referrals/{draft.get_json()['id']}/submit", headers=nurse).status_code


def _no_axe_findings(page: Page, name: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        widths = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        assert widths["doc"] <= widths["view"], f"{name} scrolls sideways at {width} px"
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
    screenshot(page, name)


def test_the_administrator_grants_school_nurses_the_right_to_refer_through_the_pages(open_page, base_url, e2e_app):
    client = e2e_app.test_client()
    nurse = _nurse_in_osteroy(client)
    today = dependencies(e2e_app).clock.today()
    assert _nurse_submits(client, nurse, today) == 403  # Osterøy has no grant: the nurse may draft, not send

    page = open_page()
    log_in(page, base_url, ADMIN, PASSWORD)
    page.get_by_role("link", name="Administrasjon").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administrasjon")
    page.get_by_role("link", name="Henvisningsrett").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henvisningsrett")
    form = page.locator("form", has=page.get_by_role("button", name="Gi henvisningsretten"))
    form.get_by_label("Kommune").select_option(OSTEROY)
    form.get_by_label("Yrke").select_option("school_nurse")
    form.get_by_label("Første dag").fill(today.isoformat())
    form.get_by_label("Grunnlag").fill("Kommunestyrets vedtak om utprøving")
    form.get_by_role("button", name="Gi henvisningsretten").click()
    expect(page.get_by_role("status")).to_contain_text("Henvisningsretten for helsesykepleier er gitt.")
    expect(page.get_by_role("region", name="Gjelder nå eller senere")).to_contain_text("Osterøy (4630)")
    _no_axe_findings(page, "admin-henvisningsrett")

    assert _nurse_submits(client, nurse, today) == 200


def test_a_role_that_does_not_fit_is_refused_in_norwegian_in_the_browser(open_page, base_url):
    page = open_page()
    log_in(page, base_url, ADMIN, PASSWORD)
    page.goto(f"{base_url}/admin/brukere")
    form = page.locator("form", has=page.get_by_role("button", name="Opprett brukeren"))
    form.get_by_label("Virksomhet").select_option(label="Driftsorganisasjonen")
    form.get_by_label("Navn").fill("Bente BUP")
    form.get_by_label("E-postadresse").fill(f"bente.{uuid.uuid4().hex[:8]}@demo.example")
    form.get_by_label("Første passord").fill("et-langt-passord-2026")
    form.get_by_label("BUP-inntak").check()
    form.get_by_role("button", name="Opprett brukeren").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Rollen passer ikke for denne typen virksomhet.")
    expect(summary).to_contain_text("Driftsorganisasjon kan bare ha disse rollene: administrator, revisor.")
    _no_axe_findings(page, "admin-brukere-feil")
