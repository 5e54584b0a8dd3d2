"""The web pages where BUP decides on a referral (Vurder henvisning) and the municipality follows up
the handover (Tilbakehenvisning): what people see, what each button does, and the errors they get."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """What a person (or a screen reader) finds on a page: title, h1, buttons, labels, fields, texts by id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.title = ""
        self.h1: list[str] = []
        self.buttons: list[str] = []
        self.labels: dict[str, str] = {}  # label text -> the id it is tied to
        self.fields: dict[str, dict[str, str]] = {}  # id -> the input's attributes
        self.by_id: dict[str, str] = {}  # id -> text inside
        self.forms: list[dict] = []  # action and hidden fields
        self._open: list[tuple[str, dict[str, str]]] = []
        self._text: dict[int, list[str]] = {}
        self._all: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "hidden": {}})
        if tag in {"input", "textarea", "select"} and "id" in attrs:
            self.fields[attrs["id"]] = {"tag": tag, **attrs}
        if tag == "input" and attrs.get("type") == "hidden" and self.forms:
            self.forms[-1]["hidden"][attrs["name"]] = attrs.get("value", "")
        if tag not in VOID:
            self._open.append((tag, attrs))
            self._text[len(self._open)] = []

    def handle_endtag(self, tag):
        if tag not in {open_tag for open_tag, _ in self._open}:
            return
        while self._open:
            depth = len(self._open)
            open_tag, attrs = self._open.pop()
            text = " ".join("".join(self._text.pop(depth)).split())
            if depth - 1 in self._text:
                self._text[depth - 1].append(" " + text + " ")
            if "id" in attrs:
                self.by_id[attrs["id"]] = text
            if open_tag == "title":
                self.title = text
            elif open_tag == "h1":
                self.h1.append(text)
            elif open_tag == "button":
                self.buttons.append(text)
            elif open_tag == "label" and "for" in attrs:
                self.labels[text] = attrs["for"]
            if open_tag == "textarea" and "id" in attrs:
                self.fields[attrs["id"]]["value"] = text
            if open_tag == tag:
                return

    def handle_data(self, data):
        self._all.append(data)
        if self._open:
            self._text[len(self._open)].append(data)

    def hidden(self, name: str) -> str:
        """The value of a hidden field (the form token, the version seen) in any form on the page."""
        return next((f["hidden"][name] for f in self.forms if name in f["hidden"]), "")

    def text(self) -> str:
        return " ".join("".join(self._all).split())

    def field(self, label: str) -> dict[str, str]:
        """The input a label is tied to, found by the label's text, as assistive technology finds it."""
        return self.fields[self.labels[label]]

    def form_for(self, path_end: str) -> dict:
        return next(f for f in self.forms if f["action"].endswith(path_end))


class WebUser:
    """A person using the web pages in their own browser session."""

    def __init__(self, app, who: str) -> None:
        self.client = app.test_client()
        self.page: Page | None = None
        login = self.get("/logg-inn")
        response = self.client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD,
                                                       "csrf_token": login.hidden("csrf_token")})
        assert response.status_code == 302, response.status_code

    def get(self, path: str, expect: int = 200) -> Page:
        response = self.client.get(path)
        assert response.status_code == expect, (path, response.status_code)
        return self._read(response)

    def submit(self, action: str, data: dict[str, str], *, expect: int = 200, csrf: bool = True) -> Page:
        """Post one of the forms on the current page (its hidden fields included), following the redirect."""
        form = self.page.form_for(action)
        body = {**form["hidden"], **data}
        if not csrf:
            body.pop("csrf_token")
        response = self.client.post(form["action"], data=body, follow_redirects=True)
        assert response.status_code == expect, (action, response.status_code, response.get_data(as_text=True))
        return self._read(response)

    def _read(self, response) -> Page:
        self.page = Page(response.get_data(as_text=True))
        return self.page


@pytest.fixture
def today(app):
    return dependencies(app).clock.today()


def referral_status(world, rid: str) -> str:
    return world.get("gp", f"/api/v1/referrals/{rid}").json["status"]


