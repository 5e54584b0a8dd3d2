"""Inntak with 200 referrals to one clinic, in Chromium: each section, tab, filter and the search show exactly the
right rows; a search by full identity number finds the child, and the number is in no URL the browser asked for
(redirects included) and nowhere in the live server's log. The page fits a phone (390 px) and axe-core finds no
violation of any impact at 390 and 1280 px.

The referrals are seeded through the API (a test client, not the browser) on an app of this module's own, so the
journeys' queue and this one never mix."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from config import load_config
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.migrations import upgrade
from tests.e2e.helpers import (
    CONTEXT_OPTIONS,
    INTAKE,
    PASSWORD,
    axe_violations,
    describe_violations,
    log_in,
    screenshot,
)
from tests.support.browser import live_server
from tests.support.clock import TestClock
from tests.support.world import World, build_world

#: How many referrals of each kind the clinic holds (200 in all), by the family name the children share.
KINDS = {
    "Venter": 120,      # sent, waiting for assessment
    "Haster": 20,       # sent as urgent
    "Sent": 10,         # sent a month ago: past the assessment deadline
    "Svarsen": 10,      # BUP asked for more, and the referrer answered
    "Spurt": 10,        # BUP asked for more, no answer yet
    "Oppstart": 10,     # given the right to care
    "Behandles": 5,     # in treatment
    "Avslag": 5,        # rejected
    "Videresendt": 5,   # forwarded to another clinic
    "Trukket": 3,       # withdrawn by the referrer after sending
    "Utskrevet": 2,     # discharged
}
DECIDED = ("Avslag", "Videresendt", "Trukket", "Utskrevet")
WAITING = ("Venter", "Haster", "Sent", "Svarsen", "Spurt")
ASK = ("bup", "request-information", {"questions": "Hvor lenge har det vart?"})


@dataclass
class Seeded:
    """The clinic's referrals by kind (ids in the order they were sent) and one child's identity number."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    number_of: dict[str, str] = field(default_factory=dict)

    def of(self, *kinds: str) -> set[str]:
        return {rid for kind in kinds for rid in self.ids[kind]}


def _steps(kind: str, world: World, today) -> list[tuple[str, str, dict | None]]:
    later = (today + timedelta(days=30)).isoformat()
    accept = ("bup", "accept", {"care_start_due": later})
    start = ("bup", "start-treatment", {"first_appointment_on": today.isoformat()})
    return {
        "Svarsen": [ASK, ("gp", "supplement", {"text": "Siden august, verre etter jul."})],
        "Spurt": [ASK],
        "Oppstart": [accept],
        "Behandles": [accept, start],
        "Avslag": [("bup", "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke spesialistbehov.",
                                      "municipal_advice": "Samtaler hos helsesykepleier."})],
        "Videresendt": [("bup", "forward", {"clinic_id": world.orgs["bup2"].id, "reason": "Bosted"})],
        "Trukket": [("gp", "withdraw", {"reason": "Familien flytter."})],
        "Utskrevet": [accept, start, ("bup", "discharge", {
            "summary": "Bedre.", "follow_up_recommendations": "Samtaler.", "epikrise_sent": True})],
    }.get(kind, [])


def _seed(world: World, clock: TestClock) -> Seeded:
    seeded = Seeded()
    for kind, count in KINDS.items():
        if kind == "Sent":
            clock.set(datetime.now(UTC) - timedelta(days=30))
        today = dependencies(world.app).clock.today()
        seeded.ids[kind] = []
        for i in range(count):
            # A birth date of its own: every child is another child (numbers of one birth date can repeat).
            born = date(2011, 1, 1) + timedelta(days=len(seeded.number_of))
            body = world.referral_body(urgency="urgent" if kind == "Haster" else "normal", birth_date=born)
            body["child"].update(given_name=f"Barn{i:03d}", family_name=kind)
            created = world.post("gp", "/api/v1/referrals", json=body)
            assert created.status_code == 201, created.json
            rid = created.json["id"]
            world.act("gp", rid, "submit")
            for who, action, data in _steps(kind, world, today):
                world.act(who, rid, action, data)
            seeded.ids[kind].append(rid)
            seeded.number_of[rid] = body["child"]["national_id"]
        clock.reset()
    assert sum(len(ids) for ids in seeded.ids.values()) == 200
    return seeded


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Iterator[tuple[str, Seeded]]:
    """A live server with 200 referrals to BUP Bergen sentrum: (its address, what was seeded)."""
    data_dir = tmp_path_factory.mktemp("intake-e2e")
    url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(url)
    clock = TestClock()
    app = create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data_dir), CLOCK=clock))
    world = build_world(app)
    world.clock = clock
    seeded = _seed(world, clock)
    with live_server(app) as base_url:
        yield base_url, seeded


