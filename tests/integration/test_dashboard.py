"""Oversikt: the dashboard's figures, counted from the events of a known set of referrals made through the API
at known dates, equal the figures worked out by hand below; each user sees their own part of the country; the
CSV holds the page's figures; figures about 1 or 2 children are hidden; no child is named.

The known set. Referrals are sent on Monday 2 March 2026; BUP decides after the days shown (calendar/working);
handovers are acknowledged and first contacts planned after the days shown, counted from the rejection.

  GP (Askøy children)      G1 reject d+2/2 insufficient_information   handover: ack 1/1, first contact 8/6, closed
                           G2 reject d+7/5 insufficient_information   handover: ack 2/2, first contact 7/5
                           G3 reject d+9/7 insufficient_information   handover: ack 5/3, first contact 14/10
                           G4 accept d+14/10, start of care due 20.03 (breached)
                           G5 reject d+1/1 not_specialist_need        handover: never acknowledged (overdue)
  School nurse (Bergen)    N1 accept d+1/1, N2 accept d+3/3, both start of care due 20.03 (breached)
                           N3, N4 never assessed (assessment deadline breached)
  PPT (Bergen)             P1 reject d+4/4 not_specialist_need        handover: never acknowledged (overdue)
                           P2 forwarded d+2/2 to BUP Øyane, never assessed there (breached)
                           P3 reject d+3/3 municipal_measures_not_tried  handover: ack 1/1, no first contact (overdue)
  GP, January 2025         OLD sent and withdrawn: outside the default period

The deadline sweep runs on Monday 23 March; the dashboard is read on Tuesday 24 March 2026.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.handover import Handover
from referral_service.services.loop.sweeps import run_sweeps
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.integration.conftest import empty_case_tables
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

OSLO = ZoneInfo("Europe/Oslo")
SENT = date(2026, 3, 2)
SWEEP_DAY = date(2026, 3, 23)
READ_DAY = date(2026, 3, 24)
ASKOY, BERGEN = "4627", "4601"
COORDINATOR = {ASKOY: "coordinator_askoy", BERGEN: "coordinator_bergen"}


# --- making the known set through the API --------------------------------------------------------------------

def at(clock, day: date, hour: int = 10) -> None:
    clock.set(datetime.combine(day, time(hour), tzinfo=OSLO))


class KnownSet:
    """The referrals above, made step by step with the clock set to each step's day."""

    def __init__(self, world, app, clock) -> None:
        self.world, self.app, self.clock = world, app, clock
        self.worker = InProcessWorker(app)
        self.referrals: dict[str, tuple[str, str, str]] = {}  # name -> (id, who, home municipality)
        self._tokens: dict[str, str] = {}
        self._browsers: dict[str, FlaskClient] = {}
        # Logged in at today's real time, the tokens stay valid while the clock is set back to 2025 and 2026.
        for who in ("gp", "nurse_bergen", "ppt", "bup", *COORDINATOR.values()):
            response = world.client.post("/api/v1/auth/token", json={"email": USERS[who], "password": DEMO_PASSWORD})
            self._tokens[who] = response.json["access_token"]

    def post(self, who: str, path: str, body: dict | None = None) -> dict:
        response = self.world.client.post(path, json=body, headers={"Authorization": f"Bearer {self._tokens[who]}"})
        assert response.status_code in (200, 201), (path, response.status_code, response.json)
        return response.json

    def send(self, name: str, who: str, home: str, day: date) -> None:
        body = self.world.referral_body(home_municipality=home, consent={
            "given_by": ["guardian"], "share_with": ["bup", "municipality", "school"],
            "recorded_on": day.isoformat()})
        referral = self.post(who, "/api/v1/referrals", body)
        self.post(who, f"/api/v1/referrals/{referral['id']}/submit")
        self.referrals[name] = (referral["id"], who, home)

    def bup(self, name: str, action: str, body: dict | None = None) -> None:
        self.post("bup", f"/api/v1/referrals/{self.referrals[name][0]}/{action}", body)
        self.worker.run()  # the handover of a rejection is made straight away, as the workers do

    def reject(self, name: str, reason: str) -> None:
        self.bup(name, "reject", {"reason_code": reason, "explanation": "Forklaring.",
                                  "municipal_advice": "Råd til kommunen."})

    def accept(self, name: str) -> None:
        self.bup(name, "accept", {"care_start_due": "2026-03-20"})

    def withdraw(self, name: str) -> None:
        rid, who, _home = self.referrals[name]
        self.post(who, f"/api/v1/referrals/{rid}/withdraw", {"reason": "Familien flyttet."})

    def handover(self, name: str, action: str, body: dict | None = None) -> None:
        with self.app.extensions["referral_db"].session() as session:
            handover_id = session.exec(select(Handover.id).where(
                Handover.referral_id == self.referrals[name][0])).one()
        self.post(COORDINATOR[self.referrals[name][2]], f"/api/v1/handovers/{handover_id}/{action}", body)

    def sweep(self) -> None:
        with self.app.extensions["referral_db"].session() as session:
            deps = dependencies(self.app)
            run_sweeps(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines)

    def browser(self, who: str) -> FlaskClient:
        """A browser-like client logged in through the login form (one per user)."""
        if who not in self._browsers:
            client = self.app.test_client()
            page = client.get("/logg-inn").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            response = client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD,
                                                      "csrf_token": token})
            assert response.status_code == 302, response.get_data(as_text=True)
            self._browsers[who] = client
        return self._browsers[who]


