"""In Chromium: what a school nurse typed survives the end of the session (the form comes back filled in after
signing in again), the pages say when the session ends and warn before it does, and "Lagre utkast" saves what is
valid of step 1. Each page is checked with axe at a phone's width and at an office PC's."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from referral_service.domain.national_id import make_synthetic_national_id
from tests.e2e.helpers import NURSE, PASSWORD, axe_violations, describe_violations, log_in, screenshot

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

SESSION_COOKIE = "henvisning_session"
DESCRIPTION = "Gruer seg til skolen hver morgen og har vondt i magen; har sluttet på fotball i høst."
PHONE, PC = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _fits_and_passes_axe(page: Page, name: str) -> None:
    """At 390 and 1280 px: no sideways scrolling of the page, and no axe finding of any impact."""
    for viewport in (PHONE, PC):
        page.set_viewport_size(viewport)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} is {width} px wide at {viewport['width']} px"
        violations = axe_violations(page)
        assert not violations, f"axe on {name} at {viewport['width']} px:\n{describe_violations(violations)}"
    screenshot(page, name)


def _fill_step_one(page: Page, *, seed: int) -> None:
    page.get_by_role("link", name="Ny henvisning", exact=True).click()
    page.get_by_label("Fødselsnummer eller D-nummer").fill(make_synthetic_national_id(date(2013, 2, 3), seed=seed))
    page.get_by_label("Barnets fornavn").fill("Sigrid")
    page.get_by_label("Barnets etternavn").fill("Øktesen")
    page.get_by_label("Kommunen der barnet bor").select_option("4601")
    page.get_by_role("group", name="Foresatt 1").get_by_label("Navn", exact=True).fill("Guro Øktesen")
    page.get_by_label("BUP-poliklinikk").select_option(label="BUP Bergen sentrum")


def test_what_was_typed_when_the_session_ended_is_back_after_signing_in_again(open_page, base_url):
    page = open_page()
    log_in(page, base_url, NURSE, PASSWORD)
    _fill_step_one(page, seed=5101)
    page.get_by_role("button", name="Neste").click()
    expect(page.get_by_role("heading", name="Hvorfor henvises barnet?")).to_be_visible()
    step_two = page.url
    page.get_by_label("Angst", exact=True).check()
    page.get_by_label("Beskriv vanskene").fill(DESCRIPTION)

    page.context.clear_cookies(name=SESSION_COOKIE)  # the session ends while the nurse writes
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Det du skrev er tatt vare på")
    _fits_and_passes_axe(page, "logg-inn-skjema-tatt-vare-paa")
    page.get_by_label("E-post", exact=True).fill(NURSE)
    page.get_by_label("Passord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()

    expect(page).to_have_url(step_two)
    expect(page.get_by_role("heading", name="Hvorfor henvises barnet?")).to_be_visible()
    expect(page.get_by_label("Beskriv vanskene")).to_have_value(DESCRIPTION)
    expect(page.get_by_label("Angst", exact=True)).to_be_checked()
    expect(page.get_by_role("alert").filter(has_text="Det du skrev er fylt inn igjen")).to_be_visible()
    _fits_and_passes_axe(page, "ny-henvisning-steg-2-fylt-inn-igjen")

    page.get_by_role("button", name="Neste").click()
    expect(page.get_by_role("heading", name="Barnets stemme", level=2)).to_be_visible()


def test_the_page_warns_before_the_session_ends_and_forleng_okten_renews_it(open_page, base_url):
    page = open_page()
    page.clock.install()  # the page's timers run on a clock the test moves; nothing waits for real minutes
    log_in(page, base_url, NURSE, PASSWORD)
    page.get_by_role("link", name="Ny henvisning", exact=True).click()
    notice = page.locator("#okt-slutt")
    expect(notice).to_have_text(re.compile(r"^Du blir logget ut kl\. \d\d:\d\d hvis du ikke gjør noe\.$"))
    extend = page.get_by_role("button", name="Forleng økten")
    expect(extend).to_be_hidden()

    page.clock.fast_forward("25:30")
    expect(page.get_by_text(re.compile("Du blir snart logget ut"))).to_be_visible()
    expect(extend).to_be_visible()
    _fits_and_passes_axe(page, "okt-varsel")

    extend.click()
    expect(page.get_by_text("Økten er forlenget.")).to_be_visible()
    expect(extend).to_be_hidden()
    expect(notice).to_be_focused()

    page.clock.fast_forward("30:30")
    expect(page.get_by_text(re.compile("^Du er logget ut\\."))).to_be_visible()


def test_saving_step_one_with_a_guardian_half_filled_in_saves_the_rest(open_page, base_url):
    page = open_page()
    log_in(page, base_url, NURSE, PASSWORD)
    _fill_step_one(page, seed=5102)
    page.get_by_role("group", name="Foresatt 2").get_by_label("Telefon", exact=True).fill("41111111")
    page.get_by_role("button", name="Lagre utkast").click()

    expect(page.get_by_role("alert").filter(has_text="Utkastet er lagret, men ikke foresatt 2.")).to_be_visible()
    guardian = page.get_by_role("group", name="Foresatt 2")
    expect(guardian.get_by_label("Navn", exact=True)).to_have_accessible_description(
        re.compile("Skriv navnet på den foresatte"))
    expect(guardian.get_by_label("Telefon", exact=True)).to_have_value("41111111")
    _fits_and_passes_axe(page, "ny-henvisning-lagret-delvis")

    # The draft exists: the other steps can be opened from here.
    expect(page.get_by_role("navigation", name="Steg i henvisningen").get_by_role("link", name="2. Hvorfor")
           ).to_be_visible()


def test_after_log_out_a_copy_of_the_cookie_taken_before_opens_nothing(open_page, base_url):
    """Issue 13, must show 2, in Chromium: log-out ends the session on the server, not only the browser's copy."""
    page = open_page()
    log_in(page, base_url, NURSE, PASSWORD)
    page.goto(f"{base_url}/henvisninger")
    expect(page.get_by_role("heading", name="Mine henvisninger", level=1)).to_be_visible()
    copied = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert copied

    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
    page.context.add_cookies(copied)  # the cookie as it was before logging out
    page.goto(f"{base_url}/henvisninger")
    expect(page.get_by_role("heading", name="Logg inn", level=1)).to_be_visible()
