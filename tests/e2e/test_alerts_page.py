"""In Chromium: the Askøy coordinator's Varsler, on a phone (390 px) and an office PC (1280 px): the alerts about
each task stand under the child they are about, each says what happened, "Merk alle som lest" reads one group
and the bell drops; the page never scrolls sideways, and axe-core finds no violation of any impact."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation, User
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.e2e.helpers import PASSWORD, axe_violations, describe_violations, log_in, screenshot, unread_alert_count

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

COORDINATOR_ASKOY = "koordinator@askoy.example"
WIDTHS = (390, 1280)


def _token(client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _rejected(app, worker, *, given_name: str, family_name: str, seed: int) -> tuple[str, str]:
    """The Askøy GP refers a child living in Askøy, BUP rejects it, the worker hands it back: (referral, task)."""
    client = app.test_client()
    gp, bup = _token(client, "fastlege@askoy.example"), _token(client, "inntak@bup.example")
    with app.extensions["referral_db"].session() as session:
        clinic_id = session.exec(select(Organisation.id).where(Organisation.name == "BUP Bergen sentrum")).one()
    body = {
        "child": {"national_id": make_synthetic_national_id(date(2011, 2, 17), seed=seed), "given_name": given_name,
                  "family_name": family_name, "home_municipality": "4627",
                  "guardians": [{"name": "Mor", "phone": "40000001"}]},
        "clinic_id": clinic_id, "reasons": ["anxiety"],
        "description": "Angst og skolefravær siden høsten.", "measures_tried": "Samtaler med helsesykepleier.",
        "child_view": "Jeg vil ha hjelp.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"]},
    }
    created = client.post("/api/v1/referrals", json=body, headers=gp)
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    assert client.post(f"/api/v1/referrals/{rid}/submit", headers=gp).status_code == 200
    rejected = client.post(f"/api/v1/referrals/{rid}/reject", headers=bup, json={
        "reason_code": "not_specialist_need", "explanation": "Kan møtes i kommunen.",
        "municipal_advice": "Samtaler med helsesykepleier."})
    assert rejected.status_code == 200, rejected.get_json()
    worker.run()
    return rid, client.get(f"/api/v1/referrals/{rid}", headers=gp).get_json()["handover_id"]


def _raise(app, email: str, kind: str, *, key: str, data: dict, referral_id: str | None = None,
           handover_id: str | None = None) -> None:
    """An alert as the services raise it (the sweep's escalation, a deadline warning, a failed e-mail)."""
    with app.extensions["referral_db"].session() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        uow = SqlUnitOfWork.on(session)
        with uow:
            raise_alerts(uow, dependencies(app).clock, users=[user], kind=kind, dedupe_key=key, data=data,
                         referral_id=referral_id, handover_id=handover_id)
            uow.commit()


@pytest.fixture(scope="module")
def two_tasks(e2e_app, worker) -> dict[str, str]:
    hedda = _rejected(e2e_app, worker, given_name="Hedda", family_name="Lyngbø", seed=9101)
    jonas = _rejected(e2e_app, worker, given_name="Jonas", family_name="Kvamme", seed=9102)
    _raise(e2e_app, COORDINATOR_ASKOY, "handover_unacknowledged", key=f"handover:{hedda[1]}:unacknowledged:1",
           data={"due": "2026-12-01", "level": 1}, referral_id=hedda[0], handover_id=hedda[1])
    _raise(e2e_app, "inntak@bup.example", "assessment_warning", key=f"referral:{jonas[0]}:assessment_warning",
           data={"due": "2026-12-01", "level": 0}, referral_id=jonas[0])
    _raise(e2e_app, "admin@demo.example", "alert_delivery_failed", key=f"alert:{jonas[1]}:email_failed", data={})
    _raise(e2e_app, "admin@demo.example", "handover_unrouted", key=f"handover:{jonas[1]}:unrouted",
           data={"municipality_number": "4627"}, handover_id=jonas[1])
    return {"hedda": hedda[1], "jonas": jonas[1]}


def _group(page: Page, child: str):
    return page.get_by_role("region", name=f"Gjelder {child}")


def _fits_and_passes_axe(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"Varsler is {wide} px wide in a {width} px window"
    violations = axe_violations(page)
    assert not violations, f"axe at {width} px:\n{describe_violations(violations)}"


def test_varsler_groups_by_child_and_task_and_merk_alle_som_lest_reads_one_group(open_page, base_url, two_tasks):
    page = open_page()
    log_in(page, base_url, COORDINATOR_ASKOY, PASSWORD)
    page.get_by_role("link", name="Varsler", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Varsler")

    hedda = _group(page, "Hedda Lyngbø (17.02.11 *****)")
    expect(hedda).to_contain_text("2 uleste")
    expect(hedda.get_by_role("listitem").first).to_contain_text("Eskalert til deg: ikke bekreftet mottatt i tide")
    expect(hedda.get_by_role("listitem").nth(1)).to_contain_text("Ny tilbakehenvisning til dere")
    expect(hedda.get_by_role("link", name="Se tilbakehenvisningen")).to_have_attribute(
        "href", f"/tilbakehenvisninger/{two_tasks['hedda']}")
    jonas = _group(page, "Jonas Kvamme (17.02.11 *****)")
    expect(jonas).to_contain_text("1 ulest")
    for width in WIDTHS:
        _fits_and_passes_axe(page, width)
        screenshot(page, f"varsler-{width}")

    before = unread_alert_count(page)
    hedda.get_by_role("button", name="Merk alle som lest").click()
    expect(page.get_by_role("status")).to_have_text("2 varsler merket som lest.")

    expect(_group(page, "Hedda Lyngbø (17.02.11 *****)")).to_contain_text("Ingen uleste")
    expect(_group(page, "Jonas Kvamme (17.02.11 *****)")).to_contain_text("1 ulest")
    assert unread_alert_count(page) == before - 2
    for width in WIDTHS:
        _fits_and_passes_axe(page, width)


@pytest.mark.parametrize("email", ["fastlege@askoy.example", "inntak@bup.example", "admin@demo.example"])
def test_varsler_of_the_other_roles_fit_a_phone_and_pass_axe(open_page, base_url, two_tasks, email):
    page = open_page()
    log_in(page, base_url, email, PASSWORD)
    page.get_by_role("link", name="Varsler", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Varsler")
    expect(page.get_by_role("region").first).to_be_visible()
    if email == "admin@demo.example":  # told what happened, never which child
        expect(page.get_by_role("main")).not_to_contain_text("Kvamme")
        expect(page.get_by_role("region", name="Andre varsler")).to_contain_text("E-postvarsel kunne ikke leveres")
    else:
        expect(page.get_by_role("region", name="Gjelder Jonas Kvamme (17.02.11 *****)")).to_be_visible()
    for width in WIDTHS:
        _fits_and_passes_axe(page, width)
        screenshot(page, f"varsler-{email.split('@')[0]}-{width}")
