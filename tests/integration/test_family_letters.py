"""Letters to the child and guardians (issue 14, must-show 3 and the letter half of 2), on SQLite and PostgreSQL:
every kind is drafted by the change itself, rendered to PDF in bokmål and nynorsk, and the text pdftotext finds
names who to talk to now (name and phone) and the deadline, and never the identity number; a withholding
14-year-old's guardians get a letter without what the child kept from them; sending goes by age; need-to-know."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.family import FamilyLetter, GuardianIdentity
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.notify.family_words import LETTER_KINDS, WHO_NOW
from referral_service.security.access_log import DENIED_REFERRAL
from referral_service.services.family.letter_rendering import (
    PdfUnavailable,
    letter_names,
    render_letter_document,
    render_letter_pdf,
)
from referral_service.services.family.letters import pending_letters
from referral_service.services.loop.consequences import handle_referral_event
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.family_access import FamilyRole
from tests.integration.test_loop_edge_cases import only_handover
from tests.integration.test_web_decisions import WebUser
from tests.support.family import family_client
from tests.support.loop import InProcessWorker

WITHHELD = {"given_by": ["guardian", "child"], "share_with": ["bup", "municipality"],
            "withhold_from_guardians": True}
CHILD_VIEW = "Jeg vil gjerne snakke med noen som kan hjelpe."
EXPLANATION = "Plagene er ikke så store at BUP trengs nå."
ADVICE = "Samtaler hos kommunepsykologen hver uke."
REJECT = {"reason_code": "not_specialist_need", "explanation": EXPLANATION, "municipal_advice": ADVICE}


def today(app) -> date:
    return dependencies(app).clock.today()


def born_years_ago(app, years: int) -> date:
    """A birth date that makes the child `years` old today (a month past the birthday)."""
    day = today(app) - timedelta(days=31)
    return day.replace(year=day.year - years, day=min(day.day, 28))


def letters(app, referral_id: str) -> list[FamilyLetter]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(FamilyLetter).where(FamilyLetter.referral_id == referral_id)
                                 .order_by(FamilyLetter.created_at, FamilyLetter.id)))


def letter_of(app, referral_id: str, kind: str) -> FamilyLetter:
    [letter] = [letter for letter in letters(app, referral_id) if letter.kind == kind]
    return letter


def national_id_of(world, referral_id: str) -> str:
    response = world.post("gp", f"/api/v1/referrals/{referral_id}/national-id")
    assert response.status_code == 200, response.json
    return response.json["national_id"]


def pdf_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())


def rendered(app, letter: FamilyLetter, *, language: str, role: FamilyRole = FamilyRole.GUARDIAN,
             hidden: frozenset[str] = frozenset()) -> tuple[str, bytes]:
    """The letter's HTML and PDF in `language` (not saved: the professional's switch does that)."""
    letter = letter.model_copy(update={"language": language})
    with app.test_request_context():
        return (render_letter_document(letter, role=role, hidden=hidden),
                render_letter_pdf(letter, role=role, hidden=hidden))


def without_identity_number(text: str, national_id: str) -> bool:
    return national_id not in text and f"{national_id[:6]} {national_id[6:]}" not in text


@pytest.fixture
def worker(app):
    return InProcessWorker(app)


def every_kind(app, world, worker) -> dict[str, tuple[str, str, str, str]]:
    """Referrals through every moment that makes a letter; for each kind: (referral id, who to talk to, their
    phone, the deadline dd.mm.åååå)."""
    later = today(app) + timedelta(days=30)
    bup, bup2, askoy, bergen = world.orgs["bup"], world.orgs["bup2"], world.orgs["askoy"], world.orgs["bergen"]
    coordinator = world.users["coordinator_askoy"].name

    def fmt(value) -> str:
        return date.fromisoformat(str(value)).strftime("%d.%m.%Y")

    treated = world.referral_in("submitted")
    worker.run()
    world.act("bup", treated["id"], "accept", {"care_start_due": later.isoformat()})
    world.act("bup", treated["id"], "start-treatment", {"first_appointment_on": today(app).isoformat()})
    world.act("bup", treated["id"], "discharge", {"summary": "Hun har lært å mestre angsten.",
                                                  "follow_up_recommendations": ADVICE, "epikrise_sent": True})
    worker.run()
    handover = only_handover(app, treated["id"])
    world.post("coordinator_askoy", f"/api/v1/handovers/{handover.id}/acknowledge")
    contact_on = today(app) + timedelta(days=7)
    world.post("coordinator_askoy", f"/api/v1/handovers/{handover.id}/plan",
               json={"first_contact_on": contact_on.isoformat(), "plan": "Samtale med familien."})
    discharged_handover = only_handover(app, treated["id"])

    rejected = world.referral_in("submitted")
    world.act("bup", rejected["id"], "reject", REJECT)
    municipal = world.referral_in("submitted")
    world.act("bup", municipal["id"], "municipal-outcome", {"assessment_conversation_on": today(app).isoformat(),
                                                            "explanation": EXPLANATION, "municipal_advice": ADVICE})
    forwarded = world.referral_in("forwarded")
    worker.run()
    new = world.get("bup2", f"/api/v1/referrals/{forwarded['forwarded_to_id']}").json
    rejected_handover, municipal_handover = only_handover(app, rejected["id"]), only_handover(app, municipal["id"])
    moved = world.referral_in("rejected")
    worker.run()
    response = world.post("gp", f"/api/v1/referrals/{moved['id']}/move", json={"home_municipality": "4601"})
    assert response.status_code == 200, response.json
    with app.extensions["referral_db"].session() as session:
        bergen_handover = current_handover(session, moved["id"])
    assert bergen_handover.owner_org_id == bergen.id
    withdrawn = world.referral_in("accepted")
    world.act("gp", withdrawn["id"], "withdraw", {"reason": "Familien ønsker ikke behandling i BUP nå."})
    worker.run()
    withdrawn_handover = only_handover(app, withdrawn["id"])
    return {
        "sent": (treated["id"], bup.name, bup.phone, fmt(treated["assessment_due"])),
        "received": (treated["id"], bup.name, bup.phone, fmt(treated["assessment_due"])),
        "accepted": (treated["id"], bup.name, bup.phone, fmt(later)),
        "discharged": (treated["id"], askoy.name, askoy.phone, fmt(discharged_handover.acknowledge_due)),
        "handover_acknowledged": (treated["id"], coordinator, "05627 1234",
                                  fmt(discharged_handover.first_contact_due)),
        "first_contact_planned": (treated["id"], coordinator, "05627 1234", fmt(contact_on)),
        "rejected": (rejected["id"], askoy.name, askoy.phone, fmt(rejected_handover.acknowledge_due)),
        "municipal_level": (municipal["id"], askoy.name, askoy.phone, fmt(municipal_handover.acknowledge_due)),
        "forwarded": (forwarded["id"], bup2.name, bup2.phone, fmt(new["assessment_due"])),
        "transferred": (moved["id"], bergen.name, bergen.phone, fmt(bergen_handover.acknowledge_due)),
        "withdrawn": (withdrawn["id"], askoy.name, askoy.phone, fmt(withdrawn_handover.acknowledge_due)),
    }


def test_every_letter_kind_as_pdf_in_bokmal_and_nynorsk_names_who_to_call_and_the_deadline(app, world, worker,
                                                                                        tmp_path):
    kinds = every_kind(app, world, worker)
    assert set(kinds) == set(LETTER_KINDS["nb"])
    for kind, (referral_id, who, phone, deadline) in kinds.items():
        national_id = national_id_of(world, referral_id)
        assert len(national_id) == 11
        letter = letter_of(app, referral_id, kind)
        for language in ("nb", "nn"):
            html, pdf = rendered(app, letter, language=language)
            text = pdf_text(pdf, tmp_path, f"{kind}-{language}")
            heading = LETTER_KINDS[language][kind]["heading"].format(**letter_names(letter.facts))
            assert heading in text, (kind, language, text)
            assert who in text and phone in text and deadline in text, (kind, language, who, phone, deadline, text)
            # "Who to talk to now" comes first, then what happens next by when.
            who_now = text.index(WHO_NOW[language])
            assert who_now < text.index(who, who_now) < text.index(phone, who_now) < text.index(deadline, who_now)
            assert without_identity_number(text, national_id) and without_identity_number(html, national_id)
            assert "Ola" in text  # the child's first name is enough


def test_the_new_clinic_also_writes_that_it_has_received_a_forwarded_referral(app, world, worker):
    forwarded = world.referral_in("forwarded")
    worker.run()
    received = letter_of(app, forwarded["forwarded_to_id"], "received")
    assert received.sender_org_id == world.orgs["bup2"].id
    assert letter_of(app, forwarded["id"], "forwarded").facts["new_clinic"] == world.orgs["bup2"].name


def test_drafts_are_made_by_the_worker_once_however_often_it_runs(app, world, worker):
    referral = world.referral_in("submitted")
    assert letters(app, referral["id"]) == []  # the worker makes them, not the request
    worker.run()
    drafts = letters(app, referral["id"])
    assert sorted((d.kind, d.status) for d in drafts) == [("received", "draft"), ("sent", "draft")]
    assert {d.kind: d.sender_org_id for d in drafts} == {"sent": world.orgs["gp"].id,
                                                           "received": world.orgs["bup"].id}
    with app.extensions["referral_db"].session() as session:
        [submit] = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral["id"],
                                                            ReferralEvent.action == "submit")).all()
        uow = SqlUnitOfWork.on(session)
        with uow:
            handle_referral_event(uow, clock=dependencies(app).clock, deadlines=dependencies(app).deadlines,
                                  event=submit)
            uow.commit()
    assert len(letters(app, referral["id"])) == 2
    with app.extensions["referral_db"].session() as session:  # each sender's own list of what waits to be sent
        assert [d.kind for d in pending_letters(session, organisation_id=world.orgs["bup"].id,
                                                referral_id=referral["id"])] == ["received"]
        assert [d.kind for d in pending_letters(session, organisation_id=world.orgs["gp"].id)] == ["sent"]
    assert "national_id" not in str(drafts[0].facts) and national_id_of(world, referral["id"]) not in str(
        [d.facts for d in drafts])


def test_a_rejection_letter_names_the_new_owner_and_its_deadline(app, world, worker):
    referral = world.referral_in("rejected")
    worker.run()
    letter = letter_of(app, referral["id"], "rejected")
    handover = only_handover(app, referral["id"])
    assert letter.sender_org_id == world.orgs["bup"].id and letter.handover_id == handover.id
    assert letter.facts["contact"]["organisation"] == world.orgs["askoy"].name
    assert letter.facts["due"] == handover.acknowledge_due.isoformat()


def withholding_14_year_old_rejected(app, world, worker) -> tuple[str, str, str]:
    """A 14-year-old who asked to withhold information from the guardians, rejected by BUP, with a guardian
    recorded with an identity number; returns (referral id, the child's number, the guardian's number)."""
    body = world.referral_body(birth_date=born_years_ago(app, 14), consent=WITHHELD, child_view=CHILD_VIEW)
    referral = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", REJECT)
    worker.run()
    guardian = world.national_id(date(1984, 3, 3))
    record_guardian(app, referral["id"], guardian)
    return referral["id"], body["child"]["national_id"], guardian


def record_guardian(app, referral_id: str, national_id: str) -> None:
    vault = dependencies(app).identity.vault
    with app.extensions["referral_db"].session() as session:
        referral = session.get(Referral, referral_id)
        session.add(GuardianIdentity(referral_id=referral_id, child_id=referral.child_id, name="Mor Testesen",
                                     national_id_ciphertext=vault.encrypt(national_id),
                                     national_id_index=vault.blind_index(national_id)))
        session.commit()


WITHHELD_WORDS = (CHILD_VIEW, EXPLANATION, ADVICE, "vansker med å gå på skolen")


def test_a_withholding_14_year_olds_guardians_get_a_letter_without_what_the_child_kept_from_them(app, world, worker,
                                                                                                tmp_path):
    rid, child_id, guardian_id = withholding_14_year_old_rejected(app, world, worker)
    letter = letter_of(app, rid, "rejected")
    bup = WebUser(app, "bup")
    preview = bup.get(f"/henvisninger/{rid}/brev/{letter.id}")
    assert "Til foresatte" in preview.text() and "Til barnet (12–15 år)" in preview.text()
    assert "går det til foresatte og barnet" in preview.text()
    assert "Barnet har bedt om at foresatte ikke får informasjon." in preview.text()  # the professional is told
    printed = bup.client.get(f"/henvisninger/{rid}/brev/{letter.id}/guardian.pdf")  # for a family on paper
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert CHILD_VIEW not in pdf_text(printed.data, tmp_path, "printed")
    assert bup.client.get(f"/henvisninger/{rid}/brev/{letter.id}/young_person.pdf").status_code == 404
    bup.submit("/send", {})
    assert letter_of(app, rid, "rejected").audiences == ["guardian", "child"]

    as_guardian = family_client(app, guardian_id)
    page = as_guardian.get(f"/familie/brev/{letter.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    pdf = as_guardian.get(f"/familie/brev/{letter.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    guardian_text = pdf_text(pdf.data, tmp_path, "guardian")
    for words in WITHHELD_WORDS:
        assert words not in html and words not in guardian_text, words
    assert world.orgs["askoy"].name in guardian_text and "Hvem skal dere snakke med nå?" in guardian_text

    as_child = family_client(app, child_id)
    child_html = as_child.get(f"/familie/brev/{letter.id}").get_data(as_text=True)
    child_text = pdf_text(as_child.get(f"/familie/brev/{letter.id}.pdf").data, tmp_path, "child")
    for words in WITHHELD_WORDS:
        assert words in child_html and words in child_text, words
    assert "Hvem skal du snakke med nå?" in child_text
    assert without_identity_number(child_text, child_id) and without_identity_number(guardian_text, guardian_id)


@pytest.mark.parametrize(("age", "audiences"), [(9, ["guardian"]), (14, ["guardian", "child"]),
                                                (17, ["young_person"])])
def test_sending_is_an_event_on_the_referral_and_goes_to_the_readers_the_age_rules_give(app, world, worker, age,
                                                                                      audiences):
    consent = {"given_by": ["child"] if age >= 16 else ["guardian"], "share_with": ["bup", "municipality"]}
    referral = world.post("gp", "/api/v1/referrals", json=world.referral_body(
        birth_date=born_years_ago(app, age), consent=consent)).json
    world.act("gp", referral["id"], "submit")
    worker.run()
    letter = letter_of(app, referral["id"], "received")
    bup = WebUser(app, "bup")
    bup.get(f"/henvisninger/{referral['id']}/brev/{letter.id}")
    page = bup.submit("/send", {})
    assert "Brevet er sendt til familien." in page.text()
    sent = letter_of(app, referral["id"], "received")
    assert (sent.status, sent.audiences, sent.sent_by_user_id) == ("sent", audiences, world.users["bup"].id)
    assert sent.sent_at is not None
    with app.extensions["referral_db"].session() as session:
        [event] = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral["id"],
                                                           ReferralEvent.action == "send-family-letter")).all()
    assert event.data == {"letter_id": letter.id, "kind": "received", "audiences": audiences}
    history = WebUser(app, "gp").get(f"/henvisninger/{referral['id']}")
    assert "Brev til familien sendt" in history.text()
    worker.run()  # the event's own run makes no new letter
    assert len(letters(app, referral["id"])) == 2
    token = bup.get("/varsler").forms[0]["hidden"]["csrf_token"]
    again = bup.client.post(f"/henvisninger/{referral['id']}/brev/{letter.id}/send", data={"csrf_token": token})
    assert again.status_code == 409


def test_the_professional_switches_the_letter_to_nynorsk_before_sending(app, world, worker):
    referral = world.referral_in("rejected")
    worker.run()
    letter = letter_of(app, referral["id"], "rejected")
    bup = WebUser(app, "bup")
    for page in (f"/inntak/{referral['id']}", f"/henvisninger/{referral['id']}"):  # BUP finds its draft
        bup.get(page)
        assert "Brev til familien" in bup.page.text() and "venter på å bli sendt" in bup.page.text()
        assert f"/henvisninger/{referral['id']}/brev/{letter.id}" in bup.page.html
    bup.get(f"/henvisninger/{referral['id']}/brev/{letter.id}")
    assert "BUP har sagt nei. Askøy kommune tar over" in bup.page.text()
    page = bup.submit("/sprak", {"language": "nn"})
    assert "BUP har sagt nei. Askøy kommune tek over" in page.text()
    assert letter_of(app, referral["id"], "rejected").language == "nn"
    refused = bup.submit("/sprak", {"language": "sv"}, expect=422)
    assert "Velg bokmål eller nynorsk." in refused.text()


def test_another_organisation_gets_404_on_a_letters_preview_and_send(app, world, worker):
    referral = world.referral_in("rejected")
    worker.run()
    letter = letter_of(app, referral["id"], "rejected")
    path = f"/henvisninger/{referral['id']}/brev/{letter.id}"
    for who in ("bup2", "gp", "coordinator_bergen"):  # gp sees the referral but did not write this letter
        user = WebUser(app, who)
        user.get(path, expect=404)
        assert user.client.get(f"{path}/guardian.pdf").status_code == 404
        token = user.get("/varsler").forms[0]["hidden"]["csrf_token"]
        assert user.client.post(f"{path}/send", data={"csrf_token": token}).status_code == 404, who
        assert user.client.post(f"{path}/sprak", data={"csrf_token": token, "language": "nn"}).status_code == 404
    assert letter_of(app, referral["id"], "rejected").status == "draft"


def test_a_family_member_gets_404_on_another_childs_letter_and_the_attempt_is_logged(app, world, worker):
    rid, child_id, _guardian = withholding_14_year_old_rejected(app, world, worker)
    letter = letter_of(app, rid, "rejected")
    bup = WebUser(app, "bup")
    bup.get(f"/henvisninger/{rid}/brev/{letter.id}")
    bup.submit("/send", {})
    stranger = family_client(app, world.national_id(date(1980, 1, 1)))
    assert stranger.get(f"/familie/brev/{letter.id}").status_code == 404
    assert stranger.get(f"/familie/brev/{letter.id}.pdf").status_code == 404
    other_child = world.referral_in("submitted")  # a letter never sent is no one's to read either
    worker.run()
    draft = letter_of(app, other_child["id"], "received")
    assert family_client(app, child_id).get(f"/familie/brev/{draft.id}").status_code == 404
    with app.extensions["referral_db"].session() as session:
        denied = session.exec(select(AccessLogEntry).where(AccessLogEntry.action == DENIED_REFERRAL,
                                                           AccessLogEntry.organisation_id == "family")).all()
    # The stranger's two tries on the letter about this child, and the child's on another child's draft.
    assert sorted(row.referral_id for row in denied) == sorted([rid, rid, other_child["id"]])
    assert len({row.user_id for row in denied if row.referral_id == rid}) == 1


def test_the_family_case_page_partial_lists_the_readers_sent_letters(app, world, worker):
    rid, child_id, guardian_id = withholding_14_year_old_rejected(app, world, worker)
    letter = letter_of(app, rid, "rejected")
    bup = WebUser(app, "bup")
    bup.get(f"/henvisninger/{rid}/brev/{letter.id}")
    bup.submit("/send", {})
    from flask import render_template

    from referral_service.services.family.access import FamilyViewer, readable_case

    vault = dependencies(app).identity.vault
    with app.test_request_context(), app.extensions["referral_db"].session() as session:
        viewer = FamilyViewer(person_id="p", national_id_indexes=tuple(vault.blind_indexes(guardian_id)))
        case = readable_case(session, viewer, rid, today=today(app))
        html = render_template("family/_letters.html", case=case)
    assert f"/familie/brev/{letter.id}" in html and f"/familie/brev/{letter.id}.pdf" in html
    assert "BUP har sagt nei" in html


def test_the_coordinator_finds_the_letter_of_taking_over_on_the_task(app, world, worker):
    referral = world.referral_in("rejected")
    worker.run()
    handover = only_handover(app, referral["id"])
    assert world.post("coordinator_askoy", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200
    letter = letter_of(app, referral["id"], "handover_acknowledged")
    assert letter.sender_org_id == world.orgs["askoy"].id
    assert letter.facts["contact"]["person"] == world.users["coordinator_askoy"].name
    coordinator = WebUser(app, "coordinator_askoy")
    task = coordinator.get(f"/tilbakehenvisninger/{handover.id}")
    assert "Kommunen har tatt over" in task.text()
    preview = coordinator.get(f"/henvisninger/{referral['id']}/brev/{letter.id}")
    assert "Send brevet til familien" in preview.buttons and "Nå har Askøy kommune ansvaret" in preview.text()
    assert f"/tilbakehenvisninger/{handover.id}" in preview.html
    coordinator.submit("/send", {})
    assert letter_of(app, referral["id"], "handover_acknowledged").status == "sent"


def test_without_consent_to_share_with_the_municipality_the_letter_names_the_referring_service(app, world, worker,
                                                                                            tmp_path):
    referral = world.create_referral("gp", consent={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", REJECT)
    worker.run()
    letter = letter_of(app, referral["id"], "rejected")
    gp = world.orgs["gp"]
    text = pdf_text(rendered(app, letter, language="nb")[1], tmp_path, "no-consent")
    assert f"BUP har sagt nei. {gp.name} tar over" in text and gp.phone in text
    assert "Kommunen skal" not in text


def test_without_weasyprint_the_pdf_is_refused_with_a_norwegian_message_and_the_html_still_reads(app, world, worker,
                                                                                              monkeypatch):
    referral = world.referral_in("rejected")
    worker.run()
    letter = letter_of(app, referral["id"], "rejected")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without pango: the import fails
    with app.test_request_context(), pytest.raises(PdfUnavailable, match="WeasyPrint"):
        render_letter_pdf(letter, role=FamilyRole.GUARDIAN, hidden=frozenset())
    bup = WebUser(app, "bup")
    refused = bup.client.get(f"/henvisninger/{referral['id']}/brev/{letter.id}/guardian.pdf")
    assert refused.status_code == 503 and "kan ikke lastes ned som PDF" in refused.get_data(as_text=True)
    bup.get(f"/henvisninger/{referral['id']}/brev/{letter.id}")


def test_a_young_person_keeps_the_letters_sent_to_them_before_their_16th_birthday(app, world, worker, clock):
    """A letter sent to a 15-year-old (the child's version) is still theirs after they turn 16."""
    now = today(app)
    clock.set(datetime.combine(now, time(10), tzinfo=ZoneInfo("Europe/Oslo")))
    sixteenth_birthday = now + timedelta(days=10)  # (a 29 February taken as the 28th: still before the jump)
    birth = sixteenth_birthday.replace(year=now.year - 16 if sixteenth_birthday.year == now.year else now.year - 15,
                                       day=min(sixteenth_birthday.day, 28))
    child_number = world.national_id(birth)
    body = world.referral_body(birth_date=birth)
    body["child"]["national_id"] = child_number
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201, response.json
    referral_id = response.json["id"]
    world.act("gp", referral_id, "submit")
    worker.run()
    letter = letter_of(app, referral_id, "received")
    bup = WebUser(app, "bup")
    bup.get(f"/henvisninger/{referral_id}/brev/{letter.id}")
    bup.submit("/send", {})
    assert letter_of(app, referral_id, "received").audiences == ["guardian", "child"]
    assert family_client(app, child_number).get(f"/familie/brev/{letter.id}").status_code == 200

    clock.advance(timedelta(days=12))  # now 16
    young = family_client(app, child_number)
    assert young.get(f"/familie/brev/{letter.id}").status_code == 200
    assert young.get(f"/familie/brev/{letter.id}.pdf").status_code == 200
    assert f"/familie/brev/{letter.id}" in young.get(f"/familie/sak/{referral_id}").get_data(as_text=True)


def test_a_draft_the_case_has_moved_past_is_marked_outdated_and_cannot_be_sent(app, world, worker):
    """BUP never sent its 'received, answer by' letter; then it rejected. The old draft would tell the family BUP
    is still assessing: it is outdated, and sending it is refused."""
    referral = world.referral_in("submitted")
    worker.run()
    received = letter_of(app, referral["id"], "received")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Kommunen.",
                                                "municipal_advice": "Samtaler hos kommunepsykolog."})
    worker.run()
    bup = WebUser(app, "bup")
    preview = bup.get(f"/henvisninger/{referral['id']}/brev/{received.id}")
    assert "det skal ikke sendes" in preview.text() and "Send brevet til familien" not in preview.text()
    html = bup.client.get(f"/henvisninger/{referral['id']}/brev/{received.id}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    refused = bup.client.post(f"/henvisninger/{referral['id']}/brev/{received.id}/send", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "Brevet er utdatert" in refused.get_data(as_text=True)
    assert letter_of(app, referral["id"], "received").status == "draft"
    page = bup.get(f"/henvisninger/{referral['id']}").text()
    assert "utdatert – saken har kommet videre" in page
    rejected = letter_of(app, referral["id"], "rejected")  # the newest one goes
    bup.get(f"/henvisninger/{referral['id']}/brev/{rejected.id}")
    bup.submit("/send", {})
    assert letter_of(app, referral["id"], "rejected").status == "sent"
