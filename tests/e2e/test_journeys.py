"""Journeys through the web pages in Debian's Chromium, by accessible names, with axe-core on every page.

The journeys follow one another in file order, as the people do: the school nurse refers (1), BUP rejects (2),
the municipality takes over (3), the nurse sees the whole story (4); then a referral goes through treatment
and discharge (5), and a form with errors is refused in Norwegian (6). Every page visited is checked with
axe (WCAG 2.1 A/AA) and a journey fails on any serious or critical violation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import User
from tests.e2e.helpers import (
    COORDINATOR,
    INTAKE,
    NURSE,
    PASSWORD,
    A11yAudit,
    doc_screenshot,
    iso_days_from_today,
    log_in,
    screenshot,
    tab_until_focused,
    today_in_oslo,
    unread_alert_count,
)

#: The journeys' fixtures (demo_data, worker, story, open_page, audit) live beside tests/e2e/conftest.py.
pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

REJECTED_STATUS = "Avslag"
WAITING_STATUS = "Sendt – venter på vurdering"
DISCHARGED_STATUS = "Avsluttet i BUP"
ADVICE = "Tilby samtaler med helsesykepleier og kontakt med skolen om tilrettelegging i 6–8 uker."
EXPLANATION = "Vanskene kan møtes i kommunen først. Ta kontakt igjen om det ikke blir bedre."
PLAN = "Helsesykepleier ringer mor og avtaler samtale på skolen med Solveig og kontaktlærer."
SUMMARY = "Tolv samtaler med kognitiv terapi for angst. Solveig går nå på skolen hver dag."
RECOMMENDATIONS = "Oppfølging hos helsesykepleier hver fjortende dag ut skoleåret, og plan for overgang."


@dataclass(frozen=True)
class ChildData:
    given_name: str
    family_name: str
    national_id: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


#: Synthetic (month+80) numbers: never a real person's. Names plainly invented.
REJECTED_CHILD = ChildData("Solveig", "Avslagsen", make_synthetic_national_id(date(2012, 5, 10), seed=4101))
TREATED_CHILD = ChildData("Tobias", "Behandlingsen", make_synthetic_national_id(date(2012, 5, 10), seed=4102))


def _referral_id_from(page: Page) -> str:
    match = re.search(r"/henvisninger/([^/?#]+)$", page.url)
    assert match, f"not on a referral's page: {page.url}"
    return match.group(1)


def _expect_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)
    expect(page.locator("h1")).to_have_count(1)


def _expect_flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def _fill_referral(page: Page, audit: A11yAudit, child: ChildData, *, shots: bool = False,
                   send_with_keyboard: bool = False) -> str:
    """The six steps of "Ny henvisning", from the navigation link to "Send henvisning"; the referral's id."""
    page.get_by_role("link", name="Ny henvisning", exact=True).click()
    _expect_heading(page, "Ny henvisning")
    expect(page.get_by_text("Steg 1 av 6")).to_be_visible()
    audit.check(page, "Ny henvisning, steg 1")
    if shots:
        screenshot(page, "ny-henvisning-steg-1")
        doc_screenshot(page, "ny-henvisning-steg-1")
    page.get_by_label("Fødselsnummer eller D-nummer").fill(child.national_id)
    page.get_by_label("Barnets fornavn").fill(child.given_name)
    page.get_by_label("Barnets etternavn").fill(child.family_name)
    page.get_by_label("Kommunen der barnet bor").select_option("4601")
    guardian = page.get_by_role("group", name="Foresatt 1")
    guardian.get_by_label("Navn", exact=True).fill("Guro Forelder")
    guardian.get_by_label("Telefon", exact=True).fill("40000000")
    guardian.get_by_label("E-post", exact=True).fill("guro.forelder@example.org")
    page.get_by_label("BUP-poliklinikk").select_option(label="BUP Bergen sentrum")
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Hvorfor henvises barnet?")).to_be_visible()
    audit.check(page, "Ny henvisning, steg 2")
    page.get_by_label("Angst", exact=True).check()
    page.get_by_label("Skolevegring", exact=True).check()
    page.get_by_label("Beskriv vanskene").fill(
        "Har vært borte fra skolen to dager i uka siden høsten, med vondt i magen og mye uro om kveldene.")
    page.get_by_label("Hva er prøvd i kommunen").fill(
        "Åtte samtaler med helsesykepleier og tilrettelagt skoledag i seks uker, uten bedring.")
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Barnets stemme", level=2)).to_be_visible()
    audit.check(page, "Ny henvisning, steg 3")
    page.get_by_label("Hva sier barnet selv?").fill("Jeg vil gå på skolen, men magen gjør vondt om morgenen.")
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Samtykke", level=2)).to_be_visible()
    audit.check(page, "Ny henvisning, steg 4")
    page.get_by_role("group", name="Hvem har samtykket?").get_by_label("Foresatte").check()
    sharing = page.get_by_role("group", name="Hvem kan få opplysninger fra henvisningen?")
    sharing.get_by_label("BUP", exact=True).check()
    sharing.get_by_label("Kommunale tjenester").check()
    page.get_by_label("Dato for samtykket").fill(today_in_oslo().strftime("%d.%m.%Y"))
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Laget rundt barnet", level=2)).to_be_visible()
    audit.check(page, "Ny henvisning, steg 5")
    contact = page.get_by_role("group", name="Kontaktperson 1")
    contact.get_by_label("Rolle", exact=True).fill("Kontaktlærer")
    contact.get_by_label("Navn", exact=True).fill("Tone Lærer")
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_role("heading", name="Se over og send", level=2)).to_be_visible()
    expect(page.get_by_role("complementary", name="BUP vil mangle:")).to_contain_text("Ingenting")
    audit.check(page, "Ny henvisning, steg 6")
    if shots:
        screenshot(page, "ny-henvisning-steg-6")
    send = page.get_by_role("button", name="Send henvisning")
    if send_with_keyboard:
        tab_until_focused(page, send)
        page.keyboard.press("Enter")
    else:
        send.click()

    _expect_heading(page, "Henvisning")
    _expect_flash(page, "Henvisningen er sendt til BUP.")
    audit.check(page, "Henvisning (sendt)")
    if shots:
        screenshot(page, "henvisning")
    return _referral_id_from(page)


