"""Signing in through a real OpenID Connect provider in Chromium (issue 13, must-show 4): a user mapped by HPR
number (HelseID) or e-mail (Entra ID) gets in and sees their role's start page; an unknown person gets the Norwegian
refusal; the callback opened again, and an ID token with another nonce, are refused.

The app runs with two providers configured, both served by oidc-provider-mock on this machine
(tests/support/oidc_provider.py); the person signs in on the provider's page by typing their subject.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import select

from config import load_config
from referral_service import create_app
from referral_service.demo import seed_demo
from referral_service.domain.organisation import Organisation
from referral_service.migrations import upgrade
from referral_service.services.admin.directory import create_user
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.e2e.helpers import CONTEXT_OPTIONS, axe_violations, describe_violations
from tests.support.browser import live_server
from tests.support.oidc_provider import HPR_CLAIM, helseid_and_entra, local_provider
from tests.support.world import USERS

DOCTOR_HPR = "987654321"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def provider():
    with local_provider() as started:
        started.set_claims("helseid-lege", {HPR_CLAIM: DOCTOR_HPR, "name": "Lene Lege"})
        started.set_claims("entra-koordinator", {"email": USERS["coordinator_bergen"], "email_verified": True})
        started.set_claims("entra-ukjent", {"email": "ukjent@annen-kommune.example", "email_verified": True})
        yield started


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, provider):
    """The app with HelseID and Entra ID configured, the demo users, and a GP with an HPR number."""
    data_dir = tmp_path_factory.mktemp("oidc-e2e")
    url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(url)
    app = create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data_dir),
                                 OIDC_PROVIDERS=helseid_and_entra(provider)))
    with app.extensions["referral_db"].session() as session:
        seed_demo(SqlUnitOfWork.on(session))
        session.commit()
        gp_office = session.exec(select(Organisation).where(Organisation.kind == "gp_office")).first()
        create_user(SqlUnitOfWork.on(session), actor=None, email="lene.lege@askoy.example", name="Lene Lege",
                    password="et-langt-passord-2026", organisation_id=gp_office.id, roles=["referrer"],
                    profession="doctor", hpr_number=DOCTOR_HPR)
    with live_server(app) as served:
        app.config["BASE_URL"] = served  # the address registered at the provider
        yield served


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context(**CONTEXT_OPTIONS)
    # The provider's page asks a CDN for its style sheet; the tests have no outside network.
    context.route(re.compile(r"^https://"), lambda route: route.abort())
    opened = context.new_page()
    yield opened
    context.close()


def sign_in_with(page: Page, base_url: str, provider_name: str, subject: str) -> None:
    """From the login page through the provider's page, as `subject`."""
    page.goto(f"{base_url}/logg-inn")
    page.get_by_role("link", name=f"Logg inn med {provider_name}").click()
    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize").click()


def test_a_doctor_mapped_by_hpr_number_signs_in_with_helseid_and_sees_their_referrals(page, base_url):
    sign_in_with(page, base_url, "HelseID", "helseid-lege")
    expect(page).to_have_url(f"{base_url}/henvisninger")
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(page.get_by_text("Lene Lege").first).to_be_visible()


def test_a_coordinator_mapped_by_email_signs_in_with_entra_id_and_sees_the_handovers(page, base_url):
    sign_in_with(page, base_url, "Kommunens pålogging (Entra ID)", "entra-koordinator")
    expect(page).to_have_url(f"{base_url}/tilbakehenvisninger")
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()


def test_an_unknown_person_is_told_in_norwegian_to_ask_their_administrator(page, base_url):
    sign_in_with(page, base_url, "Kommunens pålogging (Entra ID)", "entra-ukjent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du har ikke tilgang her")
    expect(page.get_by_text("Be administratoren din om tilgang.")).to_be_visible()
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)
    page.goto(f"{base_url}/henvisninger")
    expect(page).to_have_url(re.compile(r"/logg-inn"))


def refusal_reasons(caplog) -> list[str]:
    """The reasons the service logged for the sign-ins it refused (the live server runs in this process)."""
    return [r.reason for r in caplog.records if r.getMessage() == "oidc sign-in refused"]


def test_the_callback_opened_again_is_refused(page, base_url, caplog):
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/tilbake?" in request.url else None)
    sign_in_with(page, base_url, "HelseID", "helseid-lege")
    expect(page).to_have_url(f"{base_url}/henvisninger")
    page.goto(callbacks[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Påloggingen ble ikke fullført")
    expect(page.get_by_text("Start påloggingen på nytt.", exact=False)).to_be_visible()
    assert refusal_reasons(caplog) == ["state_unknown_or_used"]


def test_an_id_token_with_another_nonce_is_refused(page, base_url, provider, caplog):
    def other_nonce(route: Route) -> None:
        parts = urlsplit(route.request.url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        route.continue_(url=urlunsplit(parts._replace(query=urlencode({**query, "nonce": "en-annen-nonce"}))))

    # Between the app and the provider the nonce is changed: the provider's ID token then carries another one.
    page.route(re.compile(re.escape(provider.issuer) + r"/oauth2/authorize"), other_nonce)
    sign_in_with(page, base_url, "HelseID", "helseid-lege")
    expect(page.get_by_role("heading", level=1)).to_have_text("Påloggingen ble ikke fullført")
    assert refusal_reasons(caplog) == ["id_token_nonce"]
    page.goto(f"{base_url}/henvisninger")
    expect(page).to_have_url(re.compile(r"/logg-inn"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_login_page_with_providers_and_the_refusal_fit_and_pass_axe(page, base_url, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{base_url}/logg-inn")
    expect(page.get_by_role("link", name="Logg inn med HelseID")).to_be_visible()
    pages = {"login": _problems(page)}
    sign_in_with(page, base_url, "Kommunens pålogging (Entra ID)", "entra-ukjent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du har ikke tilgang her")
    pages["refusal"] = _problems(page)
    assert pages == {"login": [], "refusal": []}


def _problems(page: Page) -> list[str]:
    widths = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
    problems = [f"{widths['doc']} px wide in {widths['view']} px"] if widths["doc"] > widths["view"] else []
    violations = axe_violations(page)
    return problems + ([describe_violations(violations)] if violations else [])
