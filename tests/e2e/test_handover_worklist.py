"""Tilbakehenvisninger with 200 tasks of one municipality, in Chromium: every filter, sort and search shows exactly
the tasks it should (compared with what was seeded); a search by full identity number finds the child, and the
number is in no address the browser visited and nowhere in the server's log. The list fits a phone (390 px) and
axe-core finds nothing at 390 or 1280 px.

The module has its own app and database (seeded through the API and the background work, not the browser), so the
other journeys' lists are not crowded by these tasks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from config import load_config
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.migrations import upgrade
from referral_service.services.loop.sweeps import run_sweeps
from tests.e2e.helpers import CONTEXT_OPTIONS, PASSWORD, axe_violations, describe_violations, log_in, screenshot
from tests.support.browser import live_server
from tests.support.clock import TestClock
from tests.support.loop import InProcessWorker
from tests.support.world import USERS, World, build_world

OSLO = ZoneInfo("Europe/Oslo")
COUNT = 200
GIVEN = ("Sara", "Ola", "Emma", "Jonas", "Nora", "Filip", "Ella", "Lukas", "Maja", "Noah",
         "Olivia", "Isak", "Leah", "Aksel", "Frida", "Henrik", "Ingrid", "Tobias", "Alma", "Magnus")
FAMILY = ("Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
          "Jensen")
ME, COLLEAGUE = "coordinator_askoy", "lead_askoy"
LINK = re.compile(r"/tilbakehenvisninger/([0-9a-f-]{36})$")
AWAITING_FIRST_CONTACT = {"open", "acknowledged", "assigned"}


@dataclass
class Seeded:
    """One seeded task as the test knows it (the service's own row read back through the API)."""

    id: str
    name: str
    number: str
    status: str
    assignee_user_id: str | None
    assigned_service: str | None
    escalation_level: int
    acknowledge_due: str
    first_contact_due: str
    created_at: str

    def overdue(self, today: date) -> bool:
        return ((self.status == "open" and date.fromisoformat(self.acknowledge_due) < today)
                or (self.status in AWAITING_FIRST_CONTACT and date.fromisoformat(self.first_contact_due) < today))


def _child(world: World, i: int) -> dict:
    body = world.referral_body(birth_date=date(2011 + i % 5, 1 + i % 12, 1 + i % 28))
    body["child"].update(given_name=GIVEN[i % len(GIVEN)], family_name=FAMILY[i // len(GIVEN)])
    return body


def _rejected(world: World, body: dict) -> str:
    referral = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                                "municipal_advice": "Kommunepsykolog."})
    return referral["id"]


def _step(world: World, handover_id: str, action: str, body: dict | None = None) -> None:
    response = world.post(ME, f"/api/v1/handovers/{handover_id}/{action}", json=body)
    assert response.status_code == 200, (action, response.json)


def seed(app, world: World, clock: TestClock) -> list[Seeded]:
    """200 tasks for Askøy: a fifth created three weeks ago (overdue, escalated by the sweep), the rest today; held
    by the coordinator, a colleague, a service or nobody; some with the first contact planned; a tenth closed (half
    of them by the coordinator who held them)."""
    worker = InProcessWorker(app)
    old = [i for i in range(COUNT) if i % 10 in (0, 1)]
    clock.set(datetime.now(OSLO) - timedelta(days=21))
    bodies = {i: _child(world, i) for i in range(COUNT)}  # consent recorded before the oldest referral
    referral_of = {_rejected(world, bodies[i]): i for i in old}
    worker.run(rounds=50)
    clock.reset()
    referral_of.update({_rejected(world, bodies[i]): i for i in range(COUNT) if i not in old})
    worker.run(rounds=50)
    deps = dependencies(app)
    run_sweeps(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)
    tasks = world.get(ME, "/api/v1/handovers?per_page=200").json["items"]
    assert len(tasks) == COUNT
    today = deps.clock.today()
    index_of = {t["id"]: referral_of[t["referral_id"]] for t in tasks}
    for handover_id, i in index_of.items():
        kind = i % 10
        if kind == 0:
            continue  # nobody has taken it (kind 9: received, but nobody holds it yet)
        _step(world, handover_id, "acknowledge")
        if kind in (1, 2, 3, 4):
            _step(world, handover_id, "assign", {"assignee_user_id": world.users[ME].id})
        elif kind in (5, 6):
            _step(world, handover_id, "assign", {"assignee_user_id": world.users[COLLEAGUE].id})
        elif kind == 7:
            if i % 20 == 7:
                _step(world, handover_id, "assign", {"assignee_user_id": world.users[ME].id})
            _step(world, handover_id, "close", {"outcome": "Følges opp av kommunepsykolog."})
        elif kind == 8:
            _step(world, handover_id, "assign", {"service": "Kommunepsykolog"})
            if i % 20 == 18:
                _step(world, handover_id, "plan", {"first_contact_on": today.isoformat(), "plan": "Hjemmebesøk."})
    tasks = world.get(ME, "/api/v1/handovers?per_page=200").json["items"]
    return [Seeded(id=t["id"], name=f"{bodies[index_of[t['id']]]['child']['given_name']} "
                                    f"{bodies[index_of[t['id']]]['child']['family_name']}",
                   number=bodies[index_of[t["id"]]]["child"]["national_id"],
                   **{k: t[k] for k in ("status", "assignee_user_id", "assigned_service", "escalation_level",
                                        "acknowledge_due", "first_contact_due", "created_at")}) for t in tasks]


@pytest.fixture(scope="module")
def worklist_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("worklist")
    url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(url)
    return create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data_dir), CLOCK=TestClock()))