def rejected_and_handed_over(app, world) -> tuple[str, str]:
    """A referral BUP rejected, and the handover the worker created for Askøy."""
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    assert handover_id
    return referral["id"], handover_id


DECISION_BUTTONS = {"Gi rett til helsehjelp", "Be om mer informasjon", "Avslå", "Videresend", "Start behandling",
                    "Skriv ut"}
HANDOVER_BUTTONS = {"Bekreft mottatt", "Tildel", "Planlegg første kontakt", "Avslutt"}


def test_bup_finds_the_referral_in_the_intake_queue_and_sees_it_in_full(app, world):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")

    queue = bup.get("/inntak")
    assert f"/inntak/{referral['id']}" in queue.html

    page = bup.get(f"/inntak/{referral['id']}")
    assert page.h1 == ["Vurder henvisning"]
    assert page.title.startswith("Vurder henvisning") and "Ola" not in page.title
    text = page.text()
    for shown in ("Ola Testesen", "10.05.12 *****", "Angst", "Skolevegring", "Økende angst og skolefravær",
                  "Samtaler med helsesykepleier", "Jeg vil gjerne snakke med noen", "Foresatte", "Mor Testesen",
                  "Kommunale tjenester", "Heidi Helsesykepleier", "Skolehelsetjenesten på Askøy",
                  "Sendt – venter på vurdering", "virkedager igjen"):
        assert shown in text, shown
    assert referral["child"]["national_id_masked"] in text
    assert "anxiety" not in text and "school_refusal" not in text


def test_only_the_receiving_clinic_assesses_the_referral(app, world):
    referral = world.referral_in("submitted")

    other_clinic = WebUser(app, "bup2").get(f"/inntak/{referral['id']}", expect=404)
    assert "Ola" not in other_clinic.html
    response = WebUser(app, "gp").client.get(f"/inntak/{referral['id']}")
    assert response.status_code == 302 and response.location.endswith(f"/henvisninger/{referral['id']}")


def test_only_the_decisions_the_state_allows_are_offered(app, world):
    referral = world.referral_in("submitted")
    page = WebUser(app, "bup").get(f"/inntak/{referral['id']}")

    assert DECISION_BUTTONS & set(page.buttons) == {"Gi rett til helsehjelp", "Be om mer informasjon", "Avslå",
                                                     "Videresend"}
    assert page.field("Frist for start av helsehjelp")["type"] == "date"
    assert page.field("Begrunnelse")["tag"] == "select"
    assert page.field("Forklaring")["tag"] == "textarea"
    assert page.field("Råd til kommunen")["tag"] == "textarea"
    assert "BUP Øyane" in page.text() and "BUP Bergen sentrum</option>" not in page.html


def test_bup_rejects_with_reason_explanation_and_advice(app, world):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")

    page = bup.submit("/avslag", {"reason_code": "municipal_measures_not_tried",
                                  "explanation": "Kommunale tiltak bør prøves først.",
                                  "municipal_advice": "Tilby samtaler hos kommunepsykolog."})

    assert referral_status(world, referral["id"]) == "rejected"
    assert "Henvisningen er avslått" in page.text()
    assert page.h1 == ["Vurder henvisning"]
    assert "Kommunale tiltak er ikke prøvd" in page.text() and "Tilby samtaler hos kommunepsykolog." in page.text()
    assert not DECISION_BUTTONS & set(page.buttons)


def test_a_rejection_without_advice_is_refused_beside_the_field_and_keeps_what_was_typed(app, world):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")

    page = bup.submit("/avslag", {"reason_code": "", "explanation": "Vi mener dette kan løses i kommunen.",
                                  "municipal_advice": "   "}, expect=422)

    assert referral_status(world, referral["id"]) == "submitted"
    assert page.h1 == ["Vurder henvisning"]
    summary = page.by_id["feiloppsummering"]
    assert "Velg en begrunnelse for avslaget." in summary and "Skriv hva kommunen bør gjøre videre." in summary
    assert page.by_id["felt-reason-code-feil"] == "Velg en begrunnelse for avslaget."
    advice = page.field("Råd til kommunen")
    assert advice["aria-invalid"] == "true" and "felt-municipal-advice-feil" in advice["aria-describedby"]
    assert page.by_id["felt-municipal-advice-feil"] == "Skriv hva kommunen bør gjøre videre."
    assert page.field("Forklaring")["value"] == "Vi mener dette kan løses i kommunen."
    assert "felt-explanation-feil" not in page.by_id