class Traces(logging.Handler):
    """Every log line the live server writes (its request log and the app's own) while the browser works."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def server_log() -> Iterator[list[str]]:
    traces = Traces()
    loggers = [logging.getLogger(), logging.getLogger("werkzeug"), logging.getLogger("referral_service")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(traces)
        logger.setLevel(logging.INFO)
    yield traces.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(traces)
        logger.setLevel(level)


@pytest.fixture
def intake(browser, clinic) -> Iterator[tuple[Page, list[str]]]:
    """BUP's intake worker signed in; with every address the browser asked for (redirects included)."""
    base_url, _ = clinic
    context = browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(15_000)
    page = context.new_page()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.on("response", lambda response: visited.append(response.headers.get("location", "")))
    log_in(page, base_url, INTAKE, PASSWORD)
    yield page, visited
    context.close()


def section_ids(page: Page, heading_id: str) -> list[str]:
    """The referrals listed under one section's heading (each row links to its assessment page)."""
    region = page.locator(f'.table-scroll[aria-labelledby="{heading_id}"]')
    if region.count() == 0:
        return []
    hrefs = region.locator('a[href^="/inntak/"]').evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href.rsplit("/", 1)[1] for href in hrefs]


def all_pages_of(page: Page, heading_id: str, pages_label: str) -> list[str]:
    """Every referral of a section, following its "Neste side" to the end."""
    seen = section_ids(page, heading_id)
    nav = page.get_by_role("navigation", name=pages_label)
    number = 1
    while nav.count() and nav.get_by_role("link", name="Neste side").count():
        nav.get_by_role("link", name="Neste side").click()
        number += 1
        expect(nav.locator('[aria-current="page"]')).to_contain_text(f"Side {number}")
        seen += section_ids(page, heading_id)
    return seen


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")