def _facts_value(page: Page, term: str):
    """The <dd> after the <dt> with this text, in the page's first list of facts that has it."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{re.escape(term)}$")).first.locator(
        "xpath=following-sibling::dd[1]")


# ---- 1 ----------------------------------------------------------------------------------------------

def test_1_school_nurse_refers_a_child_in_six_steps(open_page, base_url, audit, story):
    page = open_page()
    page.goto(f"{base_url}/logg-inn")
    audit.check(page, "Logg inn")
    screenshot(page, "logg-inn")
    log_in(page, base_url, NURSE, PASSWORD, keyboard=True)
    _expect_heading(page, "Mine henvisninger")
    audit.check(page, "Mine henvisninger (tom)")

    story["rejected_referral"] = _fill_referral(page, audit, REJECTED_CHILD, shots=True, send_with_keyboard=True)
    expect(_facts_value(page, "Status")).to_have_text(WAITING_STATUS)
    expect(_facts_value(page, "Hvem har ansvaret nå")).to_contain_text("BUP Bergen sentrum vurderer")

    page.get_by_role("link", name="Mine henvisninger", exact=True).click()
    _expect_heading(page, "Mine henvisninger")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REJECTED_CHILD.name))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(WAITING_STATUS)
    expect(row).to_contain_text("10.05.12 *****")
    expect(row).not_to_contain_text(REJECTED_CHILD.national_id)
    audit.check(page, "Mine henvisninger")
    screenshot(page, "mine-henvisninger")
    audit.assert_clean()


# ---- 2 ----------------------------------------------------------------------------------------------

def test_2_bup_intake_rejects_with_reason_explanation_and_advice(open_page, base_url, audit, story, worker,
                                                                 e2e_app):
    referral_id = story.get("rejected_referral")
    assert referral_id, "journey 1 did not send the referral this journey assesses"
    page = open_page()
    log_in(page, base_url, INTAKE, PASSWORD)
    page.get_by_role("link", name="Inntak", exact=True).click()
    _expect_heading(page, "Inntak")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REJECTED_CHILD.name))
    expect(row).to_contain_text(WAITING_STATUS)
    audit.check(page, "Inntak")
    screenshot(page, "inntak")

    row.get_by_role("link", name=REJECTED_CHILD.name).click()
    _expect_heading(page, "Vurder henvisning")
    assert page.url.endswith(f"/inntak/{referral_id}")
    expect(page).not_to_have_title(re.compile(REJECTED_CHILD.family_name))
    for button in ("Gi rett til helsehjelp", "Be om mer informasjon", "Avslå", "Videresend"):
        expect(page.get_by_role("button", name=button, exact=True)).to_be_visible()
    audit.check(page, "Vurder henvisning")
    screenshot(page, "vurder-henvisning")
    doc_screenshot(page, "vurder-henvisning")

    page.get_by_label("Begrunnelse", exact=True).select_option(label="Kommunale tiltak er ikke prøvd")
    page.get_by_label("Forklaring", exact=True).fill(EXPLANATION)
    page.get_by_label("Råd til kommunen", exact=True).fill(ADVICE)
    page.get_by_role("button", name="Avslå", exact=True).click()

    _expect_heading(page, "Vurder henvisning")
    _expect_flash(page, "Henvisningen er avslått.")
    expect(_facts_value(page, "Status")).to_have_text(REJECTED_STATUS)
    expect(page.get_by_role("region", name="BUPs avgjørelse")).to_contain_text(ADVICE)
    audit.check(page, "Vurder henvisning (avslått)")

    worker.run()  # the background work: the handover to Bergen kommune, and the alerts
    database = e2e_app.extensions["referral_db"]
    with database.session() as session:
        handover = session.exec(select(Handover).where(Handover.referral_id == referral_id)).one()
        coordinator = session.exec(select(User).where(User.email == COORDINATOR)).one()
        alerts = session.exec(select(Alert).where(Alert.user_id == coordinator.id,
                                                  Alert.handover_id == handover.id)).all()
        assert handover.trigger == "rejected" and handover.municipality_number == "4601"
        assert alerts, "the coordinator in Bergen got no alert about the new handover"
        story["rejection_handover"] = handover.id
    audit.assert_clean()


# ---- 3 ----------------------------------------------------------------------------------------------

def test_3_municipal_coordinator_follows_the_alert_acknowledges_and_plans_first_contact(
        open_page, base_url, audit, story):
    handover_id = story.get("rejection_handover")
    assert handover_id, "journey 2 did not leave a handover"
    page = open_page()
    log_in(page, base_url, COORDINATOR, PASSWORD)
    _expect_heading(page, "Tilbakehenvisninger")
    assert unread_alert_count(page) >= 1
    row = page.get_by_role("row").filter(has=page.locator(f'a[href$="/{handover_id}"]'))
    expect(row).to_contain_text("Avslag")
    expect(row).to_contain_text("BUP Bergen sentrum")
    expect(row).to_contain_text("Ny")
    audit.check(page, "Tilbakehenvisninger")
    screenshot(page, "tilbakehenvisninger")

    page.get_by_role("link", name="Varsler", exact=True).click()
    _expect_heading(page, "Varsler")
    audit.check(page, "Varsler")
    screenshot(page, "varsler")
    alert_link = page.get_by_role("link", name="Se tilbakehenvisningen").and_(
        page.locator(f'a[href$="/{handover_id}"]')).first
    alert_link.click()

    _expect_heading(page, "Tilbakehenvisning")
    assert page.url.endswith(f"/tilbakehenvisninger/{handover_id}")
    from_bup = page.get_by_role("region", name="Fra BUP")
    expect(from_bup).to_contain_text("Kommunale tiltak er ikke prøvd")
    expect(from_bup).to_contain_text(EXPLANATION)
    expect(from_bup).to_contain_text(ADVICE)
    expect(page.get_by_role("region", name="Laget rundt barnet")).to_contain_text("Tone Lærer")
    expect(_facts_value(page, "Status")).to_have_text("Ny")
    audit.check(page, "Tilbakehenvisning (ny)")
    screenshot(page, "tilbakehenvisning")
    doc_screenshot(page, "tilbakehenvisning")

    page.get_by_role("button", name="Bekreft mottatt").click()
    _expect_flash(page, "Tilbakehenvisningen er bekreftet mottatt.")
    expect(_facts_value(page, "Status")).to_have_text("Mottatt")
    audit.check(page, "Tilbakehenvisning (mottatt)")

    page.get_by_label("Dato for første kontakt").fill(iso_days_from_today(3))
    page.get_by_label("Plan", exact=True).fill(PLAN)
    page.get_by_role("button", name="Planlegg første kontakt").click()
    _expect_flash(page, "Første kontakt er planlagt.")
    expect(_facts_value(page, "Status")).to_have_text("Oppfølging planlagt")
    expect(_facts_value(page, "Plan")).to_have_text(PLAN)
    audit.check(page, "Tilbakehenvisning (oppfølging planlagt)")

    page.get_by_role("link", name="Oversikt", exact=True).click()
    _expect_heading(page, "Oversikt")
    audit.check(page, "Oversikt")
    screenshot(page, "oversikt")
    audit.assert_clean()


# ---- 4 ----------------------------------------------------------------------------------------------

def test_4_school_nurse_sees_the_whole_timeline_and_who_holds_the_child_now(open_page, base_url, audit, story):
    referral_id = story.get("rejected_referral")
    assert story.get("rejection_handover"), "journeys 1–3 did not complete"
    page = open_page()
    log_in(page, base_url, NURSE, PASSWORD)
    page.get_by_role("link", name="Mine henvisninger", exact=True).click()
    page.get_by_role("link", name="Avsluttede", exact=True).click()  # a rejected referral is finished at BUP
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=REJECTED_CHILD.name))
    expect(row).to_contain_text(REJECTED_STATUS)
    audit.check(page, "Mine henvisninger (avslag)")
    row.get_by_role("link", name=REJECTED_CHILD.name).click()

    _expect_heading(page, "Henvisning")
    assert page.url.endswith(f"/henvisninger/{referral_id}")
    timeline = page.get_by_role("region", name="Tidslinje").get_by_role("listitem")
    for step in ("Sendt til BUP", "BUP ga avslag", "Tilbakehenvisning: Tilbakehenvisningen ble opprettet",
                 "Tilbakehenvisning: Bekreftet mottatt", "Tilbakehenvisning: Første kontakt planlagt"):
        expect(timeline.filter(has_text=step)).to_have_count(1)
    holder = _facts_value(page, "Hvem har ansvaret nå")
    expect(holder).to_contain_text("Bergen kommune")
    expect(holder).to_contain_text("Oppfølging planlagt")
    expect(page.get_by_role("region", name="BUPs avgjørelse: avslag")).to_contain_text(ADVICE)
    expect(page.get_by_role("region", name="Tilbakehenvisning til kommunen")).to_contain_text(
        today_in_oslo().strftime("%Y"))
    audit.check(page, "Henvisning (tidslinje)")
    screenshot(page, "henvisning-tidslinje")
    audit.assert_clean()


# ---- 5 ----------------------------------------------------------------------------------------------

def test_5_accepted_treated_and_discharged_gives_the_municipality_a_second_handover(
        open_page, base_url, audit, worker):
    nurse = open_page()
    log_in(nurse, base_url, NURSE, PASSWORD)
    referral_id = _fill_referral(nurse, audit, TREATED_CHILD)

    bup = open_page()
    log_in(bup, base_url, INTAKE, PASSWORD)
    _expect_heading(bup, "Inntak")
    bup.get_by_role("row").filter(has=bup.get_by_role("link", name=TREATED_CHILD.name)).get_by_role(
        "link", name=TREATED_CHILD.name).click()
    _expect_heading(bup, "Vurder henvisning")
    assert bup.url.endswith(f"/inntak/{referral_id}")
    audit.check(bup, "Vurder henvisning (sendt)")
    bup.get_by_label("Frist for start av helsehjelp").fill(iso_days_from_today(30))
    bup.get_by_label("Prioritet").select_option(label="Moderat")
    bup.get_by_role("button", name="Gi rett til helsehjelp").click()
    _expect_flash(bup, "Barnet har fått rett til helsehjelp.")
    expect(_facts_value(bup, "Status")).to_have_text("Rett til helsehjelp – venter på oppstart")
    audit.check(bup, "Vurder henvisning (rett til helsehjelp)")

    bup.get_by_label("Dato for første time").fill(today_in_oslo().isoformat())
    bup.get_by_role("button", name="Start behandling").click()
    _expect_flash(bup, "Behandlingen er registrert som startet.")
    expect(_facts_value(bup, "Status")).to_have_text("Under behandling i BUP")
    audit.check(bup, "Vurder henvisning (under behandling)")

    bup.get_by_label("Oppsummering").fill(SUMMARY)
    bup.get_by_label("Anbefalt oppfølging").fill(RECOMMENDATIONS)
    bup.get_by_label("Epikrise er sendt").check()
    bup.get_by_role("button", name="Skriv ut", exact=True).click()
    _expect_flash(bup, "Barnet er skrevet ut.")
    expect(_facts_value(bup, "Status")).to_have_text(DISCHARGED_STATUS)
    audit.check(bup, "Vurder henvisning (skrevet ut)")

    worker.run()

    municipality = open_page()
    log_in(municipality, base_url, COORDINATOR, PASSWORD)
    _expect_heading(municipality, "Tilbakehenvisninger")
    discharged = municipality.get_by_role("row").filter(has_text="Utskrevet")
    expect(discharged).to_have_count(1)
    expect(discharged).to_contain_text("Ny")
    expect(municipality.get_by_role("row").filter(has_text="Avslag")).to_have_count(1)
    audit.check(municipality, "Tilbakehenvisninger (to)")
    discharged.get_by_role("link").click()
    _expect_heading(municipality, "Tilbakehenvisning")
    expect(_facts_value(municipality, "Årsak")).to_have_text("Utskrevet")
    from_bup = municipality.get_by_role("region", name="Fra BUP")
    expect(from_bup).to_contain_text(SUMMARY)
    expect(from_bup).to_contain_text(RECOMMENDATIONS)
    audit.check(municipality, "Tilbakehenvisning (utskrevet)")
    screenshot(municipality, "tilbakehenvisning-utskrevet")
    audit.assert_clean()


# ---- 6 ----------------------------------------------------------------------------------------------

def test_6_step_one_with_errors_is_refused_in_norwegian_beside_the_fields_and_keeps_what_was_typed(
        open_page, base_url, audit):
    page = open_page()
    log_in(page, base_url, NURSE, PASSWORD)
    page.get_by_role("link", name="Ny henvisning", exact=True).click()
    _expect_heading(page, "Ny henvisning")

    # Keyboard only: Tab to each field, type, and press Enter on "Neste".
    national_id = page.get_by_label("Fødselsnummer eller D-nummer")
    tab_until_focused(page, national_id)
    page.keyboard.type("12345678901")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Fødselsdato")).to_be_focused()  # only needed when the number cannot tell it
    page.keyboard.press("Tab")
    expect(page.get_by_label("Barnets fornavn")).to_be_focused()
    page.keyboard.type("Åse Marie")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Barnets etternavn")).to_be_focused()  # left empty
    page.keyboard.press("Tab")
    expect(page.get_by_label("Kommunen der barnet bor")).to_be_focused()
    page.keyboard.type("Bergen")  # the list jumps to the municipality whose name is typed
    tab_until_focused(page, page.get_by_role("button", name="Neste"))
    page.keyboard.press("Enter")

    _expect_heading(page, "Ny henvisning")
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="Dette må rettes"))
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Skriv barnets etternavn.")).to_have_attribute(
        "href", "#felt-child-family-name")
    expect(summary.get_by_role("link", name=re.compile("^Fødselsnummeret er ikke gyldig"))).to_have_attribute(
        "href", "#felt-child-national-id")

    family_name = page.get_by_label("Barnets etternavn")
    expect(family_name).to_have_attribute("aria-invalid", "true")
    expect(family_name).to_have_accessible_description(re.compile("Skriv barnets etternavn."))
    expect(national_id).to_have_attribute("aria-invalid", "true")
    expect(national_id).to_have_accessible_description(re.compile("Fødselsnummeret er ikke gyldig"))
    # Beside the field: the message follows its input inside the same field.
    expect(page.locator(".ds-field", has=family_name).get_by_text("Skriv barnets etternavn.")).to_be_visible()

    expect(page.get_by_label("Barnets fornavn")).to_have_value("Åse Marie")
    expect(page.get_by_label("Kommunen der barnet bor")).to_have_value("4601")
    expect(page.get_by_label("Barnets fornavn")).not_to_have_attribute("aria-invalid", "true")
    audit.check(page, "Ny henvisning, steg 1 med feil")
    screenshot(page, "ny-henvisning-feil")
    audit.assert_clean()


# ---- the checker itself -----------------------------------------------------------------------------

def test_axe_check_catches_a_serious_violation(open_page):
    """A clean result above means something only if the same check fails on a page that is broken."""
    page = open_page()
    page.set_content('<!doctype html><html lang="nb"><head><title>Prøve</title></head><body><main>'
                     '<h1>Prøve</h1><input type="text" id="uten-etikett"></main></body></html>')
    probe = A11yAudit(journey="axe-selvtest", write_report=False)
    probe.check(page, "side uten etikett")
    assert "label" in [v["id"] for v in probe.blocking()["side uten etikett (about:blank)"]]
    with pytest.raises(AssertionError, match=r"label.*\n.*#uten-etikett"):
        probe.assert_clean()
