"""Every page of every role, on a phone (390 px) and an office screen (1280 px): the page never scrolls
sideways, and axe-core finds no WCAG 2.1 A/AA violation of any impact.

The pages are listed per role in PAGES (easy to extend when a page is added). The data they need (a referral in
each state, a handover) is seeded through the API, at BUP Øyane and Askøy, away from the journeys' people.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.family import FamilyLetter
from tests.e2e.helpers import PASSWORD, axe_violations, describe_violations, log_in, screenshot
from tests.support.loop import InProcessWorker
from tests.support.world import USERS, World, build_world

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

#: The pages each role has, as paths with the seeded records' ids in braces (the header menu's pages are added
#: by themselves). A page that answers something other than 200 says so: (path, status).
REFERRER_PAGES = ["/henvisninger", "/henvisninger?fane=avsluttede",
                  "/henvisninger?status=waiting&sortering=sendt-eldste", "/henvisninger/ny", "/varsler", "/oversikt",
                  ("/inntak", 403),
                  ("/tilbakehenvisninger", 403), ("/finnes-ikke", 404)]
MUNICIPAL_PAGES = ["/tilbakehenvisninger", "/tilbakehenvisninger?vis=avsluttede",
                   "/tilbakehenvisninger?ansvar=ingen&eskalert=1&sorter=kontakt", "/tilbakehenvisninger/{handover}",
                   "/varsler", "/oversikt",
                   ("/inntak", 403), ("/henvisninger", 403)]
PAGES: dict[str, list[str | tuple[str, int]]] = {
    "gp": [*REFERRER_PAGES,
           *(f"/henvisninger/{{draft}}/steg/{step}" for step in range(1, 7)),
           "/henvisninger/{draft}", "/henvisninger/{submitted}", "/henvisninger/{information_requested}",
           "/henvisninger/{accepted}", "/henvisninger/{rejected}", "/henvisninger/{discharged}",
           "/henvisninger/{withdrawn}", "/tilbakehenvisninger/{handover}", "/henvisninger/{submitted}/samtykke",
           "/henvisninger/{accepted}/samtykke", "/passord", ("/admin/brukere/{person}/nytt-passord", 403),
           ("/henvisninger/{rejected}/brev/{letter}", 404)],
    "nurse_bergen": REFERRER_PAGES,
    "ppt": REFERRER_PAGES,
    "bup2": ["/inntak", "/inntak?visning=avgjort", "/inntak?haster=ja&naer_fristen=ja&svar_mottatt=ja",
             ("/henvisninger/{submitted}/samtykke", 404), "/inntak/{submitted}", "/inntak/{information_requested}",
             "/inntak/{accepted}",
             "/inntak/{in_treatment}", "/inntak/{discharged}", "/tilbakehenvisninger/{handover}", "/varsler",
             "/oversikt", ("/henvisninger", 403), ("/henvisninger/ny", 403), ("/tilbakehenvisninger", 403),
             "/henvisninger/{rejected}/brev/{letter}"],
    "coordinator_askoy": MUNICIPAL_PAGES,
    "lead_askoy": MUNICIPAL_PAGES,
    "lead_gp": ["/tilbakehenvisninger", "/varsler", ("/oversikt", 403), ("/inntak", 403), ("/henvisninger", 403)],
    "admin": ["/oversikt", "/varsler", ("/inntak", 403), "/admin", "/admin/virksomheter", "/admin/brukere",
              "/admin/brukere?virksomhet={gp_org}", "/admin/brukere/{gp_user}", "/admin/henvisningsrett",
              "/passord", "/admin/brukere/{person}/nytt-passord", "/admin/drift", ("/revisjon", 403),
              ("/revisjon/innsyn", 403)],
    "auditor": ["/oversikt", "/varsler", ("/tilbakehenvisninger", 403), ("/admin", 403), ("/admin/drift", 403),
                "/revisjon",
                "/revisjon/kontroll", "/revisjon/innsyn", "/revisjon/innsyn/utskrift"],
}
#: Pages seen before signing in.
ANONYMOUS_PAGES: list[str | tuple[str, int]] = ["/logg-inn", ("/finnes-ikke", 404)]

#: How each state is reached through the API, by the GP and BUP Øyane (World.referral_in works at BUP Bergen).
CLINIC = "bup2"


def _steps(status: str, today) -> list[tuple[str, str, dict | None]]:
    later = (today + timedelta(days=30)).isoformat()
    submit, accept = ("gp", "submit", None), (CLINIC, "accept", {"care_start_due": later})
    start = (CLINIC, "start-treatment", {"first_appointment_on": today.isoformat()})
    return {
        "draft": [],
        "submitted": [submit],
        "information_requested": [submit, (CLINIC, "request-information", {"questions": "Hvor lenge har det vart?"})],
        "accepted": [submit, accept],
        "in_treatment": [submit, accept, start],
        "discharged": [submit, accept, start, (CLINIC, "discharge", {
            "summary": "Bedre etter tolv samtaler.", "follow_up_recommendations": "Samtaler hos helsesykepleier.",
            "epikrise_sent": True})],
        "rejected": [submit, (CLINIC, "reject", {
            "reason_code": "not_specialist_need", "explanation": "Vanskene kan møtes i kommunen først.",
            "municipal_advice": "Tilbud hos kommunepsykolog i åtte uker."})],
        "withdrawn": [("gp", "withdraw", {"reason": "Familien flytter."})],
    }[status]


def _referral_in(world: World, status: str) -> str:
    referral = world.create_referral("gp", clinic=CLINIC)
    today = dependencies(world.app).clock.today()
    for who, action, body in _steps(status, today):
        referral = world.act(who, referral["id"], action, body)
    assert referral["status"] == status
    return referral["id"]


@pytest.fixture(scope="module")
def records(e2e_app, demo_data) -> dict[str, str]:
    """A referral in each state and the handover BUP's rejection leaves with Askøy: their ids by name."""
    world = build_world(e2e_app)
    ids = {status: _referral_in(world, status) for status in (
        "draft", "submitted", "information_requested", "accepted", "in_treatment", "discharged", "rejected",
        "withdrawn")}
    InProcessWorker(e2e_app).run()
    handover = world.get("gp", f"/api/v1/referrals/{ids['rejected']}").json["handover_id"]
    assert handover, "the rejection left no handover"
    # "person": a user whose password an administrator may reset (the page only asks to confirm before the POST).
    with e2e_app.extensions["referral_db"].session() as session:  # BUP's letter to the family about its rejection
        letter = session.exec(select(FamilyLetter.id).where(FamilyLetter.referral_id == ids["rejected"],
                                                            FamilyLetter.kind == "rejected")).one()
    return {**ids, "handover": handover, "gp_user": world.users["gp"].id, "gp_org": world.orgs["gp"].id,
            "person": world.users["ppt"].id, "letter": letter}


