"""Issue 14, the family's data cared for: the staff side and the family side never open each other. A family
member's session (signed in with ID-porten on the family page) is nobody to the staff pages and the API: every staff
page sends them to the staff's sign-in, every API operation answers 401, and a staff form they post changes nothing.
A staff member's session or API token is nobody to the family page: /familie and /familie/sak/<id> send them to the
family's sign-in (services/family, web/family_session.py).

The family half asks the service which family pages it serves: where /familie is not served (a build without the
family pages), the address is a plain 404 that shows nothing either."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, session
from sqlmodel import select
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule

from referral_service.domain.referral import Referral
from referral_service.web.family_session import FAMILY_SESSION_ID, FAMILY_SIGN_IN_PATH, family_viewer
from referral_service.web.session_auth import web_actor
from tests.integration.test_web_decisions import WebUser
from tests.support.family import CSRF_TOKEN, family_client
from tests.support.family_records import GUARDIAN_BORN, record_guardian

#: Staff pages anyone may open without signing in: the staff's sign-in and the way through an identity provider.
OPEN_TO_ALL = {"web.login", "web.oidc_start", "web.oidc_callback"}
#: The child's name in every referral the world writes: never on a page that must show nothing.
CHILD_NAME = "Testesen"
STAFF_SIGN_IN = "/logg-inn"


@pytest.fixture
def guardian_case(app, world) -> dict[str, Any]:
    """A sent referral of a 14-year-old with the guardian recorded by number; that guardian, signed in on the family
    page (the family page would show them this case)."""
    referral = world.referral_in("submitted")
    number = world.national_id(GUARDIAN_BORN)
    record_guardian(app, referral["id"], number)
    return {"referral": referral, "family": family_client(app, number)}


def served_get_rules(app: Flask, *, prefix: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.rule.startswith(prefix) and not rule.rule.startswith("/familie")]


def path_of(rule: Rule, referral_id: str) -> str:
    """The rule's address for the case (an id of the case for every id; a step number for a step)."""
    values = {name: 1 if type(converter).__name__ == "IntegerConverter" else referral_id
              for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def redirected_to(response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.request.path)
    return urlsplit(response.headers["Location"]).path


# --- a family session opens nothing of the staff's --------------------------------------------------------------

def test_a_family_session_opens_no_staff_page_and_is_sent_to_the_staffs_sign_in(app, world, guardian_case):
    family, referral_id = guardian_case["family"], guardian_case["referral"]["id"]
    staff_pages = [rule for rule in served_get_rules(app, prefix="/") if rule.endpoint.startswith("web.")
                   and rule.endpoint not in OPEN_TO_ALL]
    assert {"web.my_referrals", "web.referral_detail", "web.handovers", "web.audit_log"} <= {
        rule.endpoint for rule in staff_pages}

    for rule in staff_pages:
        path = path_of(rule, referral_id)
        response = family.get(path)
        assert redirected_to(response) == STAFF_SIGN_IN, path
        assert CHILD_NAME not in response.get_data(as_text=True), path

    # Still signed in on the family side: the staff pages neither opened nor ended the family session.
    with family.session_transaction() as cookie:
        assert cookie.get(FAMILY_SESSION_ID)


def test_a_family_session_gets_401_from_every_api_operation(app, world, guardian_case):
    family, referral_id = guardian_case["family"], guardian_case["referral"]["id"]
    operations = [rule for rule in served_get_rules(app, prefix="/api/v1/")
                  if not rule.endpoint.startswith(("api-docs.", "ops."))]
    assert len(operations) >= 10

    for rule in operations:
        path = path_of(rule, referral_id)
        response = family.get(path)
        assert response.status_code == 401, (path, response.status_code)
        assert response.mimetype == "application/problem+json" and CHILD_NAME not in response.get_data(as_text=True)
    written = family.post("/api/v1/referrals", json=world.referral_body())
    assert written.status_code == 401


def test_a_staff_form_posted_with_a_family_session_changes_nothing(app, world, guardian_case):
    family, referral_id = guardian_case["family"], guardian_case["referral"]["id"]
    before = _referrals(app)

    withdrawn = family.post(f"/henvisninger/{referral_id}/trekk-tilbake",
                            data={"csrf_token": CSRF_TOKEN, "reason": "Familien vil ikke mer."})
    drafted = family.post("/henvisninger/ny", data={"csrf_token": CSRF_TOKEN, "child.given_name": "Ola"})

    assert redirected_to(withdrawn) == STAFF_SIGN_IN and redirected_to(drafted) == STAFF_SIGN_IN
    assert _referrals(app) == before
    assert world.get("gp", f"/api/v1/referrals/{referral_id}").json["status"] == "submitted"


def _referrals(app) -> list[tuple[str, str]]:
    with app.extensions["referral_db"].session() as session:
        return sorted((row.id, row.status) for row in session.exec(select(Referral)))


# --- a staff session or API token opens nothing of the family's -------------------------------------------------

def family_page_answer(app: Flask, path: str) -> int:
    """302 (to the family's sign-in) where the service serves this family page; 404 where it serves none."""
    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except NotFound:
        return 404
    return 302


@pytest.mark.parametrize("who", ["gp", "coordinator_askoy", "auditor"])
def test_a_staff_session_opens_nothing_under_familie(app, world, guardian_case, who):
    staff = WebUser(app, who)
    for path in ("/familie", f"/familie/sak/{guardian_case['referral']['id']}"):
        response = staff.client.get(path)
        expected = family_page_answer(app, path)
        assert response.status_code == expected, (path, response.status_code)
        if expected == 302:
            assert redirected_to(response) == FAMILY_SIGN_IN_PATH, path
        assert CHILD_NAME not in response.get_data(as_text=True), path
    staff.get("/varsler")  # still signed in as staff: the family pages neither opened nor ended the staff session


def test_a_staff_api_token_opens_nothing_under_familie(app, world, guardian_case):
    for path in ("/familie", f"/familie/sak/{guardian_case['referral']['id']}"):
        response = world.get("gp", path)
        expected = family_page_answer(app, path)
        assert response.status_code == expected, (path, response.status_code)
        if expected == 302:
            assert redirected_to(response) == FAMILY_SIGN_IN_PATH, path
        assert CHILD_NAME not in response.get_data(as_text=True), path


def test_the_guardian_is_signed_in_on_the_family_side_only(app, world, guardian_case):
    """The control for the tests above: the family client is a good family session (were it not, sending it to
    the staff's sign-in would prove nothing), and the staff side does not know it."""
    family = guardian_case["family"]
    with family.session_transaction() as cookie:
        session_id = cookie[FAMILY_SESSION_ID]
    with app.test_request_context("/familie"):
        session[FAMILY_SESSION_ID] = session_id
        assert family_viewer() is not None
        assert web_actor() is None