@pytest.fixture(scope="module")
def worklist_world(worklist_app) -> World:
    world = build_world(worklist_app)
    world.clock = worklist_app.config["CLOCK"]
    return world


@pytest.fixture(scope="module")
def seeded(worklist_app, worklist_world) -> list[Seeded]:
    return seed(worklist_app, worklist_world, worklist_world.clock)


@pytest.fixture(scope="module")
def server(worklist_app, seeded) -> Iterator[str]:
    with live_server(worklist_app) as url:
        yield url


@dataclass
class Visits:
    """Every address the browser asked for or was sent to (redirects included)."""

    urls: list[str]


@pytest.fixture
def coordinator(browser, server) -> Iterator[tuple[Page, Visits]]:
    context = browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(15_000)
    page = context.new_page()
    visits = Visits(urls=[])
    page.on("request", lambda request: visits.urls.append(request.url))
    page.on("response", lambda response: visits.urls.extend(
        [response.url, response.headers.get("location", "")]))
    log_in(page, server, USERS[ME], PASSWORD)
    yield page, visits
    context.close()


def listed(page: Page) -> list[str]:
    """The ids of the tasks the list shows, every page of it, in order (following "Neste side")."""
    ids: list[str] = []
    while True:
        table = page.locator("table", has=page.locator("caption", has_text="tilbakehenvisninger"))
        hrefs = table.locator("tbody tr td:first-child a").evaluate_all("links => links.map(a => a.href)") \
            if table.count() else []
        ids += [LINK.search(h)[1] for h in hrefs]
        following = page.get_by_role("link", name="Neste side")
        if not following.count():
            return ids
        following.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tilbakehenvisninger")


def open_tasks(seeded: list[Seeded]) -> list[Seeded]:
    return [t for t in seeded if t.status != "closed"]


def ordered(tasks: list[Seeded], due: str, *, descending: bool) -> list[str]:
    return [t.id for t in sorted(tasks, key=lambda t: (getattr(t, due), t.created_at, t.id), reverse=descending)]


