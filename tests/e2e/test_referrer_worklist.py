"""In Chromium: Mine henvisninger with 200 referrals from one GP office. Each tab, status group, "mine",
the sort by the day sent and the search (by name, and by the full identity number, which never appears in an
address, on a page or in the live server's log) give the right rows; the list and the consent page fit 390 px and
axe-core finds nothing at 390 and 1280 px."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral
from tests.e2e.helpers import CONTEXT_OPTIONS, PASSWORD, axe_violations, describe_violations, log_in, screenshot

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

GP = "fastlege@askoy.example"
COLLEAGUE = "leder@askoy-legesenter.example"
#: The clinic the seeded referrals go to (not the journeys' clinic, whose queue they would fill).
INTAKE = "inntak@bup-oyane.example"
#: Every seeded child has this family name, so the list can be narrowed to them whatever else the session holds.
FAMILY = "Seedvik"
#: The child of the draft the school health service on Askøy invites the GP office to co-refer.
INVITED_FAMILY = "Invitertsen"
NURSE_ASKOY = "helsesykepleier@askoy.example"
#: How many referrals of each status the GP office has (200 in all).
SEEDED = {"draft": 30, "submitted": 60, "information_requested": 20, "accepted": 20, "rejected": 40, "withdrawn": 30}
#: Of the submitted ones, written by a colleague at the same GP office.
BY_COLLEAGUE = 10
#: A municipality with no organisation in the service: the rejections' tasks stay with the referring side.
HOME = "4626"


@dataclass
class Seeded:
    ids: dict[str, list[str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # referral id -> given name
    numbers: dict[str, str] = field(default_factory=dict)  # referral id -> identity number


def _token(client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _post(client, path: str, headers: dict, body: dict | None = None) -> dict:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.get_json())
    return response.get_json()


@pytest.fixture(scope="module")
def seeded(e2e_app) -> Seeded:
    """200 referrals through the API (in-process), brought to their statuses by the GP and BUP; the submitted
    ones received on different days (the last one first), and some written by a colleague."""
    client = e2e_app.test_client()
    gp, bup = _token(client, GP), _token(client, INTAKE)
    with e2e_app.extensions["referral_db"].session() as session:
        clinic = session.exec(select(Organisation.id).where(Organisation.name == "BUP Øyane")).one()
    later = (date.today() + timedelta(days=40)).isoformat()
    steps = {
        "draft": [],
        "submitted": [(gp, "submit", None)],
        "information_requested": [(gp, "submit", None), (bup, "request-information", {"questions": "Hvor lenge?"})],
        "accepted": [(gp, "submit", None), (bup, "accept", {"care_start_due": later})],
        "rejected": [(gp, "submit", None), (bup, "reject", {
            "reason_code": "not_specialist_need", "explanation": "Kan møtes i kommunen.",
            "municipal_advice": "Samtaler med helsesykepleier."})],
        "withdrawn": [(gp, "withdraw", {"reason": "Familien flytter."})],
    }
    result = Seeded()
    i = 0
    for status, count in SEEDED.items():
        for n in range(count):
            born = date(2011 + i % 5, 1 + (i // 5) % 12, 1 + (i // 60) % 28)
            given = f"{status.split('_')[0].capitalize()}{n:02d}"
            number = make_synthetic_national_id(born, seed=7000 + i)
            created = _post(client, "/api/v1/referrals", gp, {
                "child": {"national_id": number, "given_name": given, "family_name": FAMILY,
                          "home_municipality": HOME, "guardians": [{"name": "Mor Seedvik", "phone": "40000000"}]},
                "clinic_id": clinic, "reasons": ["anxiety"], "urgency": "normal",
                "description": "Angst og søvnvansker siden i vår, trekker seg fra venner.",
                "measures_tried": "Samtaler med helsesykepleier.", "child_view": "Jeg vil ha hjelp.",
                "consent": {"given_by": ["guardian", "child"], "share_with": ["bup", "municipality"]}})
            for headers, action, body in steps[status]:
                _post(client, f"/api/v1/referrals/{created['id']}/{action}", headers, body)
            result.ids.setdefault(status, []).append(created["id"])
            result.names[created["id"]] = given
            result.numbers[created["id"]] = number
            i += 1
    # The school health service on Askøy invites the GP office to co-refer a draft of its own.
    nurse = _token(client, NURSE_ASKOY)
    with e2e_app.extensions["referral_db"].session() as session:
        gp_office = session.exec(select(Organisation.id).where(Organisation.name == "Askøy legesenter")).one()
    invited = _post(client, "/api/v1/referrals", nurse, {
        "child": {"national_id": make_synthetic_national_id(date(2013, 9, 9), seed=6999), "given_name": "Ingrid",
                  "family_name": INVITED_FAMILY, "home_municipality": HOME, "guardians": [{"name": "Far Invitertsen"}]},
        "clinic_id": clinic, "consent": {"given_by": ["guardian"], "share_with": ["bup"]}})
    _post(client, f"/api/v1/referrals/{invited['id']}/co-referrers", nurse, {"organisation_id": gp_office})
    with e2e_app.extensions["referral_db"].session() as session:
        colleague = session.exec(select(User.id).where(User.email == COLLEAGUE)).one()
        for n, rid in enumerate(result.ids["submitted"]):
            referral = session.get(Referral, rid)
            referral.received_on = date.today() - timedelta(days=n)  # Submitted00 newest, Submitted59 oldest
            if n < BY_COLLEAGUE:
                referral.referrer_user_id = colleague
            session.add(referral)
        session.commit()
    return result


class ServerLog(logging.Handler):
    """Every line the live server and the app log while the test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__}")


