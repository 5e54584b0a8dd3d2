"""DESIGN.md rule 5 (need-to-know), as a matrix: every operation of the served OpenAPI document x every
demo user (every role, of the organisations that take part in a case and of those that do not).

The case is a referral written by the GP at Askøy legesenter to BUP Bergen sentrum for a child living in
Askøy, with consent to share with BUP and the municipality. "Own" for it: gp (the referrer), bup (the
receiving clinic) and, once BUP has rejected it and the handover exists, Askøy's coordinator and lead.
"Other": the PPT office and school nurses (referrers elsewhere), bup2 (another clinic), Bergen's
coordinator and lead (another municipality). The administrator and the auditor read no child data.

The expected answers are written out by hand below, not read from the code. A resource the user may not
see answers 404, exactly like an id that does not exist; 403 is for a case the user sees but may not act
on (or an operation their role never may use); a refused request changes nothing. The rows are generated
from the served document, so a new endpoint without an expectation fails the suite.
"""

from __future__ import annotations

import functools
import random
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from config import load_config
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.municipalities import load_register
from referral_service.migrations import upgrade
from tests.integration.test_api_errors import UNKNOWN_ID, db_counts
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

API = "/api/v1"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
#: Municipalities outside the test world (Bergen 4601, Askøy 4627), for referral rights that touch no test's case.
OTHER_MUNICIPALITIES = sorted({m.number for m in load_register().in_force(date.today())} - {"4601", "4627"})
#: The one operation open to everyone: logging in. Its rules are in test_login_security.
UNAUTHENTICATED = {f"POST {API}/auth/token"}


@functools.cache
def served_operations() -> tuple[str, ...]:
    """ "METHOD /path" for every operation of the OpenAPI document the service serves (read at collection)."""
    with tempfile.TemporaryDirectory() as data_dir:
        url = f"sqlite:///{data_dir}/spec.sqlite"
        upgrade(url)  # a throwaway database of its own, in case serving the document ever reads one
        app = create_app(load_config("test", DATABASE_URL=url, DATA_DIR=data_dir))
        document = app.test_client().get(f"{API}/openapi.json").json
        app.extensions["referral_db"].engine.dispose()
    return operations_of(document)


def operations_of(document: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{method.upper()} {path}" for path, item in document["paths"].items()
                 for method in item if method in HTTP_METHODS)


# --- the expectation table -------------------------------------------------------------------------------

def answers(default: int, **cells: int) -> dict[str, int]:
    """One row of the matrix: every demo user's expected status, `default` unless named."""
    unknown = set(cells) - set(USERS)
    assert not unknown, f"not demo users: {unknown}"
    return {who: cells.get(who, default) for who in USERS}


#: The handed-over case seen by those who take part in it; everyone else is shown a 404.
READ_BY_THE_CASE_PARTIES = answers(404, gp=200, bup=200, coordinator_askoy=200, lead_askoy=200)


def after_handover(*, gp: int, bup: int) -> dict[str, int]:
    """An action on the rejected, handed-over referral: Askøy sees it but takes no referral action."""
    return answers(404, gp=gp, bup=bup, coordinator_askoy=403, lead_askoy=403)


def clinic_action(ready_state: str) -> dict[str, dict[str, int]]:
    """BUP's decisions: only the receiving clinic, only from the right state."""
    return {ready_state: answers(404, gp=403, bup=200), "handed_over": after_handover(gp=403, bup=409)}


#: The municipality's work on the handover: Askøy's coordinator and lead; the referral's parties see it.
HANDOVER_WORK = answers(404, gp=403, bup=403, coordinator_askoy=200, lead_askoy=200)

R = f"{API}/referrals/{{referral_id}}"
H = f"{API}/handovers/{{handover_id}}"
C = f"{API}/check-ins/{{check_in_id}}"

