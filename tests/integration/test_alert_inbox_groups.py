"""Varsler as a person works from it (SQLite and PostgreSQL): the alerts about one task together under the child
they are about, each saying what happened, newest first, with the group's unread count and "Merk alle som lest";
a closed task's alerts are cleared for everyone; a reader who may not see the child is not told who it is; and
the e-mail of every kind of alert still carries no name, no identity number and no birth date."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.alert import Alert
from referral_service.notify.alert_texts import FALLBACK, TEXTS, alert_text
from referral_service.notify.mailer import SmtpMailer
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.web.labels import ALERT_KIND
from tests.integration.test_smtp import Inbox, smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.integration.test_web_decisions import Page, WebUser
from tests.support.loop import InProcessWorker

REJECTION = {"reason_code": "not_specialist_need", "explanation": "Kan møtes i kommunen.",
             "municipal_advice": "Samtaler med kommunepsykolog."}
BORN = date(2013, 8, 21)

#: Data of the shape each kind is raised with (the services' own keys), so every sentence renders in full.
SAMPLE_DATA = {
    "handover_created": {"clinic": "BUP Bergen sentrum", "trigger": "rejected", "acknowledge_due": "2026-12-10"},
    "handover_transferred_in": {"clinic": "BUP Bergen sentrum", "trigger": "discharged",
                                "acknowledge_due": "2026-12-10", "from_municipality": "Bergen kommune",
                                "to_municipality": "Askøy kommune"},
    "handover_transferred_out": {"to_municipality": "Bergen kommune"},
    "family_nudge": {"raised_on": "2026-12-07"},
    "family_nudge_unanswered": {"raised_on": "2026-12-07", "working_days": 2},
    "family_voice": {},
    "handover_unacknowledged": {"due": "2026-12-01", "level": 1},
    "handover_no_first_contact": {"due": "2026-12-01", "level": 2},
    "handover_reassign": {"status": "assigned"},
    "handover_release": {"status": "acknowledged"},
    "handover_unrouted": {"municipality_number": "4627"},
    "municipality_not_connected": {"municipality_number": "4627"},
    "referral_decision": {"clinic": "BUP Bergen sentrum", "trigger": "rejected"},
    "repeat_rejection": {"rejections": 2, "window_months": 12},
    "alert_delivery_failed": {},
    "fhir_subscription_error": {"subscription_id": "00000000-0000-0000-0000-000000000000"},
    "epikrise_missing": {},
    **{kind: {"clinic": "BUP Bergen sentrum"} for kind in TEXTS if kind.startswith("referral_")
       and kind != "referral_decision"},
    **{kind: {"due": "2026-12-01", "level": 0} for kind in (
        "assessment_warning", "assessment_breach", "care_start_breach", "waiting_without_municipal_helper",
        "epikrise_reminder", "turning_18", "turning_18_soon", "check_in_due", "check_in_cancelled")},
    "check_in_overdue": {"due": "2026-12-01", "level": 1},
}


# ---- helpers ----------------------------------------------------------------------------------------

def rejected_for(world, app, *, given_name: str, family_name: str, national_id: str | None = None
                 ) -> tuple[str, str]:
    """The GP refers a child living in Askøy, BUP rejects, the worker hands the child back: (referral, task)."""
    child = {"national_id": national_id or world.national_id(BORN), "given_name": given_name,
             "family_name": family_name, "home_municipality": "4627",
             "guardians": [{"name": "Mor", "phone": "40000000"}]}
    referral = world.post("gp", "/api/v1/referrals", json=world.referral_body(child=child))
    assert referral.status_code == 201, referral.json
    rid = referral.json["id"]
    world.act("gp", rid, "submit")
    world.act("bup", rid, "reject", REJECTION)
    InProcessWorker(app).run()
    return rid, world.get("gp", f"/api/v1/referrals/{rid}").json["handover_id"]


def alert(app, world, who: str, kind: str, *, referral_id: str | None = None, handover_id: str | None = None,
          keys: list[str] | None = None) -> None:
    """Raise an alert of `kind` to `who` (one per key) as the services do: in a unit of work, each e-mail through
    the outbox."""
    deps = dependencies(app)
    with app.extensions["referral_db"].session() as session:
        uow = SqlUnitOfWork.on(session)
        with uow:
            for key in keys or [f"test:{kind}:{referral_id}:{handover_id}"]:
                raise_alerts(uow, deps.clock, users=[world.users[who]], kind=kind, data=SAMPLE_DATA[kind],
                             dedupe_key=key, referral_id=referral_id, handover_id=handover_id)
            uow.commit()


def groups(page: Page) -> list[str]:
    """Each group's text, in the order the inbox shows them."""
    numbered = {int(element_id.split("-")[1]): text for element_id, text in page.by_id.items()
                if re.fullmatch(r"varselgruppe-\d+", element_id)}
    return [numbered[number] for number in sorted(numbered)]


