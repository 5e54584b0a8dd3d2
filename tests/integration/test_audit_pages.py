"""Issue 13, "Auditor pages": the auditor reads the access log filtered by child (found by the posted identity number
through the blind index; the number never in an address or on the page), by user, organisation and time; sees the
chain's verification and the retention sweep's runs; and answers a family's request for insight (innsyn) on a page,
as CSV and as a printable page, each of which is itself logged. The API filters by organisation and time and finds
a child's history by the number in a POST body. Other roles get 403; an administrator reads no child data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.child import Child
from referral_service.domain.referral import Referral
from tests.integration.test_web_decisions import WebUser


@pytest.fixture
def auditor(app, world) -> WebUser:
    return WebUser(app, "auditor")


def number_of(app, referral: dict[str, Any]) -> str:
    with app.extensions["referral_db"].session() as session:
        child = session.get(Child, session.get(Referral, referral["id"]).child_id)
        return dependencies(app).identity.vault.decrypt(child.national_id_ciphertext)


def two_children_read(world) -> tuple[dict[str, Any], dict[str, Any]]:
    first, second = world.create_referral("gp"), world.create_referral("nurse_bergen", home_municipality="4601")
    world.get("gp", f"/api/v1/referrals/{first['id']}")
    world.get("nurse_bergen", f"/api/v1/referrals/{second['id']}")
    return first, second


def log_rows(app, **where: str) -> list[AccessLogEntry]:
    with app.extensions["referral_db"].session() as session:
        query = select(AccessLogEntry)
        for name, value in where.items():
            query = query.where(getattr(AccessLogEntry, name) == value)
        return list(session.exec(query))


def test_the_log_is_filtered_by_a_posted_child_and_the_number_is_never_in_an_address_or_on_the_page(
        app, world, auditor):
    first, second = two_children_read(world)
    number = number_of(app, first)
    page = auditor.get("/revisjon")
    assert page.h1 == ["Revisjon"]
    rows = page.by_id["tilgangslogg-rader"]
    assert world.users["nurse_bergen"].name in rows and world.users["gp"].name in rows

    response = auditor.client.post("/revisjon", data={"sok": number, "csrf_token": page.hidden("csrf_token")})
    assert response.status_code == 303 and number not in response.headers["Location"]
    page = auditor.get(response.headers["Location"])
    assert number not in page.html
    rows = page.by_id["tilgangslogg-rader"]
    assert world.users["gp"].name in rows and world.users["nurse_bergen"].name not in rows
    assert "Leste henvisningen" in page.text() and "Henvisende tjeneste" in page.text()
    # The child's history was read: logged as an insight request is, against the child's referral.
    logged = log_rows(app, user_id=world.users["auditor"].id, action="insight_request")
    assert logged and {row.referral_id for row in logged} == {first["id"]}


def test_the_log_is_filtered_by_user_organisation_and_dates_and_a_bad_date_is_told_in_norwegian(app, world, auditor):
    two_children_read(world)
    nurse, gp_org = world.users["nurse_bergen"], world.orgs["gp"]
    by_user = auditor.get(f"/revisjon?bruker={nurse.id}").by_id["tilgangslogg-rader"]
    assert nurse.name in by_user and world.users["gp"].name not in by_user
    by_org = auditor.get(f"/revisjon?virksomhet={gp_org.id}").by_id["tilgangslogg-rader"]
    assert world.users["gp"].name in by_org and nurse.name not in by_org
    today = dependencies(app).clock.today()
    assert nurse.name in auditor.get(f"/revisjon?fra={today.isoformat()}&til={today.isoformat()}").by_id[
        "tilgangslogg-rader"]
    assert "Ingen rader passer" in auditor.get(f"/revisjon?til={(today - timedelta(days=1)).isoformat()}").text()
    assert "skriv datoen som åååå-mm-dd" in auditor.get("/revisjon?fra=igår").text()


def test_the_verification_page_says_the_log_is_whole_and_lists_the_retention_runs(app, world, auditor, tmp_path):
    from click.testing import CliRunner

    from referral_service.cli import main

    two_children_read(world)
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": str(tmp_path / "data")}
    assert CliRunner().invoke(main, ["retention", "sweep"], env=env).exit_code == 0
    page = auditor.get("/revisjon/kontroll")
    assert "Tilgangsloggen er hel" in page.text()
    assert "Avsluttede saker anonymisert" in page.text()


def test_an_insight_request_shows_exports_and_logs_who_read_the_child(app, world, auditor):
    first, _ = two_children_read(world)
    number = number_of(app, first)
    page = auditor.get("/revisjon/innsyn")
    response = auditor.client.post("/revisjon/innsyn", data={"sok": number, "csrf_token": page.hidden("csrf_token")})
    assert response.status_code == 303 and number not in response.headers["Location"]
    page = auditor.get("/revisjon/innsyn")
    assert number not in page.html
    rows = page.by_id["innsyn-rader"]
    assert world.users["gp"].name in rows and world.users["nurse_bergen"].name not in rows

    csv = auditor.client.get("/revisjon/innsyn.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == "Tidspunkt;Person;Virksomhet;Rolle;Handling;Grunnlag"
    assert world.users["gp"].name in text and number not in text
    printable = auditor.get("/revisjon/innsyn/utskrift")
    assert world.users["gp"].name in printable.text() and number not in printable.html

    # Each reading of who read the child is itself a read of the child's data.
    logged = log_rows(app, user_id=world.users["auditor"].id, action="insight_request")
    assert len(logged) == 3 and {row.referral_id for row in logged} == {first["id"]}


def test_other_roles_get_403_and_an_administrator_reads_no_child_data(app, world):
    for who in ("admin", "gp", "bup", "coordinator_askoy"):
        user = WebUser(app, who)
        for path in ("/revisjon", "/revisjon/kontroll", "/revisjon/innsyn", "/revisjon/innsyn.csv"):
            user.get(path, expect=403)


def test_the_api_finds_a_childs_history_by_a_number_in_the_body_and_filters_by_organisation_and_time(app, world):
    first, second = two_children_read(world)
    number = number_of(app, first)
    response = world.post("auditor", "/api/v1/audit/insight", json={"national_id": number})
    assert response.status_code == 200, response.json
    assert {item["user_name"] for item in response.json["items"]} == {world.users["gp"].name}
    assert log_rows(app, action="insight_request", referral_id=first["id"])

    unknown = world.national_id()
    refused = world.post("auditor", "/api/v1/audit/insight", json={"national_id": unknown})
    assert refused.status_code == 404 and unknown not in refused.get_data(as_text=True)
    bad = world.post("auditor", "/api/v1/audit/insight", json={"national_id": "1234"})
    assert bad.status_code == 422 and "1234" not in bad.get_data(as_text=True)
    assert world.post("gp", "/api/v1/audit/insight", json={"national_id": number}).status_code == 403

    by_org = world.get("auditor", f"/api/v1/audit?organisation_id={world.orgs['gp'].id}").json
    assert by_org["total"] >= 1 and {item["organisation_id"] for item in by_org["items"]} == {world.orgs["gp"].id}
    assert world.get("auditor", "/api/v1/audit?until=2000-01-01T00:00:00%2B00:00").json["total"] == 0

    # The log filtered by the child is the child's history too: logged the same way.
    child_id = response.json["child_id"]
    before = len(log_rows(app, action="insight_request", referral_id=first["id"]))
    by_child = world.get("auditor", f"/api/v1/audit?child_id={child_id}").json
    assert by_child["total"] >= 1 and {item["child_id"] for item in by_child["items"]} == {child_id}
    assert len(log_rows(app, action="insight_request", referral_id=first["id"])) == before + 1


def test_the_verification_page_names_a_changed_row_in_norwegian(app, world, auditor):
    from sqlalchemy import text

    two_children_read(world)
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(text("UPDATE access_log SET action = 'list' WHERE seq = (SELECT MAX(seq) FROM access_log)"))
    page = auditor.get("/revisjon/kontroll")
    assert "Tilgangsloggen er brutt ved rad" in page.text()
    assert "En rad er endret etter at den ble skrevet." in page.text()


def test_the_log_is_paginated_newest_first(app, world, auditor):
    referral = world.create_referral("gp")
    for _ in range(55):
        world.get("gp", f"/api/v1/referrals/{referral['id']}")
    first = auditor.get("/revisjon")
    assert "Neste side" in first.text() and "Side 1 av 2" in first.text()
    second = auditor.get("/revisjon?side=2")
    assert "Side 2 av 2" in second.text() and "Opprettet henvisningen" in second.by_id["tilgangslogg-rader"]
    assert "Opprettet henvisningen" not in first.by_id["tilgangslogg-rader"]  # the oldest row is last
