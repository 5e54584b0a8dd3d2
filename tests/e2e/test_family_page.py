"""In Chromium, the family's question "Hvem skal jeg snakke med nå?" (issue 14, must-show 1): a guardian recorded
with their identity number signs in with ID-porten (the local OpenID Connect provider, tests/support/oidc_provider.py)
and sees that BUP assesses the referral and answers by its deadline; after BUP's rejection and the Askøy
coordinator's acknowledgement the same page names the coordinator and their phone under "Hvem skal dere snakke med
nå?". axe finds no violation at 1280 and 390 px.

The app runs with ID-porten configured for families, the demo organisations and users, and the background work done
in-process (tests/support/loop.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from config import load_config
from referral_service import create_app
from referral_service.demo import seed_demo
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral
from referral_service.migrations import upgrade
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.e2e.helpers import CONTEXT_OPTIONS, PASSWORD, axe_violations, describe_violations, screenshot
from tests.support.browser import live_server
from tests.support.clock import norway_today
from tests.support.loop import InProcessWorker
from tests.support.oidc_provider import PID_CLAIM, local_provider, with_idporten

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
GUARDIAN_NUMBER = make_synthetic_national_id(date(1985, 4, 2), seed=1414)
COORDINATOR, COORDINATOR_PHONE = "Knut Koordinator", "05627 1234"


@pytest.fixture(scope="module")
def provider():
    with local_provider() as started:
        started.set_claims("idporten-forelder", {PID_CLAIM: GUARDIAN_NUMBER})
        yield started


@pytest.fixture(scope="module")
def family_app(tmp_path_factory, provider):
    data_dir = tmp_path_factory.mktemp("family-e2e")
    url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(url)
    app = create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data_dir),
                                 OIDC_PROVIDERS=with_idporten(provider)))
    with app.extensions["referral_db"].session() as session:
        seed_demo(SqlUnitOfWork.on(session))
        session.commit()
    return app


@pytest.fixture(scope="module")
def base_url(family_app):
    with live_server(family_app) as served:
        family_app.config["BASE_URL"] = served  # the address registered at the provider
        yield served


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(10_000)
    # The provider's page asks a CDN for its style sheet; the tests have no outside network.
    context.route(re.compile(r"^https://"), lambda route: route.abort())
    opened = context.new_page()
    yield opened
    context.close()


class Api:
    """The professionals, through the API: the GP refers, BUP rejects, the coordinator acknowledges."""

    def __init__(self, app) -> None:
        self.app, self.client = app, app.test_client()

    def headers(self, email: str) -> dict[str, str]:
        response = self.client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def post(self, email: str, path: str, body: dict | None = None) -> dict:
        response = self.client.post(path, json=body, headers=self.headers(email))
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    def organisation_id(self, name: str) -> str:
        with self.app.extensions["referral_db"].session() as session:
            return session.exec(select(Organisation.id).where(Organisation.name == name)).one()


def ten_years_old() -> date:
    today = norway_today()
    return date(today.year - 10, 1, 1) if today > date(today.year, 1, 2) else date(today.year - 11, 6, 1)


def sign_in_with_id_porten(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/familie")
    expect(page).to_have_url(f"{base_url}/familie/logg-inn")
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.locator('input[name="sub"]').fill("idporten-forelder")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(f"{base_url}/familie")


def axe_problems(page: Page) -> dict[str, list[str]]:
    """What axe finds, and any sideways scrolling, at 1280 and at 390 px."""
    found = {}
    for name, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        widths = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        problems = [f"{widths['doc']} px wide in {widths['view']} px"] if widths["doc"] > widths["view"] else []
        violations = axe_violations(page)
        found[name] = problems + ([describe_violations(violations)] if violations else [])
    page.set_viewport_size(DESKTOP)
    return found


def test_a_guardian_signs_in_with_id_porten_and_always_knows_who_to_talk_to(page, base_url, family_app):
    api = Api(family_app)
    gp, bup, coordinator = "fastlege@askoy.example", "inntak@bup.example", "koordinator@askoy.example"
    referral = api.post(gp, "/api/v1/referrals", {
        "child": {"national_id": make_synthetic_national_id(ten_years_old(), seed=1010), "given_name": "Emil",
                  "family_name": "Strand", "home_municipality": "4627",
                  "guardians": [{"name": "Hege Strand", "phone": "40000001", "national_id": GUARDIAN_NUMBER}]},
        "clinic_id": api.organisation_id("BUP Bergen sentrum"),
        "reasons": ["anxiety"], "description": "Angst og vondt i magen før skolen, har vart siden sommeren.",
        "measures_tried": "Samtaler med helsesykepleier.", "child_view": "Jeg vil bli mindre redd.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"]}})
    rid = referral["id"]
    api.post(gp, f"/api/v1/referrals/{rid}/submit")
    with family_app.extensions["referral_db"].session() as session:
        due = session.get(Referral, rid).assessment_due

    sign_in_with_id_porten(page, base_url)
    expect(page.get_by_role("heading", level=2, name="Emil")).to_be_visible()
    page.get_by_role("link", name="Se hele saken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saken til Emil")
    expect(page.get_by_text(f"BUP vurderer henvisningen — svar innen {due:%d.%m.%Y}")).to_be_visible()
    who_now = page.get_by_role("region", name="Hvem skal dere snakke med nå?")
    expect(who_now).to_contain_text("BUP Bergen sentrum")
    assert axe_problems(page) == {"1280": [], "390": []}
    screenshot(page, "familie-sak-bup-vurderer")

    api.post(bup, f"/api/v1/referrals/{rid}/reject", {
        "reason_code": "not_specialist_need", "explanation": "Plagene kan møtes godt i kommunen.",
        "municipal_advice": "Samtaler hos kommunepsykologen."})
    worker = InProcessWorker(family_app)
    worker.run()  # the handover task for Askøy
    handover_id = api.client.get(f"/api/v1/referrals/{rid}", headers=api.headers(gp)).get_json()["handover_id"]
    assert handover_id
    api.post(coordinator, f"/api/v1/handovers/{handover_id}/acknowledge", {})

    page.reload()
    who_now = page.get_by_role("region", name="Hvem skal dere snakke med nå?")
    expect(who_now).to_contain_text(COORDINATOR)
    expect(who_now).to_contain_text("Askøy")
    expect(who_now.get_by_role("link", name=COORDINATOR_PHONE)).to_have_attribute("href", "tel:056271234")
    expect(page.get_by_text("Samtaler hos kommunepsykologen.")).to_be_visible()
    assert axe_problems(page) == {"1280": [], "390": []}
    screenshot(page, "familie-sak-kommunen-har-tatt-over")

    page.get_by_role("link", name="Alle henvisninger").click()
    expect(page.get_by_role("region", name="Hvem skal dere snakke med nå?")).to_contain_text(COORDINATOR)
    assert axe_problems(page) == {"1280": [], "390": []}
    page.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(f"{base_url}/familie/logg-inn")
    assert axe_problems(page) == {"1280": [], "390": []}