def group_of(page: Page, child: str) -> str:
    found = [text for text in groups(page) if f"Gjelder {child}" in text]
    assert len(found) == 1, (child, groups(page))
    return found[0]


def bell(page: Page) -> int:
    return int(re.search(r'data-unread="(\d+)"', page.html)[1])


def unread_kinds(world, who: str, handover_id: str) -> list[str]:
    items = world.get(who, "/api/v1/alerts?unread=true&per_page=200").json["items"]
    return [a["kind"] for a in items if a["handover_id"] == handover_id]


def logged_reads(app, world, who: str) -> set[str]:
    with app.extensions["referral_db"].session() as session:
        return set(session.exec(select(AccessLogEntry.referral_id).where(
            AccessLogEntry.user_id == world.users[who].id, AccessLogEntry.action == "read_alerts")).all())


def start_the_clock(clock) -> None:
    """Hold the clock, so each step below is a minute after the one before (newest first is then certain)."""
    clock.set(datetime.now(UTC).replace(microsecond=0))


def a_minute_later(clock) -> None:
    clock.advance(timedelta(minutes=1))


# ---- the inbox, grouped -----------------------------------------------------------------------------

def test_the_alerts_about_one_task_stand_together_under_the_child_newest_first_with_their_unread_count(
        app, world, clock):
    start_the_clock(clock)
    kari_referral, kari = rejected_for(world, app, given_name="Kari", family_name="Fjellstad")
    a_minute_later(clock)
    per_referral, per = rejected_for(world, app, given_name="Per", family_name="Strandvik")
    a_minute_later(clock)
    alert(app, world, "coordinator_askoy", "handover_unacknowledged", referral_id=kari_referral, handover_id=kari)

    page = WebUser(app, "coordinator_askoy").get("/varsler")

    kari_group = group_of(page, "Kari Fjellstad (21.08.13 *****)")
    assert "2 uleste" in kari_group
    # Newest first: the escalation, then the task it is about; each says what happened.
    assert kari_group.index("Eskalert til deg: ikke bekreftet mottatt i tide") < kari_group.index(
        "Ny tilbakehenvisning til dere")
    assert "Ny tilbakehenvisning fra BUP Bergen sentrum (avslag)" in kari_group
    assert "1 ulest" in group_of(page, "Per Strandvik (21.08.13 *****)")
    # The group with the newest unread alert first; one link to each task.
    assert groups(page)[0] == kari_group
    assert page.html.count(f'href="/tilbakehenvisninger/{kari}"') == 1
    assert page.html.count(f'href="/tilbakehenvisninger/{per}"') == 1
    assert logged_reads(app, world, "coordinator_askoy") >= {kari_referral, per_referral}


