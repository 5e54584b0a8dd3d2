"""Must-show 5 of issue 16: need-to-know on /fhir, from the same matrix as /api/v1 (test_authorization_matrix).

Each FHIR read mirrors an /api/v1 operation, and its expected answer per demo user is that operation's row of the
/api/v1 matrix (EXPECTED), not written again: the ServiceRequest, the referral Task, the Consent, the Patient and the
Communications are the referral read (`GET /api/v1/referrals/{referral_id}`), the Provenances its history, the
handover Task the handover read. The rows are generated from the registry of served FHIR types
(`services/fhir/registry.READERS`), so a new FHIR type without an expectation fails the suite, as a new /api/v1
operation does there.

A user who may not see the resource (another clinic, another municipality, the administrator, ...) gets 404 with the
same body as an unknown id, and nothing but the access log changes; the parties get 200 and the resource validates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import referral_service.api.fhir  # noqa: F401  (registers the served FHIR types, as create_app does)
from referral_service.fhir.codes import CANON, code_system
from referral_service.services.fhir.registry import READERS, SEARCH_PARAMETERS
from tests.integration.test_api_errors import UNKNOWN_ID, db_counts
from tests.integration.test_authorization_matrix import EXPECTED, SHOWN_IN_LISTS, Case, answers
from tests.support.fhir import FHIR_JSON, validated
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

API = "/api/v1"
R = f"{API}/referrals/{{referral_id}}"
H = f"{API}/handovers/{{handover_id}}"
#: The scenario every /fhir read is tried in: rejected by BUP and handed over to Askøy (the /api/v1 matrix's).
SCENARIO = "handed_over"


@dataclass(frozen=True)
class Read:
    """One /fhir read (`path`, with the case's ids) and the /api/v1 operation whose matrix row it follows."""

    path: str
    mirrors: str


#: Not an /api/v1 operation: a Subscription is read by the users of the organisation that made it, 404 to everyone
#: else (test_fhir_subscriptions has the rest of its rules). In the case, BUP Bergen sentrum's intake made it.
SUBSCRIBERS_OWN = "the subscribing organisation's users"
SUBSCRIBER = "bup"
OWN_ROWS = {SUBSCRIBERS_OWN: {"none": answers(404, bup=200)}}

#: FHIR resource type -> its reads in the case.
FHIR_READS: dict[str, tuple[Read, ...]] = {
    "ServiceRequest": (Read("ServiceRequest/{referral_id}", f"GET {R}"),),
    "Task": (Read("Task/{referral_id}", f"GET {R}"), Read("Task/{handover_id}", f"GET {H}")),
    "Patient": (Read("Patient/{child_id}", f"GET {R}"),),
    "Consent": (Read("Consent/{referral_id}", f"GET {R}"),),
    # BUP's question and the referrer's answer, each a Communication (FHIR.md §8), read with the referral.
    "Communication": (Read("Communication/{question_id}", f"GET {R}"), Read("Communication/{answer_id}", f"GET {R}")),
    # The history: a referral event with the referral's events, a handover step with the handover.
    "Provenance": (Read("Provenance/{event_id}", f"GET {R}/events"),
                   Read("Provenance/handover-{handover_event_id}", f"GET {H}")),
    # Directory data: as every user may list the organisations.
    "Organization": (Read("Organization/{organisation_id}", f"GET {API}/organisations"),),
    "PractitionerRole": (Read("PractitionerRole/{practitioner_role_id}", f"GET {API}/organisations"),),
    "Practitioner": (Read("Practitioner/{practitioner_id}", f"GET {API}/organisations"),),
    # An organisation's own subscription: FHIR's alone, no /api/v1 operation to follow (below).
    "Subscription": (Read("Subscription/{subscription_id}", SUBSCRIBERS_OWN),),
}

@dataclass(frozen=True)
class Search:
    """One /fhir search (`path`), the resource it must find for those who take part (`finds`), and the /api/v1 list
    whose "shown to" it follows."""

    path: str
    finds: str
    mirrors: str


REFERRALS, HANDOVERS = f"{API}/referrals", f"{API}/handovers"
#: FHIR resource type -> searches that find the case.
FHIR_SEARCHES: dict[str, tuple[Search, ...]] = {
    "ServiceRequest": (
        Search("ServiceRequest?_id={referral_id}&_include=ServiceRequest:subject", "ServiceRequest/{referral_id}",
               REFERRALS),
        Search("ServiceRequest?patient=Patient/{child_id}&_revinclude=Task:focus", "ServiceRequest/{referral_id}",
               REFERRALS)),
    "Task": (Search("Task?focus=ServiceRequest/{referral_id}&_include=Task:focus", "Task/{referral_id}", REFERRALS),
             Search("Task?_id={handover_id}&_include=Task:patient", "Task/{handover_id}", HANDOVERS)),
    "Consent": (Search("Consent?patient=Patient/{child_id}&_include=Consent:patient", "Consent/{referral_id}",
                       REFERRALS),),
    "Patient": (Search("Patient?_id={child_id}", "Patient/{child_id}", REFERRALS),),
    "Communication": (Search("Communication?based-on=ServiceRequest/{referral_id}", "Communication/{question_id}",
                             REFERRALS),),
    "Provenance": (Search("Provenance?target=ServiceRequest/{referral_id}", "Provenance/{event_id}", REFERRALS),
                   Search("Provenance?patient=Patient/{child_id}", "Provenance/{event_id}", REFERRALS)),
}


@dataclass
class FhirCase(Case):
    """The /api/v1 matrix's case, with the ids only /fhir names."""

    child_id: str = UNKNOWN_ID
    event_id: str = UNKNOWN_ID
    handover_event_id: str = UNKNOWN_ID
    question_id: str = UNKNOWN_ID
    answer_id: str = UNKNOWN_ID
    subscription_id: str = UNKNOWN_ID
    practitioner_role_id: str = UNKNOWN_ID
    practitioner_id: str = UNKNOWN_ID


def fhir(world, who: str, path: str):
    return world.client.get(f"/fhir/{path}", headers=world.headers(who))


def questioned_and_handed_over(world, app) -> FhirCase:
    """BUP asked for more, the GP answered, BUP rejected; the worker has made Askøy's handover task. The /api/v1
    matrix's `handed_over` case, with a question and an answer (the Communications) on the way."""
    referral = world.referral_in("information_requested")
    world.act("gp", referral["id"], "supplement", {"text": "Siden august."})
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need",
                                                "explanation": "Ikke behov for spesialist.",
                                                "municipal_advice": "Tilbud hos kommunepsykolog."})
    InProcessWorker(app).run()
    read = world.get("gp", f"{API}/referrals/{referral['id']}").json
    case = FhirCase(referral_id=read["id"], handover_id=read["handover_id"], child_id=read["child"]["id"],
                    organisation_id=world.orgs["bup"].id)
    events = world.get("gp", f"{API}/referrals/{case.referral_id}/events").json["items"]
    case.event_id = next(e["id"] for e in events if e["action"] == "reject")
    # Communications are the question's and the answer's events (FHIR.md §8).
    case.question_id = next(e["id"] for e in events if e["action"] == "request-information")
    case.answer_id = next(e["id"] for e in events if e["action"] == "supplement")
    case.handover_event_id = world.get("gp", f"{API}/handovers/{case.handover_id}").json["events"][0]["id"]
    case.subscription_id = subscribe(world, SUBSCRIBER)
    request = fhir(world, "gp", f"ServiceRequest/{case.referral_id}").get_json()
    case.practitioner_role_id = request["requester"]["reference"].removeprefix("PractitionerRole/")
    role = fhir(world, "gp", f"PractitionerRole/{case.practitioner_role_id}").get_json()
    case.practitioner_id = role["practitioner"]["reference"].removeprefix("Practitioner/")
    return case


