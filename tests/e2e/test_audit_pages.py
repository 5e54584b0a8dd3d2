"""In Chromium: the auditor finds a child in the access log by the full identity number (posted; the address and the
page never show it), sees who read the child's data in Norwegian words, runs the verification, and answers a family's
request for insight with a printable page and a CSV file; on a phone (390 px) and an office PC (1280 px) each page
fits without sideways scrolling and axe-core finds no violation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation
from tests.e2e.helpers import PASSWORD, axe_violations, describe_violations, log_in, screenshot

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

AUDITOR = "revisor@demo.example"
NUMBER = make_synthetic_national_id(date(2013, 3, 9), seed=9301)
WIDTHS = (390, 1280)


def _token(client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture(scope="module")
def read_referral(e2e_app) -> str:
    """The Askøy GP refers a child and reads the referral: the access log has rows about the child."""
    client = e2e_app.test_client()
    gp = _token(client, "fastlege@askoy.example")
    with e2e_app.extensions["referral_db"].session() as session:
        clinic_id = session.exec(select(Organisation.id).where(Organisation.name == "BUP Bergen sentrum")).one()
    created = client.post("/api/v1/referrals", headers=gp, json={
        "child": {"national_id": NUMBER, "given_name": "Sigrid", "family_name": "Revheim",
                  "home_municipality": "4627", "guardians": [{"name": "Far", "phone": "40000002"}]},
        "clinic_id": clinic_id, "reasons": ["anxiety"], "description": "Angst siden høsten.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"]}})
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert client.get(f"/api/v1/referrals/{rid}", headers=gp).status_code == 200
    return rid


def _fits_and_passes_axe(page: Page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide in a {width} px window"
        violations = axe_violations(page)
        assert not violations, f"{name}, axe at {width} px:\n{describe_violations(violations)}"
        screenshot(page, f"{name}-{width}")


def test_the_auditor_finds_a_child_by_number_reads_the_log_verifies_it_and_answers_an_insight_request(
        open_page, base_url, read_referral):
    page = open_page()
    log_in(page, base_url, AUDITOR, PASSWORD)
    page.get_by_role("link", name="Revisjon", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revisjon")

    page.get_by_label("Søk på navn eller fødselsnummer").fill(NUMBER)
    page.get_by_role("button", name="Søk", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("fødselsnummeret du søkte på")
    assert NUMBER not in page.url and NUMBER not in page.content()
    rows = page.get_by_role("region", name="Tilgangslogg")
    expect(rows).to_contain_text("Frida Fastlege")
    expect(rows).to_contain_text("Leste henvisningen")
    _fits_and_passes_axe(page, "revisjon")

    page.get_by_role("link", name="Kontroll og sletting").click()
    expect(page.get_by_role("status")).to_contain_text("Tilgangsloggen er hel")
    _fits_and_passes_axe(page, "revisjon-kontroll")

    page.get_by_role("link", name="Innsyn", exact=True).click()
    page.get_by_label("Barnets fødselsnummer").fill(NUMBER)
    page.get_by_role("button", name="Finn").click()
    history = page.get_by_role("region", name="Hvem har lest eller endret opplysningene")
    expect(history).to_contain_text("Frida Fastlege")
    assert NUMBER not in page.url and NUMBER not in page.content()
    _fits_and_passes_axe(page, "revisjon-innsyn")

    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned som CSV-fil").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Frida Fastlege" in text and NUMBER not in text

    page.get_by_role("link", name="Utskriftsvennlig side").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Innsyn")
    expect(page.get_by_role("region", name="Tilgangslogg for barnet")).to_contain_text("Frida Fastlege")
    _fits_and_passes_axe(page, "revisjon-innsyn-utskrift")