#: operation -> scenario -> user -> expected status.
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    # Logging out works for everyone, for their own token.
    f"POST {API}/auth/revoke": {"none": answers(204)},
    # A new password needs the current one: the matrix sends a wrong one (it must not change the demo passwords).
    f"POST {API}/auth/password": {"none": answers(422)},
    # Administration: the administrator only. Organisations are directory data every user may list.
    f"POST {API}/organisations": {"none": answers(403, admin=201)},
    f"GET {API}/organisations": {"none": answers(200)},
    f"POST {API}/users": {"none": answers(403, admin=201)},
    f"GET {API}/admin/operations": {"none": answers(403, admin=200)},
    # Failed alert e-mails and sending one again (no child data): the administrator.
    f"GET {API}/admin/alerts/failed": {"none": answers(403, admin=200)},
    f"POST {API}/admin/alerts/{{alert_id}}/resend": {"none": answers(403, admin=404)},
    f"POST {API}/admin/users/{{user_id}}/deactivate": {"none": answers(403, admin=404)},
    f"PUT {API}/users/{{user_id}}/roles": {"none": answers(403, admin=404)},
    # The phone and hours the family is given: the administrator (a user may set their own: not a demo user here).
    f"PUT {API}/users/{{user_id}}/contact": {"none": answers(403, admin=404)},
    f"PUT {API}/organisations/{{organisation_id}}/contact": {"none": answers(403, admin=404)},
    # The administration log (no child data): administrators and auditors.
    f"GET {API}/admin/events": {"none": answers(403, admin=200, auditor=200)},
    f"POST {API}/referral-rights": {"none": answers(403, admin=201)},
    f"GET {API}/referral-rights": {"none": answers(403, admin=200)},
    f"POST {API}/referral-rights/{{grant_id}}/end": {"none": answers(403, admin=404)},
    f"POST {API}/admin/users/{{user_id}}/reset-password": {"none": answers(403, admin=404)},
    # Referrals: referrers write them; lists answer everyone, showing only their cases (see below).
    f"POST {API}/referrals": {"none": answers(403, gp=201, ppt=201, nurse_bergen=201, nurse_askoy=201,
                                              barnevern_askoy=201)},
    f"GET {API}/referrals": {"handed_over": answers(200)},
    f"GET {R}": {"handed_over": READ_BY_THE_CASE_PARTIES},
    f"GET {R}/events": {"handed_over": READ_BY_THE_CASE_PARTIES},
    # The child's case, opened through a referral the reader may see (each entry then by its own rule).
    f"GET {R}/case": {"handed_over": READ_BY_THE_CASE_PARTIES},
    f"GET {R}/completeness": {"handed_over": READ_BY_THE_CASE_PARTIES},
    # The full identity number: the referring side and the clinic, not the municipality.
    f"POST {R}/national-id": {"handed_over": answers(404, gp=200, bup=200, coordinator_askoy=403,
                                                     lead_askoy=403)},
    # The referrer's own work on the referral (a draft is seen by the referring side only).
    f"PATCH {R}": {"draft": answers(404, gp=200), "handed_over": after_handover(gp=409, bup=403)},
    f"POST {R}/co-referrers": {"draft": answers(404, gp=200), "handed_over": after_handover(gp=409, bup=403)},
    # The referring side names the municipal contacts while the child is with BUP; not after the handover.
    f"PUT {R}/municipal-contacts": {"submitted": answers(404, gp=200, bup=403),
                                    "handed_over": after_handover(gp=409, bup=403)},
    f"POST {R}/submit": {"draft": answers(404, gp=200), "handed_over": after_handover(gp=409, bup=403)},
    f"POST {R}/supplement": {"information_requested": answers(404, gp=200, bup=403),
                             "handed_over": after_handover(gp=409, bup=403)},
    # Consent can be changed by the referring side at any time (withdrawn after a rejection, too).
    f"POST {R}/consent": {"submitted": answers(404, gp=200, bup=403),
                          "handed_over": after_handover(gp=200, bup=403)},
    f"POST {R}/request-information": clinic_action("submitted"),
    f"POST {R}/accept": clinic_action("submitted"),
    f"POST {R}/reject": clinic_action("submitted"),
    f"POST {R}/forward": clinic_action("submitted"),
    f"POST {R}/municipal-outcome": clinic_action("submitted"),
    f"POST {R}/start-treatment": clinic_action("accepted"),
    f"POST {R}/discharge": clinic_action("in_treatment"),
    # Only the clinic, only for a child discharged without an epikrise (a rejected one has none to record).
    f"POST {R}/record-epikrise": {"handed_over": after_handover(gp=403, bup=409)},
    f"POST {R}/plan-discharge": {"handed_over": after_handover(gp=403, bup=409)},
    # Only the clinic; the matrix's child is 14, too young for adult services (test_turning_18.py has the 18-year-old).
    f"POST {R}/transfer-to-dps": {"accepted": answers(404, gp=403, bup=409),
                                  "handed_over": after_handover(gp=403, bup=409)},
    # While BUP assesses, it rejects or forwards; it may not withdraw (README, "Using the API").
    f"POST {R}/withdraw": {"submitted": answers(404, gp=200, bup=403),
                           "handed_over": after_handover(gp=409, bup=409)},
    # Duplicates: the child's other open referrals are told to the referring side and the clinic only. Joining
    # (the referrer's own draft) and merging (the clinic) name an unknown other referral here: 404 once allowed.
    f"GET {R}/other-open-referrals": {"handed_over": answers(404, gp=200, bup=200, coordinator_askoy=403,
                                                             lead_askoy=403)},
    f"POST {R}/join": {"draft": answers(404), "handed_over": after_handover(gp=404, bup=403)},
    f"POST {R}/merge": {"submitted": answers(404, gp=403), "handed_over": after_handover(gp=403, bup=404)},
    # The family moves: the referring side and BUP record it; after the handover, Askøy (which holds the open
    # task) may too.
    f"POST {R}/move": {"submitted": answers(404, gp=200, bup=200),
                       "handed_over": answers(404, gp=200, bup=200, coordinator_askoy=200, lead_askoy=200)},
    # Handover tasks: seen by Askøy (addressed to it, with consent) and by the referral's parties.
    f"GET {API}/handovers": {"handed_over": answers(200)},
    f"GET {H}": {"handed_over": READ_BY_THE_CASE_PARTIES},
    f"POST {H}/acknowledge": {"handed_over": HANDOVER_WORK},
    f"POST {H}/assign": {"handover_acknowledged": HANDOVER_WORK},
    f"POST {H}/plan": {"handover_acknowledged": HANDOVER_WORK},
    f"POST {H}/close": {"handover_acknowledged": HANDOVER_WORK},
    # The check-in after the help ended: read like its task, recorded or called off by Askøy only.
    f"GET {API}/check-ins": {"check_in_planned": answers(200)},
    f"GET {C}": {"check_in_planned": READ_BY_THE_CASE_PARTIES},
    f"POST {C}/record": {"check_in_planned": HANDOVER_WORK},
    f"POST {C}/cancel": {"check_in_planned": HANDOVER_WORK},
    # Alerts are personal: Askøy's coordinator's alert about the new task is theirs alone.
    f"GET {API}/alerts": {"handed_over": answers(200)},
    f"POST {API}/alerts/{{alert_id}}/read": {"handed_over": answers(404, coordinator_askoy=200)},
    # The access log: the auditor only; the administrator reads no child data and no log of it.
    f"GET {API}/audit": {"none": answers(403, auditor=200)},
    f"GET {API}/audit/verify": {"none": answers(403, auditor=200)},
    # A child's history by number (innsyn): the auditor only; a number no child has answers 404.
    f"POST {API}/audit/insight": {"none": answers(403, auditor=404)},
}

