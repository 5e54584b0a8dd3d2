"""A guardian reads a sent letter on the family page in Chromium: who to talk to now first, the PDF a link away; the
page fits a phone (390 px) and an office screen (1280 px), and axe-core finds no WCAG 2.1 A/AA violation.

The browser is signed in on the family page with the session a family sign-in starts (tests/support/family.py);
signing in through ID-porten itself is the family page's own journey (tests/e2e/test_family_page.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral_service.bootstrap import dependencies
from tests.e2e.helpers import axe_violations, describe_violations, screenshot
from tests.integration.test_family_letters import letter_of, record_guardian
from tests.integration.test_web_decisions import WebUser
from tests.support.family import family_client
from tests.support.world import build_world

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

SESSION_COOKIE = "henvisning_session"


def test_a_guardian_reads_a_sent_letter_on_a_phone_and_a_screen_and_axe_finds_nothing(e2e_app, base_url, open_page,
                                                                                      worker):
    world = build_world(e2e_app)
    today = dependencies(e2e_app).clock.today()
    born = (today - timedelta(days=45)).replace(year=today.year - 10, day=3)
    referral = world.create_referral("gp", birth_date=born)
    world.act("gp", referral["id"], "submit")
    worker.run()
    guardian = world.national_id(date(1983, 4, 4))
    record_guardian(e2e_app, referral["id"], guardian)
    letter = letter_of(e2e_app, referral["id"], "received")
    bup = WebUser(e2e_app, "bup")
    bup.get(f"/henvisninger/{referral['id']}/brev/{letter.id}")
    bup.submit("/send", {})

    signed_in = family_client(e2e_app, guardian)
    page = open_page()
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": signed_in.get_cookie(SESSION_COOKIE).value,
                               "url": base_url}])
    problems = []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(f"{base_url}/familie/brev/{letter.id}")
        assert response is not None and response.status == 200
        assert page.get_by_role("heading", name="Hvem skal dere snakke med nå?").is_visible()
        assert page.get_by_role("heading", level=1).inner_text() == "BUP har fått henvisningen"
        widths = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        if widths["doc"] > widths["view"]:
            problems.append(f"{widths['doc']} px wide in a {widths['view']} px window")
        violations = axe_violations(page)
        if violations:
            problems.append(f"at {width} px:\n{describe_violations(violations)}")
        screenshot(page, f"familie-brev-{width}")
    assert not problems, "\n".join(problems)
    pdf = page.request.get(base_url + page.get_by_role("link", name="Last ned brevet som PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
