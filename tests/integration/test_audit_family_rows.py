"""Issue 14, the family's data cared for: the family's reads on the family page are in the access log under the
organisation `family` (services/family/access.py), and the auditor sees them like everyone else's: on /revisjon, in
a child's insight history on /revisjon/innsyn, its CSV and its printable page, and in `POST /api/v1/audit/insight`,
named by the role they read as ("Foresatt (ID-porten)", "Ungdommen selv (ID-porten)") of "Familien", never as
unknown and never by their identity number. A stranger's denied attempt shows too, and the chain still verifies."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from referral_service.bootstrap import dependencies
from referral_service.domain.family import FamilySession
from referral_service.services.admin.web_sessions import hash_session_id
from referral_service.services.family.access import (
    FamilyViewer,
    case_or_none_logged,
    log_family_access,
    readable_cases,
)
from referral_service.services.family.sessions import start_family_session
from tests.integration.test_access_log import verify_over_the_api
from tests.integration.test_audit_pages import number_of
from tests.integration.test_web_decisions import WebUser
from tests.support.clock import norway_today
from tests.support.family_records import GUARDIAN_BORN, record_guardian, viewer_of


@pytest.fixture
def auditor(app, world) -> WebUser:
    return WebUser(app, "auditor")


def born(years: int) -> date:
    """A birth date that makes the child `years` old today (and not on their birthday)."""
    today = norway_today()
    return date(today.year - years, 1, 1) if today > date(today.year, 1, 2) else date(today.year - years - 1, 6, 1)


def referral_of(world, *, age: int) -> dict[str, Any]:
    """A sent referral of a child of `age` (from 16 the young person consents alone)."""
    body = world.referral_body(birth_date=born(age))
    body["consent"] = {"given_by": ["guardian", "child"] if age < 16 else ["child"],
                       "share_with": ["bup", "municipality"], "recorded_on": norway_today().isoformat()}
    referral = world.post("gp", "/api/v1/referrals", json=body).json
    return world.act("gp", referral["id"], "submit")


def signed_in(app, national_id: str) -> FamilyViewer:
    """The person signs in on the family page: the viewer their session gives."""
    deps = dependencies(app)
    indexes = viewer_of(app, national_id).national_id_indexes
    session_id = start_family_session(deps.unit_of_work(), deps.clock, national_id_indexes=indexes)
    with app.extensions["referral_db"].session() as session:
        return FamilyViewer(person_id=session.get(FamilySession, hash_session_id(session_id)).person_id,
                            national_id_indexes=indexes)


def family_reads(app, viewer: FamilyViewer, referral_id: str | None = None) -> None:
    """The family page's list (and, with `referral_id`, one case) as the family page logs them."""
    with app.extensions["referral_db"].session() as session:
        today = dependencies(app).clock.today()
        log_family_access(session, viewer, readable_cases(session, viewer, today=today), action="family_list")
        if referral_id:
            case_or_none_logged(session, viewer, referral_id, today=today, action="family_read")
        session.commit()


@pytest.fixture
def family_history(app, world) -> dict[str, Any]:
    """A 14-year-old's case read by the recorded guardian, a 17-year-old's read by the young person, and a
    stranger's attempt on the 14-year-old's case."""
    child = referral_of(world, age=14)
    guardian_number = world.national_id(GUARDIAN_BORN)
    record_guardian(app, child["id"], guardian_number)
    guardian = signed_in(app, guardian_number)
    family_reads(app, guardian, child["id"])

    young_number_body = referral_of(world, age=17)
    young = signed_in(app, number_of(app, young_number_body))
    family_reads(app, young, young_number_body["id"])

    stranger = signed_in(app, world.national_id(GUARDIAN_BORN))
    family_reads(app, stranger, child["id"])
    return {"child": child, "young": young_number_body, "guardian_number": guardian_number, "guardian": guardian}


def test_the_auditors_log_names_family_reads_and_a_strangers_attempt_in_norwegian(app, world, auditor,
                                                                                  family_history):
    page = auditor.get("/revisjon?virksomhet=family")

    rows = page.by_id["tilgangslogg-rader"]
    assert "Foresatt (ID-porten)" in rows and "Ungdommen selv (ID-porten)" in rows and "Familien" in rows
    assert "Leste henvisningen på familiesiden" in rows and "Foresatt registrert på henvisningen" in rows
    assert "Forsøkte å åpne en henvisning uten tilgang" in rows and "Familiemedlem (ID-porten)" in rows
    assert "(ukjent)" not in rows and world.users["gp"].name not in rows
    assert family_history["guardian_number"] not in page.html
    assert "Familien" in page.by_id["filter-virksomhet"]
    assert "Tilgangsloggen er hel" in auditor.get("/revisjon/kontroll").text()
    assert verify_over_the_api(world)["ok"] is True


def test_an_insight_request_lists_the_familys_reads_of_the_childs_case_on_the_page_csv_print_and_api(
        app, world, auditor, family_history):
    child = family_history["child"]
    number = number_of(app, child)
    form = auditor.get("/revisjon/innsyn")
    auditor.client.post("/revisjon/innsyn", data={"sok": number, "csrf_token": form.hidden("csrf_token")})

    rows = auditor.get("/revisjon/innsyn").by_id["innsyn-rader"]
    assert "Foresatt (ID-porten)" in rows and "Familien · Foresatt" in rows
    assert "Ungdommen selv (ID-porten)" not in rows, "another child's reads are not in this child's history"
    csv = auditor.client.get("/revisjon/innsyn.csv").get_data().decode("utf-8-sig")
    assert "Foresatt (ID-porten);Familien;Foresatt;Leste henvisningen på familiesiden;" \
           "Foresatt registrert på henvisningen" in csv
    assert "Så henvisningen i listen på familiesiden" in csv
    printable = auditor.get("/revisjon/innsyn/utskrift")
    assert "Foresatt (ID-porten)" in printable.text() and family_history["guardian_number"] not in printable.html

    response = world.post("auditor", "/api/v1/audit/insight", json={"national_id": number})
    assert response.status_code == 200, response.json
    family = [item for item in response.json["items"] if item["organisation_id"] == "family"]
    assert {(item["user_name"], item["organisation_name"], item["role"], item["action"], item["basis"])
            for item in family} == {
        ("Foresatt (ID-porten)", "Familien", "guardian", "family_list", "family:guardian"),
        ("Foresatt (ID-porten)", "Familien", "guardian", "family_read", "family:guardian")}
    assert {item["user_id"] for item in family} == {family_history["guardian"].person_id}

    young_number = number_of(app, family_history["young"])
    young = world.post("auditor", "/api/v1/audit/insight", json={"national_id": young_number})
    assert {(item["user_name"], item["basis"]) for item in young.json["items"] if item["organisation_id"] == "family"
            } == {("Ungdommen selv (ID-porten)", "family:young_person")}
    assert verify_over_the_api(world)["ok"] is True


def test_the_api_filters_the_log_to_the_familys_rows_with_the_denied_attempt(app, world, family_history):
    page = world.get("auditor", "/api/v1/audit?organisation_id=family&per_page=50").json

    actions = sorted(item["action"] for item in page["items"])
    assert actions == ["denied:referral", "family_list", "family_list", "family_read", "family_read"]
    denied = next(item for item in page["items"] if item["action"] == "denied:referral")
    assert (denied["referral_id"], denied["child_id"], denied["basis"]) == (family_history["child"]["id"], None,
                                                                            "denied")