def day(n: int) -> date:
    return date(2026, 3, n)


@pytest.fixture(scope="module")
def known_set(app, seeded_world, test_clock) -> KnownSet:
    """Made once per database for this module's tests, which only read it."""
    empty_case_tables(app)
    test_clock.reset()
    s, clock = KnownSet(seeded_world, app, test_clock), test_clock
    at(clock, date(2025, 1, 15))
    s.send("OLD", "gp", ASKOY, date(2025, 1, 15))
    at(clock, date(2025, 1, 20))
    s.withdraw("OLD")

    at(clock, SENT, hour=9)
    for name in ("G1", "G2", "G3", "G4", "G5"):
        s.send(name, "gp", ASKOY, SENT)
    for name in ("N1", "N2", "N3", "N4"):
        s.send(name, "nurse_bergen", BERGEN, SENT)
    for name in ("P1", "P2", "P3"):
        s.send(name, "ppt", BERGEN, SENT)

    at(clock, day(3))
    s.reject("G5", "not_specialist_need")
    s.accept("N1")
    at(clock, day(4))
    s.reject("G1", "insufficient_information")
    s.bup("P2", "forward", {"clinic_id": seeded_world.orgs["bup2"].id, "reason": "Bosted"})
    at(clock, day(5))
    s.accept("N2")
    s.reject("P3", "municipal_measures_not_tried")
    s.handover("G1", "acknowledge")
    s.handover("G1", "plan", {"first_contact_on": "2026-03-12", "plan": "Samtale med kommunepsykolog."})
    at(clock, day(6))
    s.reject("P1", "not_specialist_need")
    s.handover("P3", "acknowledge")
    at(clock, day(9))
    s.reject("G2", "insufficient_information")
    at(clock, day(11))
    s.reject("G3", "insufficient_information")
    s.handover("G2", "acknowledge")
    s.handover("G2", "plan", {"first_contact_on": "2026-03-16", "plan": "Samtale."})
    at(clock, day(12))
    s.handover("G1", "close", {"outcome": "Følges opp av kommunepsykolog."})
    at(clock, day(16))
    s.accept("G4")
    s.handover("G3", "acknowledge")
    s.handover("G3", "plan", {"first_contact_on": "2026-03-25", "plan": "Samtale."})

    at(clock, SWEEP_DAY, hour=9)
    s.sweep()
    at(clock, READ_DAY)
    yield s
    test_clock.reset()


# --- reading the dashboard as a person does ------------------------------------------------------------------

def csv_figures(known_set: KnownSet, who: str, query: str = "") -> dict[tuple[str, str, str], str]:
    """The CSV as {(table, group, measure): value}."""
    response = known_set.browser(who).get(f"/oversikt.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Tabell", "Gruppe", "Mål", "Verdi"]
    return {(table, group, measure): value for table, group, measure, value in rows[1:]}