#: Who is shown the case in each list.
SHOWN_IN_LISTS: dict[str, tuple[str, set[str]]] = {
    f"{API}/referrals": ("referral_id", {"gp", "bup", "coordinator_askoy", "lead_askoy"}),
    f"{API}/handovers": ("handover_id", {"gp", "bup", "coordinator_askoy", "lead_askoy"}),
}

NO_EXPECTATION = "no expectation written"


# --- scenarios ----------------------------------------------------------------------------------------------

@dataclass
class Case:
    referral_id: str = UNKNOWN_ID
    handover_id: str = UNKNOWN_ID
    alert_id: str = UNKNOWN_ID
    check_in_id: str = UNKNOWN_ID
    #: No demo user is ever deactivated here: the administrator's answer for an unknown user is 404.
    user_id: str = UNKNOWN_ID
    organisation_id: str = UNKNOWN_ID
    grant_id: str = UNKNOWN_ID


def handed_over(world, app) -> Case:
    """Rejected by BUP; the worker has created Askøy's handover task and alerted its coordinator."""
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"{API}/referrals/{referral['id']}").json["handover_id"]
    alerts = world.get("coordinator_askoy", f"{API}/alerts").json["items"]
    [alert_id] = [alert["id"] for alert in alerts if alert["handover_id"] == handover_id]
    return Case(referral["id"], handover_id, alert_id)


def handover_acknowledged(world, app) -> Case:
    case = handed_over(world, app)
    assert world.post("coordinator_askoy", f"{API}/handovers/{case.handover_id}/acknowledge").status_code == 200
    return case


def check_in_planned(world, app) -> Case:
    """Askøy closed the task because the municipal help ended: a check-in with the family is planned."""
    case = handover_acknowledged(world, app)
    closed = world.post("coordinator_askoy", f"{API}/handovers/{case.handover_id}/close",
                        json={"outcome": "Hjelpen er avsluttet.", "outcome_code": "help_ended"})
    assert closed.status_code == 200
    [check_in] = world.get("coordinator_askoy", f"{API}/check-ins?handover_id={case.handover_id}").json["items"]
    case.check_in_id = check_in["id"]
    return case


