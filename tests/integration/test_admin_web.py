"""The administration pages through the Flask test client: organisations, users, roles that must fit the kind
(a Norwegian message), deactivation, the recent changes; other roles get 403; the administrator still reads no
child data on any page."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.test_web_decisions import WebUser

ADMIN_PAGES = ["/admin", "/admin/virksomheter", "/admin/brukere", "/admin/henvisningsrett", "/admin/drift"]


def _email() -> str:
    return f"side.{uuid.uuid4().hex[:12]}@test.example"


def create_user(admin: WebUser, data: dict, *, expect: int = 200):
    """Post the new-user form (the page's filter form is a GET to the same address, so this one is picked by
    its token)."""
    response = admin.client.post("/admin/brukere", data={"csrf_token": admin.page.hidden("csrf_token"), **data},
                                 follow_redirects=True)
    assert response.status_code == expect, response.get_data(as_text=True)
    return admin._read(response)


@pytest.fixture
def admin(app, world) -> WebUser:
    return WebUser(app, "admin")


def test_the_overview_counts_and_shows_recent_changes(admin, world):
    world.post("admin", "/api/v1/users", json={"email": _email(), "name": "Olga Oversikt",
                                               "password": "et-langt-passord-2026",
                                               "organisation_id": world.orgs["bergen"].id,
                                               "roles": ["municipal_coordinator"]})
    page = admin.get("/admin")
    assert page.h1 == ["Administrasjon"]
    assert "Siste endringer" in page.text() and "Bruker opprettet: Olga Oversikt" in page.text()
    assert "av Ada Administrator" in page.text()


def test_an_admin_creates_an_organisation_with_a_municipality_from_the_register(admin):
    admin.get("/admin/virksomheter")
    name = f"PPT Os {uuid.uuid4().hex[:6]}"
    page = admin.submit("/admin/virksomheter", {"kind": "ppt_office", "name": name, "municipality_number": "4630"})
    assert f"{name} er opprettet." in page.text()
    assert "Osterøy (4630)" in page.text() or "(4630)" in page.text()
    refused = admin.submit("/admin/virksomheter", {"kind": "gp_office", "name": "Legene", "municipality_number": ""},
                           expect=422)
    assert "Dette må rettes før du kan gå videre" in refused.text()
    refused = admin.submit("/admin/virksomheter", {"kind": "gp_office", "name": "Legene",
                                                   "municipality_number": "9999"}, expect=422)
    assert "Finner ingen kommune i kraft med dette nummeret" in refused.text()


def test_a_role_that_does_not_fit_is_refused_on_the_page_in_norwegian(admin, world):
    admin.get("/admin/brukere")
    email = _email()
    page = create_user(admin, {"organisation_id": world.orgs["operator"].id, "name": "Bente BUP",
                               "email": email, "password": "et-langt-passord-2026",
                               "roles": ["bup_intake"], "profession": "psychologist"}, expect=422)
    assert "Rollen passer ikke for denne typen virksomhet." in page.text()
    assert "Driftsorganisasjon kan bare ha disse rollene: administrator, revisor." in page.text()
    assert world.client.post("/api/v1/auth/token", json={"email": email, "password": "et-langt-passord-2026"}
                             ).status_code == 401


def test_an_admin_creates_a_user_changes_roles_and_deactivates_through_the_pages(admin, world):
    admin.get(f"/admin/brukere?virksomhet={world.orgs['askoy'].id}")
    page = create_user(admin, {"organisation_id": world.orgs["askoy"].id, "name": "Kristin Ny",
                               "email": _email(), "password": "et-langt-passord-2026",
                               "roles": ["municipal_coordinator"], "profession": "other"})
    assert "Kristin Ny er opprettet." in page.text() and page.h1 == ["Kristin Ny"]
    user_path = next(f["action"] for f in page.forms if f["action"].endswith("/roller"))
    page = admin.submit(user_path, {"roles": ["municipal_coordinator", "municipal_lead"]})
    assert "Rollene er endret." in page.text()
    assert "Roller endret" in page.text() and "til Kommunal koordinator, Kommunal leder" in page.text()
    refused = admin.submit(user_path, {"roles": ["referrer"]}, expect=422)
    assert "Kommune kan bare ha disse rollene: kommunal koordinator, kommunal leder." in refused.text()
    refused = admin.submit(user_path, {}, expect=422)
    assert "Dette feltet må fylles ut." in refused.text() or "Velg minst én rolle." in refused.text()
    page = admin.submit(user_path.replace("/roller", "/deaktiver"),
                        {"successor_user_id": world.users["coordinator_askoy"].id})
    assert "Kristin Ny er deaktivert og kan ikke lenger logge inn." in page.text()
    assert "Bruker deaktivert" in page.text() and "Deaktivert: kan ikke logge inn" in page.text()


def test_a_successor_at_another_organisation_is_refused_in_norwegian(admin, world):
    created = world.post("admin", "/api/v1/users", json={
        "email": _email(), "name": "Siv Slutter", "password": "et-langt-passord-2026",
        "organisation_id": world.orgs["askoy"].id, "roles": ["municipal_coordinator"]}).json
    admin.get(f"/admin/brukere/{created['id']}")
    page = admin.submit(f"/admin/brukere/{created['id']}/deaktiver",
                        {"successor_user_id": world.users["coordinator_bergen"].id}, expect=422)
    assert "Velg en kollega i samme virksomhet" in page.text()


def test_the_new_password_link_is_shown_only_when_that_page_exists(admin, app, world):
    page = admin.get(f"/admin/brukere/{world.users['gp'].id}")
    has_reset = "web.admin_reset_password" in app.view_functions
    assert ("Nytt passord" in page.text()) is has_reset


@pytest.mark.parametrize("who", ["gp", "bup", "coordinator_askoy", "lead_askoy", "auditor", "nurse_bergen"])
def test_the_administration_pages_are_for_the_administrator_only(app, world, who):
    person = WebUser(app, who)
    for path in [*ADMIN_PAGES, f"/admin/brukere/{world.users['gp'].id}"]:
        person.get(path, expect=403)


def test_the_administrator_reads_no_child_data_on_the_pages(app, world):
    referral = world.referral_in("rejected")
    admin = WebUser(app, "admin")
    for path in (f"/henvisninger/{referral['id']}", f"/inntak/{referral['id']}",
                 f"/henvisninger/{referral['id']}/samtykke"):
        response = admin.client.get(path)
        assert response.status_code in (403, 404), path
        assert "Testesen" not in response.get_data(as_text=True)
    for path in ("/henvisninger", "/inntak", "/tilbakehenvisninger"):
        assert admin.client.get(path).status_code == 403, path
    for path in ADMIN_PAGES:
        assert "Testesen" not in admin.get(path).text()