def search_for(page: Page, text: str) -> None:
    page.get_by_label("Søk på navn eller fødselsnummer").fill(text)
    page.get_by_role("button", name="Søk", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Viser treff for")).to_be_visible()


def clear_search(page: Page) -> None:
    page.get_by_role("button", name="Fjern søket").click()
    expect(page.get_by_role("status").filter(has_text="Viser treff for")).to_have_count(0)


def filter_by(page: Page, label: str | re.Pattern) -> None:
    page.get_by_label(label, exact=True).check() if isinstance(label, str) else page.get_by_label(label).check()
    page.get_by_role("button", name="Bruk filteret").click()
    expect(page.get_by_role("link", name="Fjern filteret")).to_be_visible()


def clear_filter(page: Page) -> None:
    page.get_by_role("link", name="Fjern filteret").click()
    expect(page.get_by_role("link", name="Fjern filteret")).to_have_count(0)


def test_each_section_filter_tab_and_search_shows_exactly_its_rows(clinic, intake, server_log):
    base_url, seeded = clinic
    page, visited = intake
    page.goto(f"{base_url}/inntak")

    # The open sections: every waiting referral (the urgent first), those to start, those in treatment.
    expect(page.get_by_role("heading", level=1)).to_have_text("Inntak")
    waiting = all_pages_of(page, "venter-vurdering", "Sider med henvisninger som venter på vurdering")
    assert sorted(waiting) == sorted(seeded.of(*WAITING)) and len(waiting) == 170
    assert set(waiting[:20]) == seeded.of("Haster")
    page.goto(f"{base_url}/inntak")
    assert set(section_ids(page, "venter-oppstart")) == seeded.of("Oppstart")
    assert set(section_ids(page, "under-behandling")) == seeded.of("Behandles")

    # Each filter.
    filter_by(page, "haster")
    assert set(section_ids(page, "venter-vurdering")) == seeded.of("Haster")
    assert section_ids(page, "venter-oppstart") == section_ids(page, "under-behandling") == []
    clear_filter(page)

    filter_by(page, re.compile("^er nær fristen"))
    assert set(section_ids(page, "venter-vurdering")) == seeded.of("Sent")
    clear_filter(page)

    filter_by(page, re.compile("^har fått svar fra henviser"))
    answered = section_ids(page, "venter-vurdering")
    assert set(answered) == seeded.of("Svarsen")
    rows = page.locator('.table-scroll[aria-labelledby="venter-vurdering"] tbody tr')
    expect(rows.filter(has_text="Svar mottatt")).to_have_count(10)
    clear_filter(page)

    # The decided tab, newest first, and by outcome.
    open_tab(page, "Avgjorte henvisninger")
    decided = section_ids(page, "avgjorte")
    newest_first = [rid for kind in reversed(DECIDED) for rid in reversed(seeded.ids[kind])]
    assert decided == newest_first
    page.get_by_label("Utfall").select_option(label="Avslag")
    page.get_by_role("button", name="Bruk filteret").click()
    expect(page).to_have_url(re.compile(r"utfall=rejected"))
    assert section_ids(page, "avgjorte") == list(reversed(seeded.ids["Avslag"]))

    # A search by name, on both tabs.
    open_tab(page, "Åpne henvisninger")
    search_for(page, "svarsen")
    assert set(section_ids(page, "venter-vurdering")) == seeded.of("Svarsen")
    open_tab(page, "Avgjorte henvisninger")
    expect(page.get_by_text("Ingen henvisninger her passer til søket eller filteret.")).to_be_visible()
    clear_search(page)

    # A search by the full identity number finds the child, on the page of decided referrals too.
    child = seeded.ids["Utskrevet"][0]
    number = seeded.number_of[child]
    search_for(page, number)
    assert section_ids(page, "avgjorte") == [child]
    open_tab(page, "Åpne henvisninger")
    assert section_ids(page, "venter-vurdering") == section_ids(page, "venter-oppstart") == []
    clear_search(page)
    waiting_child = seeded.ids["Spurt"][3]
    number = seeded.number_of[waiting_child]
    search_for(page, number)
    assert section_ids(page, "venter-vurdering") == [waiting_child]
    assert number not in page.content()

    # The numbers searched for went into no address the browser asked for, and into no line of the server's log.
    assert visited and server_log, "the browser's requests and the server's log were both seen"
    for searched in (seeded.number_of[child], number):
        assert not [url for url in visited if searched in url]
        assert not [line for line in server_log if searched in line]
    assert any("POST /inntak" in line for line in server_log)  # the search was logged, without its text


@pytest.mark.parametrize("width", [390, 1280])
def test_inntak_and_the_assessment_page_fit_the_screen_and_pass_axe(clinic, intake, width):
    base_url, seeded = clinic
    page, visited = intake
    page.set_viewport_size({"width": width, "height": 900})
    answered = seeded.ids["Svarsen"][0]

    for path in ("/inntak", "/inntak?visning=avgjort", "/inntak?haster=ja", f"/inntak/{answered}"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("h1")).to_have_count(1)
        violations = axe_violations(page)
        assert not violations, f"axe on {path} at {width} px:\n{describe_violations(violations)}"
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= page.evaluate("window.innerWidth"), f"{path} is {scroll_width} px wide at {width} px"
        screenshot(page, f"inntak-{width}-{path.strip('/').replace('/', '-').replace('?', '-')}")

    # The assessment page says who referred, and reveals the full number on request only.
    number = seeded.number_of[answered]
    expect(page.locator("#henvist-av")).to_contain_text("Frida Fastlege, Askøy legesenter")
    expect(page.locator("#medhenvisere")).to_have_text("Ingen")
    assert number not in page.content()
    page.get_by_role("button", name="Vis hele fødselsnummeret").click()
    expect(page.locator("#fodselsnummer")).to_have_text(number)
    assert not [url for url in visited if number in url]