def test_merk_alle_som_lest_reads_that_groups_alerts_only_and_only_the_readers(app, world, clock):
    start_the_clock(clock)
    kari_referral, kari = rejected_for(world, app, given_name="Kari", family_name="Fjellstad")
    a_minute_later(clock)
    _per_referral, per = rejected_for(world, app, given_name="Per", family_name="Strandvik")
    alert(app, world, "coordinator_askoy", "handover_unacknowledged", referral_id=kari_referral, handover_id=kari)
    coordinator = WebUser(app, "coordinator_askoy")
    assert bell(coordinator.get("/varsler")) == 3

    form = next(f for f in coordinator.page.forms if f["hidden"].get("gruppe") == f"handover:{kari}")
    response = coordinator.client.post(form["action"], data=form["hidden"])
    assert response.status_code == 303
    page = coordinator.get("/varsler")

    assert "Ingen uleste" in group_of(page, "Kari Fjellstad (21.08.13 *****)")
    assert "1 ulest" in group_of(page, "Per Strandvik (21.08.13 *****)")
    assert bell(page) == 1
    assert unread_kinds(world, "coordinator_askoy", per) == ["handover_created"]
    assert unread_kinds(world, "gp", kari) == ["referral_decision"]  # the GP's alert about the task is the GP's


def test_a_group_longer_than_a_page_goes_on_on_the_next_page_with_its_whole_unread_count(app, world):
    referral_id, task = rejected_for(world, app, given_name="Kari", family_name="Fjellstad")
    alert(app, world, "coordinator_askoy", "handover_unacknowledged", referral_id=referral_id, handover_id=task,
          keys=[f"handover:{task}:unacknowledged:{level}" for level in range(1, 105)])
    coordinator = WebUser(app, "coordinator_askoy")

    first, second = coordinator.get("/varsler"), coordinator.get("/varsler?side=2")

    assert "105 uleste" in group_of(first, "Kari Fjellstad (21.08.13 *****)")
    assert "105 uleste" in group_of(second, "Kari Fjellstad (21.08.13 *****)")
    shown = [page.html.count("Merk som lest</button>") for page in (first, second)]
    assert shown == [100, 5]
    assert 'href="/varsler?side=2"' in first.html


def test_a_group_that_does_not_exist_is_not_found(app, world):
    coordinator = WebUser(app, "coordinator_askoy")
    token = coordinator.get("/varsler").hidden("csrf_token")
    response = coordinator.client.post("/varsler/gruppe/lest", data={"csrf_token": token, "gruppe": "nothing:1"})
    assert response.status_code == 404


# ---- cleared when the task is done ------------------------------------------------------------------

def test_closing_the_task_clears_its_alerts_for_everyone_and_the_bell_drops(app, world, clock):
    start_the_clock(clock)
    referral_id, task = rejected_for(world, app, given_name="Kari", family_name="Fjellstad")
    alert(app, world, "lead_askoy", "handover_no_first_contact", referral_id=referral_id, handover_id=task)
    assert world.post("coordinator_askoy", f"/api/v1/handovers/{task}/acknowledge").status_code == 200
    assert unread_kinds(world, "lead_askoy", task) == ["handover_no_first_contact"]
    assert unread_kinds(world, "gp", task) == ["referral_decision"]
    gp_before = bell(WebUser(app, "gp").get("/varsler"))

    a_minute_later(clock)
    closed = world.post("coordinator_askoy", f"/api/v1/handovers/{task}/close",
                        json={"outcome": "Følges opp av kommunepsykologen."})
    assert closed.status_code == 200, closed.json

    for who in ("coordinator_askoy", "lead_askoy", "gp"):
        assert unread_kinds(world, who, task) == [], who
    lead_inbox = WebUser(app, "lead_askoy").get("/varsler")
    kari_group = group_of(lead_inbox, "Kari Fjellstad (21.08.13 *****)")
    assert "Tilbakehenvisning · avsluttet · Ingen uleste" in kari_group
    assert bell(lead_inbox) == 0
    assert bell(WebUser(app, "gp").get("/varsler")) == gp_before - 1


def referral_unread(world, who: str, referral_id: str) -> list[str]:
    items = world.get(who, "/api/v1/alerts?unread=true&per_page=200").json["items"]
    return [a["kind"] for a in items if a["referral_id"] == referral_id and a["handover_id"] is None]