def referral_in(status: str) -> Callable[[Any, Any], Case]:
    """The GP's referral brought to `status` by the usual people (no handover yet)."""
    return lambda world, app: Case(world.referral_in(status)["id"])


SCENARIOS: dict[str, Callable[[Any, Any], Case]] = {
    "none": lambda world, app: Case(),
    **{status: referral_in(status)
       for status in ("draft", "submitted", "information_requested", "accepted", "in_treatment")},
    "handed_over": handed_over,
    "handover_acknowledged": handover_acknowledged,
    "check_in_planned": check_in_planned,
}


# --- requests -------------------------------------------------------------------------------------------------

def valid_body(world, operation: str) -> dict[str, Any] | None:
    """A body the operation accepts from a user who is allowed to use it."""
    today = dependencies(world.app).clock.today()
    action = operation.rsplit("/", 1)[1]
    bodies: dict[str, Any] = {
        f"POST {API}/organisations": {"kind": "gp_office", "name": f"Matriselegene {uuid.uuid4().hex[:8]}",
                                      "municipality_number": "4627"},
        f"POST {API}/users": {"email": f"matrise-{uuid.uuid4().hex}@test.example", "name": "Mona Matrise",
                              "password": "et-langt-passord-2026", "organisation_id": world.orgs["gp"].id,
                              "roles": ["referrer"]},
        f"POST {API}/referrals": world.referral_body(),
        f"PATCH {R}": {"urgency": "urgent"},
        f"POST {R}/co-referrers": {"organisation_id": world.orgs["school_askoy"].id},
        f"PUT {R}/municipal-contacts": {"municipal_contacts": [
            {"role": "Kontaktlærer", "name": "Tone Lærer", "organisation_id": None}]},
        f"POST {R}/join": {"other_referral_id": UNKNOWN_ID},
        f"POST {R}/merge": {"other_referral_id": UNKNOWN_ID},
        f"POST {R}/consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"],
                              "recorded_on": today.isoformat()},
        f"POST {API}/admin/users/{{user_id}}/deactivate": {"to_queue": True},
        f"PUT {API}/users/{{user_id}}/roles": {"roles": ["referrer"]},
        f"PUT {API}/users/{{user_id}}/contact": {"phone": "55 55 55 55", "reachable_hours": "hverdager"},
        f"PUT {API}/organisations/{{organisation_id}}/contact": {"phone": "55 55 55 55"},
        # One day ahead (within the dates' horizon) in a municipality outside the world, a different pair each
        # time: grants stay between tests and may not overlap.
        f"POST {API}/referral-rights": {"municipality_number": random.choice(OTHER_MUNICIPALITIES),
                                        "profession": "ppt_adviser",
                                        "valid_from": (ahead := (today + timedelta(days=1 + uuid.uuid4().int
                                                                                    % 700)).isoformat()),
                                        "valid_to": ahead},
        f"POST {API}/referral-rights/{{grant_id}}/end": {"valid_to": today.isoformat()},
        f"POST {API}/auth/password": {"current_password": "ikke-passordet", "new_password": "et-langt-passord-2026"},
        f"POST {C}/record": {"outcome": "Det går bra.", "outcome_code": "doing_well"},
        f"POST {C}/cancel": {"reason": "Barnet er henvist på nytt."},
        f"POST {R}/move": {"home_municipality": "4601"},
        f"POST {API}/audit/insight": {"national_id": world.national_id()},
    }
    if operation in bodies:
        return bodies[operation]
    if operation.startswith(f"POST {R}/"):
        return {
            "request-information": {"questions": "Hvor lenge har fraværet vart?"},
            "supplement": {"text": "Siden august."},
            "accept": {"care_start_due": (today + timedelta(days=30)).isoformat()},
            "reject": {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                       "municipal_advice": "Tilbud hos kommunepsykolog."},
            "forward": {"clinic_id": world.orgs["bup2"].id, "reason": "Bosted."},
            "municipal-outcome": {"assessment_conversation_on": today.isoformat(), "explanation": "Hjelp i kommunen.",
                                  "municipal_advice": "Samtaler med helsesykepleier."},
            "start-treatment": {"first_appointment_on": today.isoformat()},
            "discharge": {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.", "epikrise_sent": True},
            "withdraw": {"reason": "Familien flytter."},
            "plan-discharge": {"planned_discharge_on": (today + timedelta(days=30)).isoformat()},
            "transfer-to-dps": {"clinic_id": world.orgs["dps"].id, "reason": "Ungdommen fyller 18 år."},
        }.get(action)
    if operation.startswith(f"POST {H}/"):
        return {
            "assign": {"service": "Kommunepsykologen"},
            "plan": {"first_contact_on": (today + timedelta(days=3)).isoformat(), "plan": "Hjemmebesøk."},
            "close": {"outcome": "Følges opp av kommunepsykologen."},
        }.get(action)
    return None


def call(world, who: str, operation: str, case: Case, *, ids: Case | None = None):
    """Make the request as `who`; `ids` replaces the case's ids in the URL (e.g. with unknown ones)."""
    method, template = operation.split(" ", 1)
    path = template.format(**vars(ids or case))
    if operation == f"POST {API}/auth/revoke":
        # A login of its own: revoking the token the other cells use would spoil them.
        login = world.client.post(f"{API}/auth/token", json={"email": USERS[who], "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    else:
        headers = world.headers(who)
    kwargs: dict[str, Any] = {"headers": headers}
    body = valid_body(world, operation)
    if body is not None:
        kwargs["json"] = body
    return world.client.open(path, method=method, **kwargs)


def succeeds(status: int) -> bool:
    return 200 <= status < 300


ROWS = [pytest.param(operation, scenario, id=f"{operation} @ {scenario}")
        for operation in served_operations() if operation not in UNAUTHENTICATED
        for scenario in EXPECTED.get(operation, {NO_EXPECTATION: None})]


# --- the matrix -------------------------------------------------------------------------------------------------

def test_every_operation_in_the_served_document_has_an_expectation_and_no_other(app):
    document = app.test_client().get(f"{API}/openapi.json").json
    served = set(operations_of(document)) - UNAUTHENTICATED
    assert sorted(served - set(EXPECTED)) == [], "operations without an expected answer per user"
    assert sorted(set(EXPECTED) - served) == [], "expectations for operations the service no longer serves"


@pytest.mark.parametrize("operation, scenario", ROWS)
def test_each_user_gets_the_expected_answer(world, app, operation, scenario):
    assert scenario != NO_EXPECTATION, f"{operation} is served but the matrix has no expectation for it"
    row = EXPECTED[operation][scenario]
    shared = SCENARIOS[scenario](world, app)
    unknown = Case()
    wrong: list[str] = []
    first_success = True
    # Refusals first, on one shared case (they change nothing); each success then gets a case of its own.
    for who in sorted(USERS, key=lambda w: succeeds(row[w])):
        expected = row[who]
        case = shared
        if succeeds(expected) and not first_success:
            case = SCENARIOS[scenario](world, app)
        first_success = first_success and not succeeds(expected)
        world.headers(who)  # log in before counting rows: the login writes a token
        before = db_counts(world)
        response = call(world, who, operation, case)
        got = response.status_code
        if got != expected:
            title = (response.get_json(silent=True) or {}).get("detail", "")
            wrong.append(f"{who}: expected {expected}, got {got} {title}")
            continue
        if not succeeds(got):
            after = db_counts(world)
            # Issue 13: a denied attempt on a child's resource (404) is logged; nothing else may change.
            logged = {"access_log", "access_log_head"} if got == 404 else set()
            if {table for table in after if after[table] != before.get(table)} - logged:
                wrong.append(f"{who}: the refused request ({got}) changed the database")
            assert response.mimetype == "application/problem+json"
        if got == 404 and "{" in operation:
            # Not visible must look exactly like not there: same status, same words.
            hidden = response.get_json()
            missing = call(world, who, operation, case, ids=unknown)
            if (missing.status_code, missing.get_json()) != (404, hidden):
                wrong.append(f"{who}: the hidden resource answers {hidden}, an unknown id "
                             f"{missing.status_code} {missing.get_json()}")
    assert not wrong, f"{operation} @ {scenario}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("path", sorted(SHOWN_IN_LISTS))
def test_a_list_shows_the_case_only_to_the_organisations_that_take_part(world, app, path):
    case = handed_over(world, app)
    id_name, shown_to = SHOWN_IN_LISTS[path]
    wanted = getattr(case, id_name)
    seen_by = {who for who in USERS if wanted in {item["id"] for item in world.get(who, path).json["items"]}}
    assert seen_by == shown_to


def test_the_administrator_reads_no_child_data(world, app):
    case = handed_over(world, app)
    for path in (f"{API}/referrals/{case.referral_id}", f"{API}/referrals/{case.referral_id}/events",
                 f"{API}/handovers/{case.handover_id}"):
        assert world.get("admin", path).status_code == 404, path
    assert world.get("admin", f"{API}/referrals").json["items"] == []
    assert world.get("admin", f"{API}/handovers").json["items"] == []
    assert world.get("admin", f"{API}/audit").status_code == 403