def subscribe(world, who: str) -> str:
    """A rest-hook subscription to Task changes by `who`'s organisation (nothing is delivered in these tests)."""
    backport = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
    response = world.client.post("/fhir/Subscription", headers=world.headers(who), json={
        "resourceType": "Subscription", "status": "requested", "reason": "Henvisninger",
        "criteria": f"{CANON}/SubscriptionTopic/task-changed",
        "channel": {"type": "rest-hook", "endpoint": "http://127.0.0.1:9/hook", "payload": FHIR_JSON,
                    "_payload": {"extension": [{"url": f"{backport}/backport-payload-content",
                                                "valueCode": "id-only"}]}}})
    assert response.status_code == 201, response.get_data(as_text=True)
    return validated(response.get_json(), "Subscription")["id"]


def expected_row(read: Read) -> dict[str, int]:
    """The /api/v1 matrix's answers for the operation `read` mirrors, in the handed-over case (or its only one)."""
    rows = {**EXPECTED, **OWN_ROWS}[read.mirrors]
    return rows[SCENARIO] if SCENARIO in rows else rows["none"]


READ_ROWS = [pytest.param(resource_type, index, id=read.path)
             for resource_type in sorted(READERS)
             for index, read in enumerate(FHIR_READS.get(resource_type, (Read(f"{resource_type}/?", "?"),)))]
