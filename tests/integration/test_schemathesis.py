"""Schemathesis against the OpenAPI document the service serves, in-process over WSGI, signed in.

For every operation in the served document, Hypothesis generates valid and invalid requests (a bounded
number per operation) and Schemathesis checks each answer: never a 5xx, only documented status codes
and content types, bodies that match the documented schema, invalid data refused, and no answer
without a valid bearer token. It runs as a referrer (gp) and as BUP intake (bup), and as a municipal
coordinator on the handover and alert operations, each with real ids of cases that user takes part in,
so that the successful answers are checked too, not only the 404s of random ids. Both backends.
The document declares every status each operation answers and has no catch-all `default` response
(api/openapi_docs.py), so `status_code_conformance` checks every answer against its operation's list, and
`response_headers_conformance` checks that the required `ETag` comes with every referral, task and check-in.

Hypothesis drives `APIOperation.as_strategy` directly rather than `schemathesis.pytest.from_fixture`:
the lazy-fixture loader of schemathesis 4.32.5 reads `request.node._nodeid`, which pytest 9.2 no longer
has. The examples are derandomized, so a run in CI sees the same requests every time.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from referral_service.demo import DEMO_PASSWORD
from tests.integration.test_authorization_matrix import operations_of, served_operations
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

#: Generated requests per operation and user; the whole file stays within a few minutes on both backends.
MAX_EXAMPLES = 12

SCHEMATHESIS_CONFIG = {
    "generation": {
        # Unknown query parameters are ignored, as HTTP APIs customarily do (webargs' EXCLUDE), so a
        # request with an extra parameter is not "invalid data" for this API. Every other mutation
        # (wrong types, missing required fields, out-of-range values, unknown body fields) stays on.
        "allow-extra-parameters": False,
    },
    "checks": {
        # Every built-in check is on; these are the ones this file is about.
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
        "negative_data_rejection": {"enabled": True},
        "ignored_auth": {"enabled": True},  # the same request without the token must answer 401
        "positive_data_acceptance": {
            # Tuned, not off. Schema-valid data this API must still refuse, for reasons an OpenAPI schema
            # cannot express: 422 for the mod-11 check digits of an identity number, ids that name no
            # organisation, dates that must lie after today, "either assignee_user_id or service"; 412
            # for a generated If-Match (it never names the current version). Besides those, only 2xx
            # and the access answers (401/403/404, 409 for the state) are acceptable; 400 or 413 for
            # valid data would still fail.
            "expected-statuses": ["2xx", 401, 403, 404, 409, 412, 422],
        },
    },
}

#: Who the run signs in as, and the operations it covers (None: all of them).
ROLES: dict[str, tuple[str, ...] | None] = {
    "gp": None,
    "bup": None,
    # The municipality's side of the loop: the only user whose handover actions can succeed.
    "coordinator_askoy": ("/api/v1/handovers", "/api/v1/alerts"),
}

RUNS = [pytest.param(who, operation, id=f"{who}-{operation}")
        for who, prefixes in ROLES.items()
        for operation in served_operations()
        if prefixes is None or operation.split(" ", 1)[1].startswith(prefixes)]


@pytest.fixture
def api_schema(app):
    config = schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


def real_ids(world, app, who: str) -> dict[str, str]:
    """Ids of things `who` takes part in: a referral in the state where their actions apply, a handover
    of a rejected referral, and one of their alerts."""
    own_referral = world.referral_in("submitted") if who == "bup" else world.create_referral("gp")
    handed_over = world.referral_in("rejected")
    InProcessWorker(app).run()
    referral = world.get(who, f"/api/v1/referrals/{handed_over['id']}").json
    alerts = world.get(who, "/api/v1/alerts").json["items"]
    ids = {"referral_id": own_referral["id"], "handover_id": referral["handover_id"]}
    if alerts:
        ids["alert_id"] = alerts[0]["id"]
    return ids


def fresh_token_headers(world, who: str) -> dict[str, str]:
    """A login of its own, for the one operation that ends the token it is called with."""
    response = world.client.post("/api/v1/auth/token", json={"email": USERS[who], "password": DEMO_PASSWORD})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_the_runs_cover_every_operation_of_the_served_document(app):
    served = set(operations_of(app.test_client().get("/api/v1/openapi.json").json))
    for who in ("gp", "bup"):
        assert {operation for run_as, operation in (p.values for p in RUNS) if run_as == who} == served


@pytest.mark.parametrize("who, operation", RUNS)
def test_the_api_answers_as_documented_and_never_fails(api_schema, world, app, who, operation):
    method, path = operation.split(" ", 1)
    api_operation = api_schema[path][method]
    ids = {name: value for name, value in real_ids(world, app, who).items()
           if "{" + name + "}" in path} if "{" in path else {}
    strategy = st.one_of(
        api_operation.as_strategy(GenerationMode.POSITIVE, path_parameters=ids),
        api_operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=ids),
        api_operation.as_strategy(GenerationMode.POSITIVE),  # random ids: the not-found answers
    )
    revokes_its_token = path.endswith("/auth/revoke")

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # real requests to a real database are "slow"
    def run(case: Any) -> None:
        headers = fresh_token_headers(world, who) if revokes_its_token else world.headers(who)
        case.call_and_validate(headers=headers)

    run()