@pytest.fixture
def server_log() -> Iterator[ServerLog]:
    handler = ServerLog()
    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    old_level = werkzeug.level
    werkzeug.setLevel(logging.INFO)  # the request lines, with each address asked for
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        werkzeug.setLevel(old_level)


@pytest.fixture
def gp_page(browser, base_url, seeded) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(15_000)
    page = context.new_page()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    log_in(page, base_url, GP, PASSWORD)
    yield page, visited
    context.close()


def search(page: Page, text: str) -> None:
    page.get_by_label("Søk på navn eller fødselsnummer").fill(text)
    page.get_by_role("button", name="Søk", exact=True).click()


def filter_by(page: Page, *, status: str | None = None, who: str | None = None, sort: str | None = None) -> None:
    if status is not None:
        page.get_by_label("Status").select_option(label=status)
    if who is not None:
        page.get_by_label("Henvist av").select_option(label=who)
    if sort is not None:
        page.get_by_label("Sortering").select_option(label=sort)
    page.get_by_role("button", name="Vis", exact=True).click()


def shown(page: Page) -> list[str]:
    """The given names of the children in the table, in order."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Mine henvisninger")
    if page.locator("table").count() == 0:
        return []
    links = page.locator("table tbody tr td:first-child a")
    return [text.split()[0] for text in links.all_inner_texts()]


def total(page: Page) -> int:
    """How many rows the list holds: the pagination's count, or the rows of a single page."""
    counted = page.get_by_text(re.compile(r"^Viser \d+–\d+ av \d+\.$"))
    if counted.count():
        return int(counted.inner_text().rstrip(".").rsplit(" ", 1)[1])
    return len(shown(page))


def names_of(seeded: Seeded, status: str, *, skip: int = 0) -> set[str]:
    return {seeded.names[rid] for rid in seeded.ids[status][skip:]}