SEARCH_ROWS = [pytest.param(read, id=read.path) for resource_type in sorted(SEARCH_PARAMETERS)
               for read in FHIR_SEARCHES.get(resource_type, ())]


def test_every_served_fhir_type_has_an_expectation_and_no_other():
    assert sorted(set(READERS) - set(FHIR_READS)) == [], "FHIR types served without an expected answer per user"
    assert sorted(set(FHIR_READS) - set(READERS)) == [], "expectations for FHIR types the service does not serve"
    for reads in FHIR_READS.values():
        for read in reads:
            assert read.mirrors in {**EXPECTED, **OWN_ROWS}, f"{read.path} follows {read.mirrors}: no such row"


@pytest.mark.parametrize("resource_type, index", READ_ROWS)
def test_each_user_gets_the_answer_of_the_api_operation_the_read_mirrors(world, app, resource_type, index):
    assert resource_type in FHIR_READS, f"{resource_type} is served but the matrix has no expectation for it"
    read = FHIR_READS[resource_type][index]
    row = expected_row(read)
    case = questioned_and_handed_over(world, app)
    path = read.path.format(**vars(case))
    wanted_id = path.split("/")[1]
    wrong: list[str] = []
    for who in USERS:
        world.headers(who)  # log in before counting rows: the login writes a token
        before = db_counts(world)
        response = fhir(world, who, path)
        got, expected = response.status_code, row[who]
        if got != expected:
            wrong.append(f"{who}: expected {expected}, got {got} {response.get_data(as_text=True)[:200]}")
            continue
        assert response.mimetype == FHIR_JSON
        if got == 200:
            resource = validated(response.get_json(), resource_type)
            assert resource["id"] == wanted_id
            continue
        changed = {table for table, n in db_counts(world).items() if n != before.get(table)}
        if changed - {"access_log", "access_log_head"}:
            wrong.append(f"{who}: the refused read changed {sorted(changed)}")
        hidden = validated(response.get_json(), "OperationOutcome")
        missing = fhir(world, who, read.path.format(**vars(FhirCase())))
        if (missing.status_code, missing.get_json()) != (404, hidden):
            wrong.append(f"{who}: the hidden resource answers {hidden}, an unknown id "
                         f"{missing.status_code} {missing.get_json()}")
    assert not wrong, f"{path} (as {read.mirrors}):\n  " + "\n  ".join(wrong)


def test_every_searchable_fhir_type_has_a_search_expectation():
    assert sorted(set(SEARCH_PARAMETERS) - set(FHIR_SEARCHES)) == [], "FHIR types searched without an expectation"