def choose(page: Page, server: str, *, tab: str = "Åpne", **fields: str) -> None:
    """Open the tab and use the filter form as a person would: pick, tick, then "Vis"."""
    page.goto(f"{server}/tilbakehenvisninger")
    page.get_by_role("link", name=tab, exact=True).click()
    for label, value in fields.items():
        field = page.get_by_label(label.replace("_", " "), exact=True)
        if value == "tick":
            field.check()
        else:
            field.select_option(label=value)
    page.get_by_role("button", name="Vis", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tilbakehenvisninger")


def test_each_filter_sort_and_search_shows_exactly_the_right_tasks(coordinator, server, seeded, worklist_world,
                                                                   caplog, capfd):
    caplog.set_level(logging.INFO)
    page, visits = coordinator
    today = datetime.now(OSLO).date()
    me, colleague = worklist_world.users[ME].id, worklist_world.users[COLLEAGUE].id
    mine = {t.id for t in open_tasks(seeded) if t.assignee_user_id == me}
    assert mine and colleague and any(t.escalation_level for t in seeded) and any(t.overdue(today) for t in seeded)

    choose(page, server)
    default = listed(page)
    expected_default = [t.id for t in sorted(open_tasks(seeded), key=lambda t: (
        0 if t.overdue(today) else 1 if t.status == "open" else 2, t.acknowledge_due, t.created_at, t.id))]
    assert default == expected_default

    choose(page, server, Hvem_har_den="Mine")
    assert sorted(listed(page)) == sorted(mine)
    choose(page, server, Hvem_har_den="Ingen ennå")
    assert sorted(listed(page)) == sorted(t.id for t in open_tasks(seeded)
                                          if not t.assignee_user_id and not t.assigned_service)
    choose(page, server, Bare_forsinkede="tick")
    assert sorted(listed(page)) == sorted(t.id for t in seeded if t.overdue(today))
    choose(page, server, Bare_eskalerte="tick")
    assert sorted(listed(page)) == sorted(t.id for t in open_tasks(seeded) if t.escalation_level)
    for status, word in (("open", "Ny"), ("acknowledged", "Mottatt"), ("assigned", "Tildelt"),
                         ("follow_up_planned", "Oppfølging planlagt")):
        choose(page, server, Status=word)
        found = sorted(listed(page))
        assert found and found == sorted(t.id for t in seeded if t.status == status), status
    choose(page, server, tab="Avsluttede")
    assert listed(page) == ordered([t for t in seeded if t.status == "closed"], "acknowledge_due", descending=True)
    choose(page, server, tab="Avsluttede", Hvem_har_den="Mine")
    closed_mine = [t for t in seeded if t.status == "closed" and t.assignee_user_id == me]
    assert closed_mine and listed(page) == ordered(closed_mine, "acknowledge_due", descending=True)

    sorts = {"Bekreft innen, tidligste først": ("acknowledge_due", False),
             "Bekreft innen, seneste først": ("acknowledge_due", True),
             "Første kontakt innen, tidligste først": ("first_contact_due", False),
             "Første kontakt innen, seneste først": ("first_contact_due", True)}
    for label, (due, descending) in sorts.items():
        choose(page, server, Sorter_etter=label)
        assert listed(page) == ordered(open_tasks(seeded), due, descending=descending), label

    # A search keeps the filters chosen before it, and the filters chosen after it.
    choose(page, server, Hvem_har_den="Mine")
    search(page, "Nordmann")
    expect(page.get_by_label("Hvem har den", exact=True)).to_have_value("mine")
    assert sorted(listed(page)) == sorted(t.id for t in open_tasks(seeded)
                                          if t.id in mine and t.name.endswith(" Nordmann"))
    page.get_by_role("button", name="Fjern søket").click()
    wanted = next(t for t in open_tasks(seeded) if t.assignee_user_id == colleague)
    search(page, wanted.number)
    assert listed(page) == []  # the colleague's task is not the coordinator's own
    choose(page, server)
    assert listed(page) == [wanted.id]
    expect(page.get_by_role("link", name=wanted.name)).to_be_visible()
    expect(page.get_by_text("Viser treff for fødselsnummeret du søkte på.")).to_be_visible()
    assert wanted.number not in page.content()

    assert visits.urls and not [u for u in visits.urls if wanted.number in u]
    server_log = caplog.text + "".join(capfd.readouterr())
    assert "/tilbakehenvisninger" in server_log  # the server's request log was captured
    assert wanted.number not in server_log


def search(page: Page, text: str) -> None:
    page.get_by_label("Søk på navn eller fødselsnummer").fill(text)
    page.get_by_role("button", name="Søk", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tilbakehenvisninger")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_list_fits_the_screen_and_axe_finds_nothing(coordinator, server, seeded, width):
    page, _visits = coordinator
    page.set_viewport_size({"width": width, "height": 900})
    for address in ("/tilbakehenvisninger", "/tilbakehenvisninger?vis=avsluttede"):
        page.goto(server + address)
        expect(page.get_by_role("heading", level=1)).to_have_text("Tilbakehenvisninger")
        violations = axe_violations(page)
        assert not violations, f"axe at {width} px on {address}:\n{describe_violations(violations)}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{address} is wider than {width} px: {page.evaluate('document.documentElement.scrollWidth')}")
    screenshot(page, f"tilbakehenvisninger-{width}")