def test_bup_accepts_starts_treatment_and_discharges(app, world, today):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")

    page = bup.submit("/gi-rett", {"care_start_due": (today + timedelta(days=28)).isoformat(),
                                   "priority": "moderate"})
    assert "Barnet har fått rett til helsehjelp" in page.text()
    assert DECISION_BUTTONS & set(page.buttons) == {"Start behandling"}
    assert f"{today + timedelta(days=28):%d.%m.%Y}" in page.text() and "Moderat" in page.text()
    assert referral_status(world, referral["id"]) == "accepted"
    assert f"/inntak/{referral['id']}" in bup.get("/inntak").html  # waiting for start, in BUP's overview

    bup.get(f"/inntak/{referral['id']}")
    page = bup.submit("/start-behandling", {"first_appointment_on": today.isoformat()})
    assert "Behandlingen er registrert som startet." in page.text()
    assert DECISION_BUTTONS & set(page.buttons) == {"Skriv ut"}
    assert referral_status(world, referral["id"]) == "in_treatment"

    page = bup.submit("/skriv-ut", {"summary": "Angsten er redusert etter tolv samtaler.",
                                    "follow_up_recommendations": "Jevnlige samtaler med helsesykepleier.",
                                    "epikrise_sent": "ja"})
    assert "Barnet er skrevet ut." in page.text()
    assert not DECISION_BUTTONS & set(page.buttons)
    discharge = world.get("gp", f"/api/v1/referrals/{referral['id']}/events").json["items"][-1]
    assert referral_status(world, referral["id"]) == "discharged"
    assert discharge["data"]["epikrise_sent"] is True


def test_a_start_of_care_deadline_that_is_not_after_today_is_refused_in_norwegian(app, world, today):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")

    page = bup.submit("/gi-rett", {"care_start_due": today.isoformat()}, expect=422)

    assert page.by_id["felt-care-start-due-feil"] == "Fristen for start av helsehjelp må være etter i dag."
    assert page.field("Frist for start av helsehjelp")["value"] == today.isoformat()
    assert referral_status(world, referral["id"]) == "submitted"


def test_a_decision_on_a_referral_that_changed_meanwhile_says_the_case_has_changed(app, world, today):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")
    world.act("bup", referral["id"], "request-information", {"questions": "Hvor lenge har det vart?"})

    page = bup.submit("/gi-rett", {"care_start_due": (today + timedelta(days=20)).isoformat()}, expect=409)

    assert "Saken er endret" in page.text()
    assert referral_status(world, referral["id"]) == "information_requested"
    assert "Hvor lenge har det vart?" in page.text()


def test_a_decision_without_the_form_token_is_refused(app, world):
    referral = world.referral_in("submitted")
    bup = WebUser(app, "bup")
    bup.get(f"/inntak/{referral['id']}")

    page = bup.submit("/avslag", {"reason_code": "other", "explanation": "X.", "municipal_advice": "Y."},
                      expect=400, csrf=False)

    assert "Skjemaet er utløpt" in page.text()
    assert referral_status(world, referral["id"]) == "submitted"