@pytest.mark.parametrize("search", SEARCH_ROWS)
def test_a_search_finds_the_case_only_for_the_organisations_that_take_part(world, app, search):
    case = questioned_and_handed_over(world, app)
    path = search.path.format(**vars(case))
    wanted = search.finds.format(**vars(case))
    _id_name, shown_to = SHOWN_IN_LISTS[search.mirrors]
    found_by: set[str] = set()
    for who in USERS:
        response = fhir(world, who, path)
        assert response.status_code == 200, (who, response.get_data(as_text=True)[:300])
        bundle = validated(response.get_json(), "Bundle")
        assert bundle["type"] == "searchset"
        found = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])
                 if e.get("search", {}).get("mode", "match") == "match"}
        if wanted in found:
            found_by.add(who)
        else:  # nothing at all: no match, nothing included, not counted
            assert bundle.get("entry", []) == [] and bundle.get("total", 0) == 0, (who, bundle.get("entry"))
    assert found_by == shown_to


def test_a_case_nobody_may_see_is_no_different_from_none(world, app):
    """The administrator and the auditor read no child data on /fhir either (as test_the_administrator_...)."""
    case = questioned_and_handed_over(world, app)
    for path in (f"ServiceRequest/{case.referral_id}", f"Task/{case.referral_id}", f"Task/{case.handover_id}",
                 f"Patient/{case.child_id}", f"Consent/{case.referral_id}"):
        for who in ("admin", "auditor", "bup2"):
            assert fhir(world, who, path).status_code == 404, (who, path)



# --- writes -------------------------------------------------------------------------------------------------------

def rejected(task: dict, task_id: str) -> dict:
    """The referral Task as BUP's system sends it back to reject (the write part's shape, FHIR.md §5)."""
    return {**task, "id": task_id, "status": "rejected",
            "businessStatus": {"coding": [{"system": code_system("referral-status"), "code": "rejected"}]},
            "statusReason": {"coding": [{"system": code_system("rejection-reason"), "code": "not_specialist_need"}],
                             "text": "Ikke behov for spesialist."},
            "output": [*task.get("output", []), {
                "type": {"coding": [{"system": code_system("task-data"), "code": "municipal-advice"}]},
                "valueString": "Tilbud hos kommunepsykolog."}]}


def test_a_task_update_is_answered_as_the_api_action_it_takes(world, app):
    """PUT /fhir/Task/{referral_id} asking for `rejected` is `POST /api/v1/referrals/{id}/reject`: the same row of
    the /api/v1 matrix, refusals change nothing but the access log, and a hidden Task is an unknown one."""
    row = EXPECTED[f"POST {R}/reject"]["submitted"]
    referral_id = world.referral_in("submitted")["id"]
    task = rejected(fhir(world, "bup", f"Task/{referral_id}").get_json(), referral_id)
    wrong: list[str] = []
    for who in sorted(USERS, key=lambda w: row[w] == 200):  # the one success last: it changes the case
        world.headers(who)
        before = db_counts(world)
        response = world.client.put(f"/fhir/Task/{referral_id}", json=task, headers=world.headers(who))
        if response.status_code != row[who]:
            wrong.append(f"{who}: expected {row[who]}, got {response.status_code} "
                         f"{response.get_data(as_text=True)[:200]}")
            continue
        if response.status_code == 200:
            assert validated(response.get_json(), "Task")["status"] == "rejected"
            continue
        validated(response.get_json(), "OperationOutcome")
        changed = {table for table, n in db_counts(world).items() if n != before.get(table)}
        if changed - {"access_log", "access_log_head"}:
            wrong.append(f"{who}: the refused update changed {sorted(changed)}")
        if response.status_code == 404:
            missing = world.client.put(f"/fhir/Task/{UNKNOWN_ID}", json={**task, "id": UNKNOWN_ID},
                                       headers=world.headers(who))
            if (missing.status_code, missing.get_json()) != (404, response.get_json()):
                wrong.append(f"{who}: the hidden Task answers {response.get_json()}, an unknown one "
                             f"{missing.status_code} {missing.get_json()}")
    assert not wrong, "PUT /fhir/Task/{referral_id} (as reject):\n  " + "\n  ".join(wrong)
    assert world.get("gp", f"{API}/referrals/{referral_id}").json["status"] == "rejected"
