"""In Chromium: a 14-year-old asked that the guardians are not informed; the Askøy coordinator opens the
handover and sees the warning first, with the guardians' phone and e-mail hidden (axe-checked)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation
from tests.e2e.helpers import PASSWORD, log_in

pytest_plugins = ("tests.e2e.conftest_journeys",)
pytestmark = pytest.mark.usefixtures("demo_data")

COORDINATOR_ASKOY = "koordinator@askoy.example"
PHONE, EMAIL = "41234567", "far@example.no"


def _token(client, email: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _organisation_id(app, name: str) -> str:
    from sqlmodel import select

    with app.extensions["referral_db"].session() as session:
        return session.exec(select(Organisation.id).where(Organisation.name == name)).one()


@pytest.fixture
def withheld_handover(e2e_app, worker) -> str:
    """A rejected referral for a 14-year-old who asked that the guardians are not informed."""
    client = e2e_app.test_client()
    gp, bup = _token(client, "fastlege@askoy.example"), _token(client, "inntak@bup.example")
    body = {
        "child": {"national_id": make_synthetic_national_id(date(2012, 3, 14), seed=4242), "given_name": "Maja",
                  "family_name": "Vik", "home_municipality": "4627",
                  "guardians": [{"name": "Far Vik", "phone": PHONE, "email": EMAIL}]},
        "clinic_id": _organisation_id(e2e_app, "BUP Bergen sentrum"),
        "reasons": ["anxiety"], "description": "Angst og søvnvansker siden i vår, trekker seg fra venner.",
        "measures_tried": "Samtaler med helsesykepleier.", "child_view": "Jeg vil ikke at pappa skal vite.",
        "consent": {"given_by": ["guardian", "child"], "share_with": ["bup", "municipality"],
                    "withhold_from_guardians": True},
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
    return client.get(f"/api/v1/referrals/{rid}", headers=gp).get_json()["handover_id"]


def test_the_coordinator_sees_the_childs_request_and_not_how_to_reach_the_guardians(
        open_page, base_url, audit, withheld_handover):
    page = open_page()
    log_in(page, base_url, COORDINATOR_ASKOY, PASSWORD)
    page.goto(f"{base_url}/tilbakehenvisninger/{withheld_handover}")
    warning = page.get_by_role("heading", name="Barnet har bedt om at foresatte ikke får informasjon")
    expect(warning).to_be_visible()
    team = page.get_by_role("region", name="Laget rundt barnet")
    expect(team).to_contain_text("Far Vik")
    expect(team).to_contain_text("Kontaktopplysningene er skjult")
    assert PHONE not in page.content() and EMAIL not in page.content()
    audit.check(page, "Tilbakehenvisning (foresatte skal ikke informeres)")
    audit.assert_clean()
