"""Issue 14 in the staff's browser: the task page and the referral page with what came from the family side (the
young person's own words, "Vi har ikke hørt noe") and the administration's phone and hours form fit a phone and pass
axe at 390 and 1280 px; the coordinator answers the family's call with one button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, axe_violations, describe_violations, log_in
from tests.support.family import CSRF_TOKEN, family_client
from tests.support.loop import InProcessWorker
from tests.support.world import USERS, build_world

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

WIDTHS = ({"width": 390, "height": 844}, {"width": 1280, "height": 900})
WORDS = "Jeg vil helst ha samtaler på skolen, ikke på kontoret."


@pytest.fixture(scope="module")
def family_case(e2e_app, demo_data) -> dict[str, str]:
    """A 14-year-old's referral BUP rejected, handed to Askøy; the child has written to the owner and pressed
    "Vi har ikke hørt noe"."""
    world = build_world(e2e_app)
    body = world.referral_body()
    created = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", created["id"], "submit")
    world.act("bup", created["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Nei.",
                                               "municipal_advice": "Kommunepsykolog."})
    InProcessWorker(e2e_app).run()
    child = family_client(e2e_app, body["child"]["national_id"])
    for path, data in (("mine-ord", {"text": WORDS}), ("ikke-hort", {})):
        response = child.post(f"/familie/sak/{created['id']}/{path}", data={"csrf_token": CSRF_TOKEN, **data})
        assert response.status_code == 303, response.get_data(as_text=True)
    handover = world.get("gp", f"/api/v1/referrals/{created['id']}").json["handover_id"]
    return {"referral": created["id"], "handover": handover, "gp_user": world.users["gp"].id}


def problems(page, base_url: str, path: str) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size(width)
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, path
        sizes = page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
        if sizes["doc"] > sizes["view"]:
            found.append(f"{path} is {sizes['doc']} px wide at {sizes['view']} px")
        if violations := axe_violations(page):
            found.append(f"{path} at {width['width']} px:\n{describe_violations(violations)}")
    return found


def test_the_coordinator_reads_the_childs_words_and_answers_the_family(open_page, base_url, family_case):
    page = open_page()
    log_in(page, base_url, USERS["coordinator_askoy"], PASSWORD)
    path = f"/tilbakehenvisninger/{family_case['handover']}"
    assert not problems(page, base_url, path)
    expect(page.get_by_role("heading", name="Barnets egne ord fra familiesiden")).to_be_visible()
    expect(page.get_by_text(WORDS)).to_be_visible()
    expect(page.get_by_role("heading", name="Familien har ikke hørt noe")).to_be_visible()
    page.get_by_role("button", name="Vi har tatt kontakt med familien").click()
    expect(page.get_by_text("Registrert: dere har tatt kontakt med familien.")).to_be_visible()
    expect(page.get_by_role("button", name="Vi har tatt kontakt med familien")).to_have_count(0)


def test_the_referrers_page_with_the_family_side_passes_axe(open_page, base_url, family_case):
    page = open_page()
    log_in(page, base_url, USERS["gp"], PASSWORD)
    found = problems(page, base_url, f"/henvisninger/{family_case['referral']}")
    assert not found, "\n".join(found)
    expect(page.get_by_text(WORDS)).to_be_visible()


def test_the_administrations_phone_and_hours_forms_pass_axe(open_page, base_url, family_case, e2e_app):
    page = open_page()
    log_in(page, base_url, USERS["admin"], PASSWORD)
    askoy = build_world(e2e_app).orgs["askoy"].id
    found = [*problems(page, base_url, f"/admin/brukere/{family_case['gp_user']}"),
             *problems(page, base_url, f"/admin/brukere?virksomhet={askoy}"), *problems(page, base_url, "/passord")]
    assert not found, "\n".join(found)
    page.get_by_label("Telefon", exact=True).fill("ring meg")
    page.get_by_role("button", name="Lagre kontaktinfo").click()
    refusal = "Telefonnummeret kan bare ha sifre, mellomrom og +, og høyst 30 tegn."
    expect(page.get_by_text(refusal).first).to_be_visible()
    assert not axe_violations(page)
