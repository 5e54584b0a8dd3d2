"""Keyboard, focus and paper: after a refused submit the first Tab reaches the first error; the focus ring on the
blue header is measured at 3:1 or more; the referral and handover pages print their facts and timeline without
the header, navigation, forms or buttons; the phone shows who holds the child's case; the favicon answers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    PASSWORD,
    axe_violations,
    describe_violations,
    doc_screenshot,
    log_in,
    screenshot,
    tab_until_focused,
)
from tests.e2e.test_every_page import PHONE, _referral_in
from tests.support.loop import InProcessWorker
from tests.support.world import USERS, build_world

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

#: WCAG 2.1 1.4.11: a focus indicator needs 3:1 against the colours next to it.
NON_TEXT_CONTRAST = 3.0


@pytest.fixture(scope="module")
def seeded(e2e_app, demo_data) -> dict[str, str]:
    """A referral waiting for BUP Øyane, and a rejected one with the handover it left with Askøy."""
    world = build_world(e2e_app)
    submitted, rejected = _referral_in(world, "submitted"), _referral_in(world, "rejected")
    InProcessWorker(e2e_app).run()
    handover = world.get("gp", f"/api/v1/referrals/{rejected}").json["handover_id"]
    assert handover
    return {"submitted": submitted, "rejected": rejected, "handover": handover}


def _signed_in(open_page, base_url: str, who: str) -> Page:
    page = open_page()
    log_in(page, base_url, USERS[who], PASSWORD)
    return page


def _expect_first_tab_reaches_first_error(page: Page) -> None:
    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    violations = axe_violations(page)  # the refused page, with its messages, is checked like every other page
    assert not violations, describe_violations(violations)


# ---- focus after a refused submit -------------------------------------------------------------------------

def test_after_a_refused_referral_step_the_first_tab_reaches_the_first_error(open_page, base_url):
    page = _signed_in(open_page, base_url, "gp")
    page.goto(f"{base_url}/henvisninger/ny")
    next_button = page.get_by_role("button", name="Neste")
    next_button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Dette må rettes før du kan gå videre")).to_be_visible()
    _expect_first_tab_reaches_first_error(page)


def test_after_a_refused_decision_the_first_tab_reaches_the_first_error(open_page, base_url, seeded):
    page = _signed_in(open_page, base_url, "bup2")
    page.goto(f"{base_url}/inntak/{seeded['submitted']}")
    reject = page.get_by_role("button", name="Avslå", exact=True)
    reject.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Dette må rettes før du kan gå videre")).to_be_visible()
    _expect_first_tab_reaches_first_error(page)


# ---- the header's focus ring ------------------------------------------------------------------------------

def _luminance(css_colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", css_colour)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS rgb() colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_ratio_is_measured_as_wcag_defines_it():
    assert contrast_ratio("rgb(255, 255, 255)", "rgb(0, 0, 0)") == pytest.approx(21.0)
    assert contrast_ratio("rgb(41, 44, 48)", "rgb(0, 98, 186)") < NON_TEXT_CONTRAST  # the old ring: 2.3:1


@pytest.mark.parametrize("control", ["BUP-henvisning", "Tilbakehenvisninger", "Logg ut"])
def test_the_focus_ring_on_the_blue_header_has_at_least_3_to_1_contrast(open_page, base_url, control):
    page = _signed_in(open_page, base_url, "coordinator_askoy")
    page.goto(f"{base_url}/varsler")
    target = page.locator(".site-header").get_by_role("button" if control == "Logg ut" else "link", name=control,
                                                      exact=True)
    tab_until_focused(page, target)

    ring = target.evaluate("""element => { const style = getComputedStyle(element);
        return {colour: style.outlineColor, style: style.outlineStyle, width: parseFloat(style.outlineWidth)}; }""")
    header = page.locator(".site-header").evaluate("element => getComputedStyle(element).backgroundColor")
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    assert contrast_ratio(ring["colour"], header) >= NON_TEXT_CONTRAST, (ring["colour"], header)


# ---- print ------------------------------------------------------------------------------------------------

def _expect_printed_without_screen_parts(page: Page) -> None:
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Hovedmeny")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    forms = page.locator("form")
    assert forms.count() > 0, "the page has no form to hide"
    for index in range(forms.count()):
        expect(forms.nth(index)).to_be_hidden()
    expect(page.get_by_role("button")).to_have_count(0)  # hidden buttons are not in the accessibility tree
    expect(page.locator(".facts").first).to_be_visible()
    expect(page.get_by_role("heading", name="Tidslinje")).to_be_visible()
    expect(page.locator(".timeline").first).to_be_visible()


def test_the_referral_page_prints_the_facts_and_timeline_only(open_page, base_url, seeded):
    page = _signed_in(open_page, base_url, "gp")
    page.goto(f"{base_url}/henvisninger/{seeded['rejected']}")
    expect(page.get_by_role("navigation", name="Hovedmeny")).to_be_visible()

    _expect_printed_without_screen_parts(page)
    expect(page.get_by_text("Hvem har ansvaret nå")).to_be_visible()


def test_the_handover_page_prints_the_facts_and_timeline_only(open_page, base_url, seeded):
    page = _signed_in(open_page, base_url, "coordinator_askoy")
    page.goto(f"{base_url}/tilbakehenvisninger/{seeded['handover']}")
    expect(page.get_by_role("button", name="Bekreft mottatt")).to_be_visible()

    _expect_printed_without_screen_parts(page)
    expect(page.get_by_role("heading", name="Fra BUP")).to_be_visible()


# ---- the phone --------------------------------------------------------------------------------------------

def test_on_a_phone_the_referral_page_shows_who_holds_the_case_within_the_screen(open_page, base_url, seeded):
    page = _signed_in(open_page, base_url, "gp")
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/henvisninger/{seeded['rejected']}")

    holder = page.locator(".facts dt", has_text="Hvem har ansvaret nå").locator("xpath=following-sibling::dd[1]")
    expect(holder).to_contain_text("Askøy kommune")
    box = holder.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(page, "henvisning-mobil")
    doc_screenshot(page, "henvisning-mobil")


# ---- favicon ----------------------------------------------------------------------------------------------

def test_the_favicon_is_linked_and_answers_at_favicon_ico(open_page, base_url):
    page = open_page()
    page.goto(f"{base_url}/logg-inn")
    icon = page.locator('link[rel="icon"]').get_attribute("href")

    svg = page.request.get(base_url + icon)
    assert svg.ok and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text()
    ico = page.request.get(f"{base_url}/favicon.ico")
    assert ico.ok and ico.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
    assert ico.body()[:4] == b"\x00\x00\x01\x00"  # an icon file's header
