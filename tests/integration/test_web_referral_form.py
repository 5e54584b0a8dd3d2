"""Ny henvisning in the browser's terms: the six-step form, its errors, sending, and the referrer's actions
on the referral page (answer BUP, withdraw), all through the web pages with a signed-in session."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.family import GuardianIdentity
from tests.support.world import USERS

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(c.text if isinstance(c, Node) else c for c in self.children).split())

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.walk() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> Node | None:
        return next((n for n in self.walk() if n.attrs.get("id") == element_id), None)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(response) -> Node:
    builder = _TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


def field_value(page: Node, name: str) -> str | None:
    element = next((n for n in page.walk() if n.attrs.get("name") == name), None)
    if element is None:
        return None
    return element.text if element.tag == "textarea" else element.attrs.get("value")


def label_for(page: Node, element_id: str) -> str:
    return next(n.text for n in page.find_all("label") if n.attrs.get("for") == element_id)


# ---- signing in and filling in ---------------------------------------------------------------------

class Browser:
    """One person's session in the web interface."""

    def __init__(self, app, who: str) -> None:
        self.client = app.test_client()
        token = self.csrf_from("/logg-inn")
        response = self.client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD,
                                                       "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)

    def csrf_from(self, path: str) -> str:
        page = parse(self.client.get(path))
        return next(n.attrs["value"] for n in page.find_all("input") if n.attrs.get("name") == "csrf_token")

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict, *, csrf: bool = True):
        data = dict(data)
        if csrf:
            # The session's token; the form on the page carries the same one.
            data["csrf_token"] = self.csrf_from("/henvisninger")
        return self.client.post(path, data=data)


def step_one(world, **overrides) -> dict:
    data = {
        "child.national_id": world.national_id(date(2012, 5, 10)),
        "child.given_name": "Ola", "child.family_name": "Testesen", "child.home_municipality": "4601",
        "child.guardians.0.name": "Mor Testesen", "child.guardians.0.phone": "40000000",
        "child.guardians.0.email": "mor@example.no",
        "child.guardians.1.name": "", "child.guardians.1.phone": "", "child.guardians.1.email": "",
        "clinic_id": world.orgs["bup"].id, "handling": "neste",
    }
    data.update(overrides)
    return data


LATER_STEPS = {
    2: {"reasons": ["anxiety", "school_refusal"], "urgency": "normal",
        "description": "Økende angst og skolefravær siden høsten, sover dårlig og trekker seg unna venner.",
        "measures_tried": "Samtaler med helsesykepleier i åtte uker; tilrettelegging på skolen."},
    3: {"child_view": "Jeg vil gjerne snakke med noen som kan hjelpe meg."},
    4: {"consent.given_by": ["guardian"], "consent.share_with": ["bup", "municipality"],
        "consent.recorded_on": "02.11.2026"},
    5: {"municipal_contacts.0.role": "Lærer", "municipal_contacts.0.name": "Lise Lærer",
        "municipal_contacts.0.organisation_id": "", "municipal_contacts.1.role": "",
        "municipal_contacts.1.name": "", "municipal_contacts.1.organisation_id": ""},
}