def check_layout(page: Page, name: str) -> None:
    """No violation of any impact at 1280 and 390 px, and at 390 px the page does not scroll sideways."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe_violations(page)
        assert not violations, f"axe on {name} at {width} px:\n{describe_violations(violations)}"
        if width == 390:
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
            screenshot(page, f"{name}-390")
    page.set_viewport_size(CONTEXT_OPTIONS["viewport"])


def test_each_tab_filter_and_sort_gives_the_right_rows(gp_page, base_url, seeded):
    page, _ = gp_page
    page.goto(f"{base_url}/henvisninger")
    invitations = page.get_by_role("region", name="Invitasjoner til å være medhenviser")
    expect(invitations).to_contain_text(f"Ingrid {INVITED_FAMILY}")
    expect(invitations).to_contain_text("Invitert av Skolehelsetjenesten på Askøy")
    search(page, FAMILY)
    expect(page.get_by_role("status")).to_contain_text(f"Viser treff for «{FAMILY}»")
    assert total(page) == 130  # open: drafts, waiting, asked for more, accepted
    check_layout(page, "mine-henvisninger")

    for label, seeds in [("Utkast", ["draft"]),
                                 ("BUP ber om mer informasjon", ["information_requested"]),
                                 ("Rett til helsehjelp eller under behandling", ["accepted"])]:
        filter_by(page, status=label)
        assert set(shown(page)) == set().union(*(names_of(seeded, s) for s in seeds)), label

    filter_by(page, status="Venter på BUP", sort="Sendt, eldste først")
    assert total(page) == 60
    assert shown(page)[:3] == ["Submitted59", "Submitted58", "Submitted57"]
    page.get_by_role("link", name="Neste side").click()
    assert shown(page)[-1] == "Submitted00" and len(shown(page)) == 10
    filter_by(page, sort="Sendt, nyeste først")
    assert shown(page)[:2] == ["Submitted00", "Submitted01"]

    filter_by(page, who="Bare meg")
    assert total(page) == 60 - BY_COLLEAGUE
    assert set(shown(page)) == names_of(seeded, "submitted", skip=BY_COLLEAGUE)

    page.get_by_role("link", name="Avsluttede", exact=True).click()
    expect(page.get_by_role("link", name="Avsluttede", exact=True)).to_have_attribute("aria-current", "page")
    filter_by(page, who="Hele virksomheten", status="Alle")
    assert total(page) == 70
    filter_by(page, status="Avslag eller avsluttet i BUP")
    assert set(shown(page)) == names_of(seeded, "rejected")
    filter_by(page, status="Trukket tilbake, videresendt eller slått sammen")
    assert set(shown(page)) == names_of(seeded, "withdrawn")
    check_layout(page, "mine-henvisninger-avsluttede")


def test_searching_by_the_full_number_finds_the_child_and_the_number_is_never_shown_or_logged(
        gp_page, base_url, seeded, server_log):
    page, visited = gp_page
    wanted = seeded.ids["accepted"][3]
    number = seeded.numbers[wanted]
    page.goto(f"{base_url}/henvisninger")
    search(page, number)

    expect(page.get_by_role("status")).to_contain_text("fødselsnummeret du søkte på")
    assert shown(page) == [seeded.names[wanted]]
    assert number not in page.content()
    page.get_by_role("button", name="Fjern søket").click()
    expect(page.get_by_role("status")).to_have_count(0)
    assert visited and not [url for url in visited if number in url]
    assert any("/henvisninger" in line for line in server_log.lines)  # the server's request lines were seen
    assert not [line for line in server_log.lines if number in line]


def test_the_consent_page_fits_a_phone_and_says_what_happens_before_the_change(gp_page, base_url, seeded):
    page, _ = gp_page
    rid = seeded.ids["submitted"][-1]
    page.goto(f"{base_url}/henvisninger/{rid}")
    page.get_by_role("link", name="Endre samtykke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samtykke")
    expect(page.get_by_text("Uten samtykke kan BUP ikke sende barnet tilbake til kommunen")).to_be_visible()
    check_layout(page, "samtykke")

    page.get_by_role("button", name="Gå videre").click()  # nothing changed
    expect(page.get_by_role("heading", name="Dette må rettes før du kan gå videre")).to_be_visible()
    check_layout(page, "samtykke-feil")

    page.get_by_label("Kommunale tjenester").uncheck()
    page.get_by_label("Foresatte").check()
    page.get_by_role("button", name="Gå videre").click()
    expect(page.get_by_role("heading", name="Bekreft endringen")).to_be_visible()
    check_layout(page, "samtykke-bekreft")
    page.get_by_role("button", name="Bekreft endringen").click()
    expect(page.get_by_role("heading", name="Samtykket er endret")).to_be_visible()
    check_layout(page, "samtykke-kvittering")
