"""Issue 14, the child's voice from the family side: from 12 the young person adds or corrects "Det jeg vil at BUP og
kommunen skal vite" before and after a decision; the owner of the case is told and sees it (newest first, with the
date) on the referral page and the task page, and that reading is logged. A guardian gets no form, and their post
is refused without writing; a 10-year-old has no case page to write from."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template
from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.services.family.access import FamilyViewer, readable_case
from tests.integration.test_family_nudge import MONDAY, alerts, record_guardian
from tests.integration.test_web_decisions import WebUser
from tests.support.family import CSRF_TOKEN, family_client
from tests.support.loop import InProcessWorker

REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}


def referral_of(world, born: date, *, then: tuple[str, ...] = ("submit",)) -> tuple[str, str]:
    """A referral of a child born on `born`, taken through `then`; its id and the child's identity number."""
    body = world.referral_body(birth_date=born)
    created = world.post("gp", "/api/v1/referrals", json=body)
    assert created.status_code == 201, created.json
    for action in then:
        world.act("gp" if action == "submit" else "bup", created.json["id"], action,
                  REJECTION if action == "reject" else None)
    return created.json["id"], body["child"]["national_id"]


def write(app, national_id: str, referral_id: str, words: str):
    return family_client(app, national_id).post(f"/familie/sak/{referral_id}/mine-ord",
                                                data={"csrf_token": CSRF_TOKEN, "text": words})


def voices(app) -> list[str]:
    with app.extensions["referral_db"].session() as session:
        return list(session.execute(text("SELECT text FROM family_voice ORDER BY written_at")).scalars())


def logged(app, action: str) -> list[tuple[str, str]]:
    with app.extensions["referral_db"].session() as session:
        return [tuple(r) for r in session.execute(text("SELECT user_id, referral_id FROM access_log WHERE action = :a"),
                                                  {"a": action}).all()]


def test_a_14_year_old_writes_and_the_owner_sees_it_on_the_task_and_referral_pages(app, world, clock):
    clock.set(MONDAY)
    referral_id, child = referral_of(world, date(2012, 5, 10), then=("submit", "reject"))
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral_id}").json["handover_id"]

    assert write(app, child, referral_id, "Jeg vil ikke bytte skole.").status_code == 303
    clock.advance(timedelta(seconds=30))
    assert write(app, child, referral_id, "Rettelse: jeg vil helst snakke med helsesykepleier.").status_code == 303
    assert len(alerts(world, "coordinator_askoy", "family_voice")) == 2  # the owner is told; the words are not sent
    assert all("skole" not in a["message"] for a in alerts(world, "coordinator_askoy", "family_voice"))

    task_page = WebUser(app, "coordinator_askoy").get(f"/tilbakehenvisninger/{handover_id}").text()
    assert "Barnets egne ord fra familiesiden" in task_page
    newest, oldest = task_page.index("Rettelse: jeg vil helst"), task_page.index("Jeg vil ikke bytte skole.")
    assert newest < oldest
    assert "Skrevet 16.11.2026" in task_page
    referral_page = WebUser(app, "gp").get(f"/henvisninger/{referral_id}").text()
    assert "Jeg vil ikke bytte skole." in referral_page
    readers = {user for user, rid in logged(app, "read_family_voice") if rid == referral_id}
    assert readers == {world.users["coordinator_askoy"].id, world.users["gp"].id}
    assert len(logged(app, "family_voice_add")) == 2


def test_before_a_decision_bup_is_told_and_reads_the_words(app, world):
    referral_id, child = referral_of(world, date(2012, 5, 10))
    assert write(app, child, referral_id, "Jeg sover dårlig, men vil ikke ha medisiner.").status_code == 303
    assert len(alerts(world, "bup", "family_voice")) == 1
    bup = WebUser(app, "bup")
    assert "vil ikke ha medisiner" in bup.get(f"/henvisninger/{referral_id}").text()
    assert "vil ikke ha medisiner" in bup.get(f"/inntak/{referral_id}").text()  # where BUP's alert leads
    assert "vil ikke ha medisiner" not in WebUser(app, "coordinator_bergen").get(
        f"/henvisninger/{referral_id}", expect=404).text()


def test_a_guardian_gets_no_form_and_their_post_writes_nothing(app, world):
    referral_id, _child = referral_of(world, date(2012, 5, 10))
    mother = world.national_id(date(1985, 3, 14))
    with app.extensions["referral_db"].session() as session:
        child_id = session.execute(text("SELECT child_id FROM referral WHERE id = :id"), {"id": referral_id}).scalar()
    record_guardian(app, referral_id, child_id, mother)

    assert write(app, mother, referral_id, "Mor skriver her.").status_code == 403
    assert voices(app) == [] and alerts(world, "bup", "family_voice") == []
    viewer = FamilyViewer(person_id="mor", national_id_indexes=dependencies(app).identity.vault.blind_indexes(mother))
    with app.test_request_context("/"), app.extensions["referral_db"].session() as session:
        case = readable_case(session, viewer, referral_id, today=dependencies(app).clock.today())
        assert case is not None and case.role == "guardian"
        assert "mine-ord" not in render_template("family/_voice.html", case=case)


def test_a_10_year_old_cannot_write(app, world):
    referral_id, child = referral_of(world, date(2016, 6, 1))
    assert write(app, child, referral_id, "Hei.").status_code == 404
    assert voices(app) == []


def test_too_long_words_are_refused_in_norwegian_and_kept_in_the_form(app, world):
    referral_id, child = referral_of(world, date(2012, 5, 10))
    long_words = "Jeg vil si noe viktig. " * 200  # 4600 characters
    response = write(app, child, referral_id, long_words)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Teksten kan være høyst 4000 tegn" in page and long_words.strip() in page
    assert voices(app) == [] and alerts(world, "bup", "family_voice") == []