def start_draft(browser: Browser, world, **overrides) -> str:
    """Post step 1; returns the new draft's id."""
    response = browser.post("/henvisninger/ny", step_one(world, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.fullmatch(r"/henvisninger/([^/]+)/steg/2", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def api_status(world, referral_id: str, who: str = "nurse_bergen") -> str:
    return world.get(who, f"/api/v1/referrals/{referral_id}").json["status"]


# ---- the form -----------------------------------------------------------------------------------------

def test_the_first_step_asks_for_the_child_with_labelled_fields_and_shows_progress(app, world):
    page = parse(Browser(app, "nurse_bergen").get("/henvisninger/ny"))
    assert label_for(page, "felt-child-national-id") == "Fødselsnummer eller D-nummer"
    assert "Steg 1 av 6" in page.text
    current = [n for n in page.walk() if n.attrs.get("aria-current") == "step"]
    assert [n.text for n in current] == ["1. Barnet"]
    assert len(page.find_all("h1")) == 1
    guardian_names = [n for n in page.find_all("input") if re.fullmatch(r"child\.guardians\.\d+\.name",
                                                                         n.attrs.get("name", ""))]
    assert len(guardian_names) >= 2
    buttons = [n.text for n in page.find_all("button")]
    assert "Neste" in buttons and "Lagre utkast" in buttons and "Forrige" not in buttons


def test_a_school_nurse_fills_in_every_step_and_sends_the_referral(app, world):
    browser = Browser(app, "nurse_bergen")
    data = step_one(world)
    referral_id = start_draft(browser, world, **data)
    for step, fields in LATER_STEPS.items():
        page = parse(browser.get(f"/henvisninger/{referral_id}/steg/{step}"))
        assert f"Steg {step} av 6" in page.text
        response = browser.post(f"/henvisninger/{referral_id}/steg/{step}", {**fields, "handling": "neste"})
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"] == f"/henvisninger/{referral_id}/steg/{step + 1}"

    review = browser.get(f"/henvisninger/{referral_id}/steg/6")
    page = parse(review)
    assert "Ingenting. Henvisningen er klar til å sendes." in page.text
    assert "Lise Lærer" in page.text and "Angst" in page.text
    assert data["child.national_id"] not in review.get_data(as_text=True)
    assert "Ola" not in page.find_all("title")[0].text

    response = browser.post(f"/henvisninger/{referral_id}/steg/6", {"handling": "send"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/henvisninger/{referral_id}"
    assert api_status(world, referral_id) == "submitted"
    assert "Henvisningen er sendt til BUP." in parse(browser.get(response.headers["Location"])).text
    referral = world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json
    assert referral["reasons"] == ["anxiety", "school_refusal"]
    assert referral["consent"]["recorded_on"] == "2026-11-02"
    assert [c["name"] for c in referral["municipal_contacts"]] == ["Lise Lærer"]


def test_saving_a_draft_returns_to_the_referral_page_with_a_confirmation(app, world):
    browser = Browser(app, "nurse_bergen")
    response = browser.post("/henvisninger/ny", step_one(world, handling="lagre"))
    assert response.status_code == 302
    assert re.fullmatch(r"/henvisninger/[^/]+", response.headers["Location"])
    page = parse(browser.get(response.headers["Location"]))
    assert "Utkastet er lagret." in page.text
    assert "Fortsett med utkastet" in page.text


def test_previous_saves_the_step_and_goes_back(app, world):
    browser = Browser(app, "nurse_bergen")
    referral_id = start_draft(browser, world)
    response = browser.post(f"/henvisninger/{referral_id}/steg/3", {**LATER_STEPS[3], "handling": "forrige"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/henvisninger/{referral_id}/steg/2"
    assert world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json["child_view"] == \
        LATER_STEPS[3]["child_view"]


def test_the_side_panel_lists_what_bup_will_miss_with_links_to_the_fields(app, world):
    browser = Browser(app, "nurse_bergen")
    referral_id = start_draft(browser, world)
    page = parse(browser.get(f"/henvisninger/{referral_id}/steg/2"))
    panel = next(n for n in page.find_all("aside"))
    assert panel.text.startswith("BUP vil mangle:")
    links = {a.text: a.attrs["href"] for a in panel.find_all("a")}
    assert links["Henvisningsgrunn er ikke valgt."] == f"/henvisninger/{referral_id}/steg/2#felt-reasons"
    assert links["Det mangler samtykke."] == f"/henvisninger/{referral_id}/steg/4#felt-consent"
    for href in links.values():
        path, anchor = href.split("#")
        assert parse(browser.get(path)).by_id(anchor) is not None, href


def test_errors_are_shown_in_norwegian_beside_the_fields_and_what_was_typed_is_kept(app, world):
    browser = Browser(app, "nurse_bergen")
    valid = world.national_id()
    bad_number = valid[:-1] + str((int(valid[-1]) + 1) % 10)  # a wrong check digit
    response = browser.post("/henvisninger/ny", step_one(
        world, **{"child.national_id": bad_number, "child.given_name": "", "child.home_municipality": "46",
                  "child.guardians.1.email": "ikke-en-adresse"}))
    assert response.status_code == 422
    page = parse(response)

    id_error = page.by_id("felt-child-national-id-feil").text
    assert id_error == "Fødselsnummeret er ikke gyldig: kontrollsifrene stemmer ikke."
    assert page.by_id("felt-child-given-name-feil").text == "Skriv barnets fornavn."
    assert "fire sifre" in page.by_id("felt-child-home-municipality-feil").text
    assert page.by_id("felt-child-guardians-1-name-feil").text == "Skriv navnet på den foresatte."
    assert "e-postadresse" in page.by_id("felt-child-guardians-1-email-feil").text
    national_id_input = page.by_id("felt-child-national-id")
    assert national_id_input.attrs["aria-invalid"] == "true"
    assert "felt-child-national-id-feil" in national_id_input.attrs["aria-describedby"]

    summary = page.by_id("feiloppsummering")
    assert "#felt-child-national-id" in [a.attrs["href"] for a in summary.find_all("a")]
    messages = [n.text for n in page.find_all(class_="ds-validation-message")] + [summary.text]
    assert not any(bad_number in m for m in messages)
    assert not any(re.search(r"\b(Missing|Must|Not a valid)\b", m) for m in messages)
    assert bad_number not in page.find_all("title")[0].text

    assert field_value(page, "child.family_name") == "Testesen"
    assert field_value(page, "child.national_id") == bad_number
    assert field_value(page, "child.guardians.0.name") == "Mor Testesen"
    assert field_value(page, "child.guardians.1.email") == "ikke-en-adresse"
    assert world.get("nurse_bergen", "/api/v1/referrals").json["total"] == 0


def test_a_later_step_with_errors_keeps_the_ticked_choices(app, world):
    browser = Browser(app, "nurse_bergen")
    referral_id = start_draft(browser, world)
    response = browser.post(f"/henvisninger/{referral_id}/steg/4", {
        "consent.given_by": ["guardian"], "consent.share_with": ["bup"], "consent.recorded_on": "31.02.2026",
        "handling": "neste"})
    assert response.status_code == 422
    page = parse(response)
    assert page.by_id("felt-consent-recorded-on-feil").text.startswith("Skriv datoen som dd.mm.åååå")
    assert "checked" in page.by_id("felt-consent-given-by-guardian").attrs
    assert "checked" not in page.by_id("felt-consent-given-by-child").attrs
    assert field_value(page, "consent.recorded_on") == "31.02.2026"


def test_step_one_of_a_saved_draft_never_shows_the_number_and_keeps_it_when_left_empty(app, world):
    browser = Browser(app, "nurse_bergen")
    data = step_one(world)
    referral_id = start_draft(browser, world, **data)
    response = browser.get(f"/henvisninger/{referral_id}/steg/1")
    assert data["child.national_id"] not in response.get_data(as_text=True)
    assert "10.05.12 *****" in parse(response).text

    changed = {**data, "child.national_id": "", "child.given_name": "Kari", "handling": "lagre"}
    assert browser.post(f"/henvisninger/{referral_id}/steg/1", changed).status_code == 302
    child = world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json["child"]
    assert child["given_name"] == "Kari"
    assert child["birth_date"] == "2012-05-10"


def test_a_guardians_number_saved_with_a_step_that_has_errors_is_not_put_back_on_the_page(app, world):
    browser = Browser(app, "nurse_bergen")
    data = step_one(world)
    referral_id = start_draft(browser, world, **data)
    guardian_number = world.national_id(date(1984, 3, 14))
    changed = {**data, "child.national_id": "", "child.guardians.0.national_id": guardian_number,
               "child.home_municipality": "46", "handling": "lagre"}  # a bad municipality: the rest is saved
    response = browser.post(f"/henvisninger/{referral_id}/steg/1", changed)
    with app.extensions["referral_db"].session() as session:
        saved = session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == referral_id)).all()
    assert len(saved) == 1  # the guardian's number was saved...
    assert guardian_number not in response.get_data(as_text=True)  # ...and is not shown again


def test_an_incomplete_draft_is_not_sent_and_the_missing_items_are_listed(app, world):
    browser = Browser(app, "nurse_bergen")
    referral_id = start_draft(browser, world)
    response = browser.post(f"/henvisninger/{referral_id}/steg/6", {"handling": "send"})
    assert response.status_code == 422
    summary = parse(response).by_id("feiloppsummering")
    assert "Henvisningen kan ikke sendes ennå" in summary.text
    links = {a.text: a.attrs["href"] for a in summary.find_all("a")}
    assert links["Henvisningsgrunn er ikke valgt."] == f"/henvisninger/{referral_id}/steg/2#felt-reasons"
    assert api_status(world, referral_id) == "draft"


def test_the_askoy_nurse_cannot_send_and_is_told_why(app, world):
    referral = world.create_referral("nurse_askoy")
    browser = Browser(app, "nurse_askoy")
    response = browser.post(f"/henvisninger/{referral['id']}/steg/6", {"handling": "send"})
    assert response.status_code == 403
    text = parse(response).text
    assert "ikke henvisningsrett" in text
    assert "medhenviser med henvisningsrett" in text and "fastlegen" in text and "steg 5" in text
    assert api_status(world, referral["id"], "nurse_askoy") == "draft"


def test_the_gp_invited_in_step_five_can_send_what_the_askoy_nurse_could_not(app, world):
    referral = world.create_referral("nurse_askoy")
    nurse = Browser(app, "nurse_askoy")
    response = nurse.post(f"/henvisninger/{referral['id']}/steg/5",
                          {"municipal_contacts.0.role": "Helsesykepleier", "municipal_contacts.0.name": "Heidi",
                           "co_referrer": world.orgs["gp"].id, "handling": "neste"})
    assert response.status_code == 302
    assert "Askøy legesenter" in parse(nurse.get(f"/henvisninger/{referral['id']}/steg/5")).text

    gp = Browser(app, "gp")
    response = gp.post(f"/henvisninger/{referral['id']}/steg/6", {"handling": "send"})
    assert response.status_code == 302
    assert api_status(world, referral["id"], "gp") == "submitted"


# ---- the referral page --------------------------------------------------------------------------------

def test_answering_bups_questions_sends_the_referral_back_for_assessment(app, world):
    referral = world.referral_in("information_requested", who="nurse_bergen")
    browser = Browser(app, "nurse_bergen")
    page = parse(browser.get(f"/henvisninger/{referral['id']}"))
    answer = page.by_id("felt-text")
    assert answer.tag == "textarea" and label_for(page, "felt-text") == "Svar til BUP"
    assert "Send svar" in [b.text for b in page.find_all("button")]

    response = browser.post(f"/henvisninger/{referral['id']}/svar", {"text": "Fraværet startet i august."})
    assert response.status_code == 302
    assert api_status(world, referral["id"]) == "submitted"
    page = parse(browser.get(response.headers["Location"]))
    assert "Svaret er sendt til BUP." in page.text
    assert "Fraværet startet i august." in page.text  # the answer in the timeline


def test_an_empty_answer_is_refused_in_norwegian(app, world):
    referral = world.referral_in("information_requested", who="nurse_bergen")
    browser = Browser(app, "nurse_bergen")
    response = browser.post(f"/henvisninger/{referral['id']}/svar", {"text": "  "})
    assert response.status_code == 422
    assert parse(response).by_id("felt-text-feil").text == "Skriv svaret til BUP."
    assert api_status(world, referral["id"]) == "information_requested"


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_withdrawing_a_referral_with_a_reason(app, world, status):
    referral = world.referral_in(status, who="nurse_bergen")
    browser = Browser(app, "nurse_bergen")
    page = parse(browser.get(f"/henvisninger/{referral['id']}"))
    assert "Trekk tilbake henvisningen" in [b.text for b in page.find_all("button")]
    response = browser.post(f"/henvisninger/{referral['id']}/trekk-tilbake", {"reason": "Familien flytter."})
    assert response.status_code == 302
    assert api_status(world, referral["id"]) == "withdrawn"
    assert "Henvisningen er trukket tilbake." in parse(browser.get(response.headers["Location"])).text


def test_withdrawing_without_a_reason_is_refused(app, world):
    referral = world.referral_in("submitted", who="nurse_bergen")
    response = Browser(app, "nurse_bergen").post(f"/henvisninger/{referral['id']}/trekk-tilbake", {"reason": ""})
    assert response.status_code == 422
    assert parse(response).by_id("felt-reason-feil").text == "Skriv hvorfor henvisningen trekkes tilbake."
    assert api_status(world, referral["id"]) == "submitted"


@pytest.mark.parametrize("path", ["/henvisninger/ny", "/henvisninger/{id}/steg/2", "/henvisninger/{id}/svar",
                                  "/henvisninger/{id}/trekk-tilbake"])
def test_a_form_posted_without_its_csrf_token_is_refused(app, world, path):
    referral = world.referral_in("information_requested", who="nurse_bergen")
    browser = Browser(app, "nurse_bergen")
    response = browser.post(path.format(id=referral["id"]),
                            {**step_one(world), "text": "Svar", "reason": "Grunn"}, csrf=False)
    assert response.status_code == 400
    assert api_status(world, referral["id"]) == "information_requested"
    assert world.get("nurse_bergen", "/api/v1/referrals").json["total"] == 1