def test_the_municipality_follows_up_the_handover_from_acknowledgement_to_closing(app, world, today):
    _rid, handover_id = rejected_and_handed_over(app, world)
    coordinator = WebUser(app, "coordinator_askoy")

    assert f"/tilbakehenvisninger/{handover_id}" in coordinator.get("/tilbakehenvisninger").html
    page = coordinator.get(f"/tilbakehenvisninger/{handover_id}")
    assert page.h1 == ["Tilbakehenvisning"] and "Ola" not in page.title
    text = page.text()
    assert "Status Ny" in page.by_id["sammendrag"]
    for shown in ("Ola Testesen", "10.05.12 *****", "Avslag", "BUP Bergen sentrum",
                  "Ikke behov for spesialisthelsetjeneste", "Ikke behov for spesialist.", "Tilbud hos kommunepsykolog.",
                  "Heidi Helsesykepleier", "Mor Testesen", "virkedager igjen"):
        assert shown in text, shown
    assert HANDOVER_BUTTONS & set(page.buttons) == {"Bekreft mottatt"}

    page = coordinator.submit("/bekreft-mottatt", {})
    assert "Tilbakehenvisningen er bekreftet mottatt." in page.text()
    assert "Status Mottatt" in page.by_id["sammendrag"]
    assert HANDOVER_BUTTONS & set(page.buttons) == {"Tildel", "Planlegg første kontakt", "Avslutt"}

    page = coordinator.submit("/tildel", {"assignee_user_id": world.users["lead_askoy"].id, "service": ""})
    assert "Tilbakehenvisningen er tildelt." in page.text() and "Lise Leder" in page.by_id["sammendrag"]

    first_contact = today + timedelta(days=3)
    page = coordinator.submit("/planlegg", {"first_contact_on": first_contact.isoformat(),
                                            "plan": "Helsesykepleier ringer familien."})
    assert "Første kontakt er planlagt." in page.text() and f"{first_contact:%d.%m.%Y}" in page.text()
    assert HANDOVER_BUTTONS & set(page.buttons) == {"Avslutt"}

    page = coordinator.submit("/avslutt", {"outcome": "Får samtaler hos kommunepsykolog."})
    assert "Tilbakehenvisningen er avsluttet." in page.text()
    assert not HANDOVER_BUTTONS & set(page.buttons)
    handover = world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").json
    assert handover["status"] == "closed" and handover["outcome"] == "Får samtaler hos kommunepsykolog."
    assert handover["assignee_user_id"] == world.users["lead_askoy"].id


def test_a_handover_is_assigned_to_a_person_or_a_service_not_neither(app, world):
    _rid, handover_id = rejected_and_handed_over(app, world)
    coordinator = WebUser(app, "coordinator_askoy")
    coordinator.get(f"/tilbakehenvisninger/{handover_id}")
    coordinator.submit("/bekreft-mottatt", {})

    page = coordinator.submit("/tildel", {"assignee_user_id": "", "service": ""}, expect=422)
    assert page.by_id["felt-assignee-user-id-feil"] == "Velg én person, eller skriv navnet på én tjeneste."
    assert "Velg én person" in page.by_id["feiloppsummering"]

    page = coordinator.submit("/tildel", {"assignee_user_id": "", "service": "Helsestasjon for ungdom"})
    assert "Helsestasjon for ungdom" in page.by_id["sammendrag"]


def test_a_step_the_handover_status_does_not_allow_says_the_case_has_changed(app, world):
    _rid, handover_id = rejected_and_handed_over(app, world)
    coordinator = WebUser(app, "coordinator_askoy")
    coordinator.get(f"/tilbakehenvisninger/{handover_id}")
    coordinator.submit("/bekreft-mottatt", {})
    stale = coordinator.page
    world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/close", json={"outcome": "Flyttet."})

    coordinator.page = stale
    page = coordinator.submit("/avslutt", {"outcome": "Ferdig."}, expect=409)

    assert "Saken er endret" in page.text()
    assert not HANDOVER_BUTTONS & set(page.buttons)


def test_a_coordinator_in_another_municipality_cannot_open_the_handover(app, world):
    _rid, handover_id = rejected_and_handed_over(app, world)
    bergen = WebUser(app, "coordinator_bergen")

    page = bergen.get(f"/tilbakehenvisninger/{handover_id}", expect=404)

    assert "Ola" not in page.html and "Tilbud hos kommunepsykolog" not in page.html
    assert f"/tilbakehenvisninger/{handover_id}" not in bergen.get("/tilbakehenvisninger").html
