"""Tilbakehenvisninger as a worklist a coordinator can triage: each row names the child (masked number, age) and
who holds the task; filters, sorts by due date, a search by name or full identity number (posted, never in a URL),
open and closed tasks in two tabs; need-to-know and the access log as for every list."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import select

from referral_service.domain.access_log import AccessLogEntry
from tests.integration.test_web_reveal import signed_in
from tests.integration.test_write_path_statements import counted_statements
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
LIST = "/tilbakehenvisninger"
ROW_LINK = re.compile(r'<a class="ds-link" href="/tilbakehenvisninger/([0-9a-f-]{36})">([^<]*)</a>')


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def task_for(world, worker, given: str, family: str, *, born: date = date(2012, 5, 10)) -> dict[str, str]:
    """A rejected referral of a named child and the task the background work made of it: ids and the number."""
    body = world.referral_body(birth_date=born)
    body["child"].update(given_name=given, family_name=family)
    referral = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                                "municipal_advice": "Kommunepsykolog."})
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    return {"id": handover_id, "referral_id": referral["id"], "number": body["child"]["national_id"],
            "name": f"{given} {family}"}


def step(world, handover_id: str, action: str, body: dict | None = None, who: str = "coordinator_askoy") -> None:
    response = world.post(who, f"/api/v1/handovers/{handover_id}/{action}", json=body)
    assert response.status_code == 200, (action, response.json)


def shown(client, query: str = "") -> list[str]:
    """The names the list links to, in order."""
    return [name for _id, name in ROW_LINK.findall(client.get(LIST + query).get_data(as_text=True))]


def created_days_ago(world, worker, clock, days: int, given: str, family: str) -> dict[str, str]:
    clock.set(datetime.now(OSLO) - timedelta(days=days))
    try:
        return task_for(world, worker, given, family)
    finally:
        clock.reset()


def test_each_row_names_the_child_with_masked_number_and_age_and_the_holder_by_name(world, worker, app):
    task = task_for(world, worker, "Sara", "Nordmann", born=date(2012, 5, 10))
    step(world, task["id"], "acknowledge")
    step(world, task["id"], "assign", {"assignee_user_id": world.users["coordinator_askoy"].id})
    client, _token = signed_in(app, "coordinator_askoy")

    page = client.get(LIST).get_data(as_text=True)
    assert shown(client) == ["Sara Nordmann"]
    assert "10.05.12 *****" in page and re.search(r"10\.05\.12 \*\*\*\*\*, 1[45] år", page)
    assert world.users["coordinator_askoy"].name in page and "Tildelt en person" not in page
    assert task["number"] not in page


def test_a_task_nobody_holds_says_so_and_a_service_is_named(world, worker, app):
    nobody = task_for(world, worker, "Ada", "Ingen")
    service = task_for(world, worker, "Bo", "Tjeneste")
    step(world, service["id"], "acknowledge")
    step(world, service["id"], "assign", {"service": "Kommunepsykolog"})
    client, _token = signed_in(app, "coordinator_askoy")

    rows = client.get(LIST).get_data(as_text=True).split("<tr>")
    assert "Ingen ennå" in next(r for r in rows if nobody["id"] in r)
    assert "Kommunepsykolog" in next(r for r in rows if service["id"] in r)


def test_mine_and_unassigned_show_only_those_tasks(world, worker, app):
    mine, colleagues, nobodys = (task_for(world, worker, name, "Test") for name in ("Mina", "Kari", "Ingrid"))
    for task, holder in ((mine, "coordinator_askoy"), (colleagues, "lead_askoy")):
        step(world, task["id"], "acknowledge")
        step(world, task["id"], "assign", {"assignee_user_id": world.users[holder].id})
    client, _token = signed_in(app, "coordinator_askoy")

    assert shown(client, "?ansvar=mine") == ["Mina Test"]
    assert shown(client, "?ansvar=ingen") == ["Ingrid Test"]
    assert sorted(shown(client)) == ["Ingrid Test", "Kari Test", "Mina Test"]


def test_overdue_escalated_and_status_filters_keep_only_their_tasks(world, worker, app, clock):
    late = created_days_ago(world, worker, clock, 14, "Sen", "Test")
    escalated = task_for(world, worker, "Eskil", "Test")
    acknowledged = task_for(world, worker, "Mona", "Test")
    step(world, acknowledged["id"], "acknowledge")
    with app.extensions["referral_db"].engine.begin() as connection:  # as the sweep leaves it
        connection.execute(text("UPDATE handover SET escalation_level = 2 WHERE id = :id"), {"id": escalated["id"]})
    client, _token = signed_in(app, "coordinator_askoy")

    assert shown(client, "?forsinket=1") == ["Sen Test"]
    assert shown(client, "?eskalert=1") == ["Eskil Test"]
    assert shown(client, "?status=acknowledged") == ["Mona Test"]
    assert sorted(shown(client, "?status=open")) == ["Eskil Test", "Sen Test"]
    assert late["id"] in client.get(LIST).get_data(as_text=True)


def test_closed_tasks_are_in_their_own_tab(world, worker, app):
    done = task_for(world, worker, "Ferdig", "Test")
    task_for(world, worker, "Pågår", "Test")
    step(world, done["id"], "acknowledge")
    step(world, done["id"], "close", {"outcome": "Følges opp av kommunepsykolog."})
    client, _token = signed_in(app, "coordinator_askoy")

    assert shown(client) == ["Pågår Test"]
    assert shown(client, "?vis=avsluttede") == ["Ferdig Test"]
    page = client.get(LIST + "?vis=avsluttede").get_data(as_text=True)
    assert re.search(r'href="/tilbakehenvisninger\?vis=avsluttede" aria-current="page">Avsluttede', page)


def test_the_list_sorts_by_either_due_date_both_ways(world, worker, app, clock):
    oldest = created_days_ago(world, worker, clock, 30, "Eldst", "Test")
    middle = created_days_ago(world, worker, clock, 10, "Midt", "Test")
    newest = task_for(world, worker, "Nyest", "Test")
    for task in (oldest, middle, newest):
        step(world, task["id"], "acknowledge")
    client, _token = signed_in(app, "coordinator_askoy")

    ascending = ["Eldst Test", "Midt Test", "Nyest Test"]
    assert shown(client, "?sorter=bekreft") == ascending
    assert shown(client, "?sorter=bekreft-synkende") == ascending[::-1]
    assert shown(client, "?sorter=kontakt") == ascending
    assert shown(client, "?sorter=kontakt-synkende") == ascending[::-1]


def test_the_default_order_puts_new_and_overdue_tasks_first(world, worker, app, clock):
    acknowledged = task_for(world, worker, "Mottatt", "Test")
    step(world, acknowledged["id"], "acknowledge")
    task_for(world, worker, "Ny", "Test")
    created_days_ago(world, worker, clock, 14, "Forsinket", "Test")
    client, _token = signed_in(app, "coordinator_askoy")

    assert shown(client) == ["Forsinket Test", "Ny Test", "Mottatt Test"]


def test_a_search_by_name_is_posted_kept_and_keeps_the_filters(world, worker, app):
    task_for(world, worker, "Sara", "Nordmann")
    task_for(world, worker, "Sander", "Berg")
    client, token = signed_in(app, "coordinator_askoy")

    response = client.post(LIST + "?ansvar=ingen&sorter=kontakt", data={"sok": "nordm", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/tilbakehenvisninger?ansvar=ingen&sorter=kontakt"
    assert shown(client, "?ansvar=ingen&sorter=kontakt") == ["Sara Nordmann"]
    assert shown(client, "?vis=avsluttede") == []

    client.post(LIST, data={"fjern_sok": "1", "csrf_token": token})
    assert sorted(shown(client)) == ["Sander Berg", "Sara Nordmann"]


def test_a_search_by_full_identity_number_finds_the_child_and_never_shows_the_number(world, worker, app):
    wanted = task_for(world, worker, "Sara", "Nordmann")
    task_for(world, worker, "Sara", "Annen")
    client, token = signed_in(app, "coordinator_askoy")

    response = client.post(LIST, data={"sok": wanted["number"], "csrf_token": token})
    assert response.status_code == 303 and wanted["number"] not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert [name for _id, name in ROW_LINK.findall(page)] == ["Sara Nordmann"]
    assert wanted["number"] not in page and "fødselsnummeret du søkte på" in page


def test_a_number_nobody_has_finds_nothing(world, worker, app):
    task_for(world, worker, "Sara", "Nordmann")
    client, token = signed_in(app, "coordinator_askoy")

    client.post(LIST, data={"sok": world.national_id(), "csrf_token": token})
    assert shown(client) == []


def test_another_municipality_neither_lists_nor_finds_the_task(world, worker, app):
    task = task_for(world, worker, "Sara", "Nordmann")
    client, token = signed_in(app, "coordinator_bergen")

    assert shown(client) == []
    client.post(LIST, data={"sok": task["number"], "csrf_token": token})
    assert shown(client) == []
    client.post(LIST, data={"sok": "Sara", "csrf_token": token})
    assert shown(client) == []


def test_the_list_logs_a_read_of_each_referral_it_shows_and_no_other(world, worker, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.handovers.PER_PAGE", 1)
    first, second = task_for(world, worker, "En", "Test"), task_for(world, worker, "To", "Test")
    client, _token = signed_in(app, "coordinator_askoy")
    with app.extensions["referral_db"].session() as session:
        before = len(session.exec(select(AccessLogEntry)).all())

    shown_ids = [i for i, _name in ROW_LINK.findall(client.get(LIST).get_data(as_text=True))]
    with app.extensions["referral_db"].session() as session:
        logged = session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "list_handovers")).all()
        assert len(session.exec(select(AccessLogEntry)).all()) == before + 1
    by_task = {first["id"]: first["referral_id"], second["id"]: second["referral_id"]}
    assert [(e.user_id, e.referral_id) for e in logged] == [
        (world.users["coordinator_askoy"].id, by_task[shown_ids[0]])]


def test_the_filters_are_kept_from_page_to_page(world, worker, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.handovers.PER_PAGE", 1)
    for name in ("En", "To"):
        task_for(world, worker, name, "Test")
    client, _token = signed_in(app, "coordinator_askoy")

    page = client.get(LIST + "?ansvar=ingen&sorter=bekreft").get_data(as_text=True)
    assert 'href="/tilbakehenvisninger?ansvar=ingen&amp;sorter=bekreft&amp;side=2"' in page


def test_a_page_of_many_tasks_costs_the_statements_of_a_page_of_one(world, worker, app):
    """The children and the holders' names of a page are read in one query each, never one per row."""
    first = task_for(world, worker, "En", "Test")
    step(world, first["id"], "acknowledge")
    step(world, first["id"], "assign", {"assignee_user_id": world.users["coordinator_askoy"].id})
    client, _token = signed_in(app, "coordinator_askoy")
    with counted_statements(app) as one:
        assert len(shown(client)) == 1
    for name, holder in (("To", "lead_askoy"), ("Tre", "coordinator_askoy"), ("Fire", None)):
        task = task_for(world, worker, name, "Test")
        if holder:
            step(world, task["id"], "acknowledge")
            step(world, task["id"], "assign", {"assignee_user_id": world.users[holder].id})
    with counted_statements(app) as four:
        assert len(shown(client)) == 4
    assert len(four) == len(one), "\n".join(four)