def _problems_on(page: Page, base_url: str, path: str, status: int, name: str) -> list[str]:
    """What is wrong with one page at the page's current width: status, sideways scrolling, axe findings."""
    problems = []
    response = page.goto(base_url + path)
    if response is None or response.status != status:
        problems.append(f"{path}: answered {response.status if response else None}, expected {status}")
    widths = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
    if widths["doc"] > widths["view"]:
        screenshot(page, name)
        problems.append(f"{path}: the page is {widths['doc']} px wide in a {widths['view']} px window")
    violations = axe_violations(page)
    if violations:
        problems.append(f"{path} at {widths['view']} px:\n{describe_violations(violations)}")
    return problems


def _visit_all(page: Page, base_url: str, who: str, pages: list, records: dict[str, str]) -> list[str]:
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for entry in pages:
            path, status = entry if isinstance(entry, tuple) else (entry, 200)
            path = path.format(**records)
            name = f"every-page-{who}-{viewport['width']}-{path.strip('/').replace('/', '-') or 'start'}"
            problems += _problems_on(page, base_url, path, status, name)
    return problems


def _with_menu(page: Page, pages: list) -> list:
    """The listed pages and every page the header's menu offers, so that a page added to the menu is visited too."""
    listed = {entry[0] if isinstance(entry, tuple) else entry for entry in pages}
    menu = page.locator('nav[aria-label="Hovedmeny"] a').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert menu, "the header has no menu"
    return [*pages, *(href for href in menu if href not in listed)]


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_of_a_role_fits_a_phone_and_passes_axe(who, open_page, base_url, records):
    page = open_page()
    log_in(page, base_url, USERS[who], PASSWORD)
    problems = _visit_all(page, base_url, who, _with_menu(page, PAGES[who]), records)
    assert not problems, "\n".join(problems)


def test_the_pages_before_signing_in_fit_a_phone_and_pass_axe(open_page, base_url, records):
    problems = _visit_all(open_page(), base_url, "anonymous", ANONYMOUS_PAGES, records)
    assert not problems, "\n".join(problems)