def test_a_referral_that_ends_clears_its_own_alerts_for_everyone_and_its_handover_brings_new_ones(app, world):
    referral_id = world.referral_in("information_requested")["id"]
    InProcessWorker(app).run()
    alert(app, world, "bup", "assessment_warning", referral_id=referral_id)
    assert referral_unread(world, "gp", referral_id) == ["referral_request-information"]

    world.act("gp", referral_id, "supplement", {"text": "Siden august."})  # answered, but the referral goes on
    InProcessWorker(app).run()
    assert referral_unread(world, "gp", referral_id) == ["referral_request-information"]
    assert sorted(referral_unread(world, "bup", referral_id)) == ["assessment_warning", "referral_supplement"]

    world.act("bup", referral_id, "reject", REJECTION)
    assert referral_unread(world, "gp", referral_id) == []
    assert referral_unread(world, "bup", referral_id) == []
    gp_inbox = WebUser(app, "gp").get("/varsler")
    assert "Henvisning · avsluttet · Ingen uleste" in group_of(gp_inbox, "Ola Testesen (10.05.12 *****)")
    InProcessWorker(app).run()  # the handover: news of the decision, about the task that carries on
    task = world.get("gp", f"/api/v1/referrals/{referral_id}").json["handover_id"]
    assert unread_kinds(world, "gp", task) == ["referral_decision"]


# ---- need-to-know -----------------------------------------------------------------------------------

def test_a_reader_who_may_not_see_the_child_is_told_what_happened_but_not_who(app, world):
    referral_id, task = rejected_for(world, app, given_name="Kari", family_name="Fjellstad")
    alert(app, world, "admin", "handover_unrouted", handover_id=task)
    alert(app, world, "coordinator_bergen", "waiting_without_municipal_helper", referral_id=referral_id)

    admin = WebUser(app, "admin").get("/varsler")
    assert "Fjellstad" not in admin.html and "21.08.13" not in admin.html
    assert "En tilbakehenvisning" in groups(admin)[0] and "Tilbakehenvisning uten mottaker" in groups(admin)[0]
    assert f"/tilbakehenvisninger/{task}" not in admin.html  # no link to a page that would answer 404
    bergen = WebUser(app, "coordinator_bergen").get("/varsler")
    assert "Fjellstad" not in bergen.html and f"/henvisninger/{referral_id}" not in bergen.html
    assert logged_reads(app, world, "admin") == set() and logged_reads(app, world, "coordinator_bergen") == set()


# ---- every kind: words in the app, nothing about the child in the e-mail ----------------------------

def test_every_kind_says_what_happened_in_the_app_and_its_email_names_no_child(app, world, smtp_server):  # noqa: F811
    inbox, port = smtp_server
    national_id = world.national_id(BORN)
    referral_id, task = rejected_for(world, app, given_name="Sigrun", family_name="Bjørkedalen",
                                     national_id=national_id)
    assert set(SAMPLE_DATA) == set(TEXTS) == set(ALERT_KIND)
    for kind in TEXTS:
        alert(app, world, "coordinator_askoy", kind, referral_id=referral_id, handover_id=task)
        assert alert_text(Alert(user_id="", kind=kind, dedupe_key="", data=SAMPLE_DATA[kind])) != FALLBACK, kind

    page = WebUser(app, "coordinator_askoy").get("/varsler")
    sigrun = group_of(page, "Sigrun Bjørkedalen (21.08.13 *****)")
    for kind, title in ALERT_KIND.items():
        assert title in sigrun, kind

    InProcessWorker(app, mailer=SmtpMailer("127.0.0.1", port, security="none")).run()
    assert inbox.recipients.count("koordinator@askoy.example") >= len(TEXTS)
    secrets = ["Sigrun", "Bjørkedalen", "Bjorkedalen", "21.08.13", "21.08.2013", "2013-08-21", "210813", national_id]
    for _recipients, raw in inbox.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = f"{message['Subject']}\n{message.get_content()}"
        for secret in secrets:
            assert secret.encode() not in raw and secret not in text, secret