class PageReader(HTMLParser):
    """The h1s, and each table as {caption: [[cell, ...], ...]}, with the text a sighted reader sees."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, bool]] = []
        self._text: list[str] | None = None
        self._caption = ""
        self._rows: list[list[str]] = []

    def _hidden(self) -> bool:
        return any(hidden for _tag, hidden in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append((tag, "ds-sr-only" in (attrs.get("class") or "")))
        if tag in ("h1", "caption", "td", "th"):
            self._text = []
        if tag == "tr":
            self._rows.append([])

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass
        text = " ".join("".join(self._text or []).split())
        if tag == "h1":
            self.h1.append(text)
        elif tag == "caption":
            self._caption = text
        elif tag in ("td", "th"):
            self._rows[-1].append(text)
        elif tag == "table":
            self.tables[self._caption] = self._rows
            self._rows = []

    def handle_data(self, data):
        if self._text is not None and not self._hidden():
            self._text.append(data)


def read_page(known_set: KnownSet, who: str, query: str = "") -> tuple[PageReader, str]:
    response = known_set.browser(who).get(f"/oversikt{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    reader = PageReader()
    reader.feed(html)
    return reader, html


def rows_by_name(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table if row}


# --- the national figures, worked out by hand ----------------------------------------------------------------

def test_an_administrator_sees_the_rejection_share_overall_by_referrer_and_by_reason(known_set):
    figures = csv_figures(known_set, "admin")
    henvisninger = {m: v for (t, _g, m), v in figures.items() if t == "Henvisninger"}
    # 12 sent + P2 received again at BUP Øyane; 6 rejected: 6/13 = 46.15 %.
    assert henvisninger == {"Mottatt": "13", "Sendt fra henviser": "12", "Videresendt fra annen BUP": "<3",
                            "Avslått": "6", "Andel avslått (%)": "46,2", "Venter på vurdering": "3",
                            "Sendt med mangler": "0", "Hjelp i kommunen etter vurderingssamtale": "0"}
    by_kind = {(g, m): v for (t, g, m), v in figures.items() if t == "Avslag etter henviser"}
    assert by_kind[("Fastlegekontor", "Mottatt")] == "5" and by_kind[("Fastlegekontor", "Avslått")] == "4"
    assert by_kind[("Fastlegekontor", "Andel avslått (%)")] == "80,0"
    assert (by_kind[("Skolehelsetjenesten", "Mottatt")], by_kind[("Skolehelsetjenesten", "Avslått")],
            by_kind[("Skolehelsetjenesten", "Andel avslått (%)")]) == ("4", "0", "0,0")
    # PPT: P1, P2, P3 and P2 at BUP Øyane received, 2 rejected: too few to show.
    assert (by_kind[("PPT", "Mottatt")], by_kind[("PPT", "Avslått")], by_kind[("PPT", "Andel avslått (%)")]) == (
        "4", "<3", ":")
    assert by_kind[("Barnevernstjenesten", "Mottatt")] == "0" and by_kind[("Barnevernstjenesten",
                                                                              "Andel avslått (%)")] == ""
    by_reason = {(g, m): v for (t, g, m), v in figures.items() if t == "Avslag etter grunn"}
    assert by_reason[("For lite informasjon", "Avslag")] == "3"
    assert by_reason[("For lite informasjon", "Andel av avslagene (%)")] == "50,0"
    assert by_reason[("Ikke behov for spesialisthelsetjeneste", "Avslag")] == "<3"
    assert by_reason[("Kommunale tiltak er ikke prøvd", "Andel av avslagene (%)")] == ":"
    assert by_reason[("Feil tjeneste", "Avslag")] == "0"


def test_an_administrator_sees_the_days_to_assessment_acknowledgement_and_first_contact(known_set):
    figures = csv_figures(known_set, "admin")
    wait = {(g, m): v for (t, g, m), v in figures.items() if t == "Ventetid"}
    assessed = "Fra mottatt til vurdert i BUP"
    # Calendar days 1,1,2,2,3,3,4,7,9,14 and working days 1,1,2,2,3,3,4,5,7,10 (P2's forward is its decision).
    assert [wait[(assessed, m)] for m in ("Antall barn", "Median, kalenderdager", "90-persentil, kalenderdager",
                                          "Median, virkedager", "90-persentil, virkedager")] == [
        "10", "3", "9,5", "3", "7,3"]
    acknowledged = "Fra avslag eller utskriving til bekreftet mottatt i kommunen"
    # G1 1/1, G2 2/2, G3 5/3, P3 1/1.
    assert [wait[(acknowledged, m)] for m in ("Antall barn", "Median, kalenderdager", "90-persentil, kalenderdager",
                                              "Median, virkedager", "90-persentil, virkedager")] == [
        "4", "1,5", "4,1", "1,5", "2,7"]
    first_contact = "Fra avslag eller utskriving til planlagt første kontakt"
    # G1 8/6, G2 7/5, G3 14/10.
    assert [wait[(first_contact, m)] for m in ("Antall barn", "Median, kalenderdager", "90-persentil, kalenderdager",
                                               "Median, virkedager", "90-persentil, virkedager")] == [
        "3", "8", "12,8", "6", "9,2"]


def test_an_administrator_sees_open_and_overdue_handovers_and_deadline_breaches(known_set):
    figures = csv_figures(known_set, "admin")
    handovers = {m: v for (t, _g, m), v in figures.items() if t == "Tilbakehenvisninger"}
    # Six rejections made handovers; G1 is closed; G5 and P1 were never acknowledged; G5, P1 and P3 have no
    # first contact planned, and their first-contact deadlines (10 working days) have passed.
    assert handovers == {"Opprettet i perioden": "6", "Fra perioden, ikke bekreftet mottatt": "<3",
                         "Åpne nå": "5", "Over frist nå": "3", "Over frist nå: ikke bekreftet mottatt": "<3",
                         "Over frist nå: første kontakt ikke planlagt": "3",
                         "Skrevet ut uten epikrise": "0"}  # no discharge in the known set lacked one
    assert figures[("Fristbrudd", "Vurderingsfrist", "Antall")] == "3"  # N3, N4, P2 at BUP Øyane
    assert figures[("Fristbrudd", "Frist for start av helsehjelp", "Antall")] == "3"  # G4, N1, N2


# --- who sees what ---------------------------------------------------------------------------------------------

def test_a_bup_user_sees_only_their_own_clinic(known_set):
    bup, bup2 = csv_figures(known_set, "bup"), csv_figures(known_set, "bup2")
    assert bup[("Utvalg", "", "Gjelder")] == "BUP Bergen sentrum"
    assert (bup[("Henvisninger", "Alle", "Mottatt")], bup[("Henvisninger", "Alle", "Avslått")],
            bup[("Henvisninger", "Alle", "Andel avslått (%)")]) == ("12", "6", "50,0")
    assert bup[("Avslag etter henviser", "PPT", "Mottatt")] == "3"
    assert bup[("Fristbrudd", "Vurderingsfrist", "Antall")] == "<3"  # N3 and N4; P2's breach is at BUP Øyane
    assert bup[("Tilbakehenvisninger", "Alle", "Åpne nå")] == "5"
    assert bup2[("Utvalg", "", "Gjelder")] == "BUP Øyane"
    assert (bup2[("Henvisninger", "Alle", "Mottatt")], bup2[("Henvisninger", "Alle", "Avslått")],
            bup2[("Henvisninger", "Alle", "Andel avslått (%)")]) == ("<3", "0", ":")
    assert bup2[("Ventetid", "Fra mottatt til vurdert i BUP", "Antall barn")] == "0"
    assert bup2[("Tilbakehenvisninger", "Alle", "Åpne nå")] == "0"


def test_a_municipal_coordinator_sees_their_municipalitys_children_and_handovers(known_set):
    askoy = csv_figures(known_set, "coordinator_askoy")
    assert askoy[("Utvalg", "", "Gjelder")] == "Askøy kommune"
    assert (askoy[("Henvisninger", "Alle", "Mottatt")], askoy[("Henvisninger", "Alle", "Andel avslått (%)")]) == (
        "5", "80,0")
    acknowledged = "Fra avslag eller utskriving til bekreftet mottatt i kommunen"
    # G1 1, G2 2, G3 5 calendar days: median 2, 90th percentile 2 + 0.8 * 3.
    assert (askoy[("Ventetid", acknowledged, "Median, kalenderdager")],
            askoy[("Ventetid", acknowledged, "90-persentil, kalenderdager")]) == ("2", "4,4")
    assert askoy[("Tilbakehenvisninger", "Alle", "Opprettet i perioden")] == "4"
    assert askoy[("Tilbakehenvisninger", "Alle", "Åpne nå")] == "3"  # G2, G3, G5
    bergen = csv_figures(known_set, "lead_bergen")
    assert bergen[("Henvisninger", "Alle", "Mottatt")] == "8"  # N1-N4, P1-P3, and P2 at BUP Øyane
    assert bergen[("Henvisninger", "Alle", "Avslått")] == "<3"


def test_a_referrer_sees_their_own_organisations_referrals(known_set):
    gp, ppt = csv_figures(known_set, "gp"), csv_figures(known_set, "ppt")
    assert (gp[("Henvisninger", "Alle", "Mottatt")], gp[("Henvisninger", "Alle", "Avslått")]) == ("5", "4")
    assert gp[("Avslag etter henviser", "Skolehelsetjenesten", "Mottatt")] == "0"
    assert ppt[("Henvisninger", "Alle", "Mottatt")] == "4"
    assert ppt[("Avslag etter henviser", "Fastlegekontor", "Mottatt")] == "0"


# --- the period ------------------------------------------------------------------------------------------------

def test_the_period_defaults_to_the_last_365_days_and_can_be_widened(known_set):
    default = csv_figures(known_set, "gp")
    assert (default[("Utvalg", "", "Fra og med")], default[("Utvalg", "", "Til og med")]) == (
        "25.03.2025", "24.03.2026")
    wider = csv_figures(known_set, "gp", "?fra=2025-01-01&til=2026-03-24")
    assert wider[("Henvisninger", "Alle", "Mottatt")] == "6"  # OLD, sent in January 2025, is now in
    assert wider[("Henvisninger", "Alle", "Andel avslått (%)")] == "66,7"
    march = csv_figures(known_set, "admin", "?fra=2026-03-10&til=2026-03-31")
    assert march[("Henvisninger", "Alle", "Mottatt")] == "0"
    assert march[("Fristbrudd", "Vurderingsfrist", "Antall")] == "3"  # recorded on 23 March


def test_a_period_that_ends_before_it_starts_is_shown_beside_the_field(known_set):
    page, html = read_page(known_set, "admin", "?fra=2026-03-10&til=2026-03-01")
    assert 'aria-invalid="true"' in html and "Til-datoen kan ikke være før fra-datoen." in html
    assert 'href="#felt-til"' in html  # the summary at the top links to the field
    assert known_set.browser("admin").get("/oversikt.csv?fra=ikke-en-dato").status_code == 422


# --- the page and the file -------------------------------------------------------------------------------------

def test_the_page_has_one_h1_charts_with_text_and_the_csvs_figures_in_its_tables(known_set):
    page, html = read_page(known_set, "admin")
    assert page.h1 == ["Oversikt"]
    main = html[html.index('<main'):]  # the header's bell icon is an SVG too
    assert main.count("<svg") == 4 and main.count('role="img"') == 4 and main.count("<desc") == 4
    assert 'for="felt-fra"' in html and 'id="felt-fra"' in html and 'type="date"' in html
    assert "Last ned som CSV" in html
    # The charts are drawn without JavaScript: the page's only script is the session notice's (_session_notice.html).
    assert [tag for tag in re.findall(r"<script[^>]*>", html) if "session.js" not in tag] == []
    by_kind = rows_by_name(page.tables["Mottatte og avslåtte henvisninger etter hvem som henviste"])
    assert by_kind["Fastlegekontor"] == ["5", "4", "80,0 %"] and by_kind["PPT"] == ["4", "<3", ":"]
    assert by_kind["Alle"] == ["13", "6", "46,2 %"]
    waits = rows_by_name(page.tables["Ventetid i kalenderdager og virkedager"])
    assert waits["Fra mottatt til vurdert i BUP"] == ["10", "3", "9,5", "3", "7,3"]
    assert waits["Fra avslag eller utskriving til planlagt første kontakt"] == ["3", "8", "12,8", "6", "9,2"]
    handovers = rows_by_name(page.tables["Tilbakehenvisninger til kommunen"])
    assert handovers["Åpne i dag"] == ["5"] and handovers["Over frist i dag"] == ["3"]
    breaches = rows_by_name(page.tables["Fristbrudd registrert i perioden"])
    assert breaches == {"Frist": ["Antall"], "Vurderingsfrist": ["3"], "Frist for start av helsehjelp": ["3"]}
    assert "Andel avslått etter hvem som henviste" in html and "PPT: skjult fordi det gjelder færre enn 3 barn" in html


def test_neither_the_page_nor_the_csv_names_a_child(known_set):
    _page, html = read_page(known_set, "bup")
    exported = known_set.browser("bup").get("/oversikt.csv").data.decode("utf-8-sig")
    for text in (html, exported):
        assert "Ola" not in text and "Testesen" not in text and not re.search(r"\d{11}", text)


def test_the_csv_is_an_attachment_excel_in_norway_can_read(known_set):
    response = known_set.browser("auditor").get("/oversikt.csv?fra=2026-01-01&til=2026-03-31")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="oversikt-2026-01-01-2026-03-31.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Tabell;Gruppe;Mål;Verdi" and "Utvalg;;Gjelder;Hele landet" in lines


def test_the_dashboard_asks_you_to_log_in_first(known_set):
    for path in ("/oversikt", "/oversikt.csv"):
        response = known_set.app.test_client().get(path)
        assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
