"""Operations endpoints and the API's own documentation: /health, /ready, the OpenAPI document and
the Swagger UI, served without any outside network."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

#: Every path API.md names, with its methods ({id} stands for any path parameter).
API_MD_PATHS = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/organisations": {"post", "get"},
    "/api/v1/users": {"post"},
    "/api/v1/referrals": {"post", "get"},
    "/api/v1/referrals/{id}": {"get"},
    "/api/v1/referrals/{id}/events": {"get"},
    "/api/v1/referrals/{id}/completeness": {"get"},
    **{f"/api/v1/referrals/{{id}}/{action}": {"post"} for action in (
        "submit", "request-information", "supplement", "accept", "reject", "forward", "start-treatment",
        "discharge", "withdraw")},
    "/api/v1/handovers": {"get"},
    "/api/v1/handovers/{id}": {"get"},
    **{f"/api/v1/handovers/{{id}}/{action}": {"post"} for action in ("acknowledge", "assign", "plan", "close")},
    "/api/v1/alerts": {"get"},
    "/api/v1/alerts/{id}/read": {"post"},
    "/api/v1/audit": {"get"},
    "/api/v1/audit/verify": {"get"},
}


def normalised(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


@pytest.fixture
def spec(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_health_answers_ok(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_ready_answers_200_when_the_database_answers(app):
    response = app.test_client().get("/ready")
    assert response.status_code == 200


def test_the_openapi_document_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


@pytest.mark.parametrize("path", sorted(API_MD_PATHS))
def test_the_openapi_document_documents_every_path_of_the_contract(spec, path):
    documented = {normalised(p): {m for m in ops if m in {"get", "post", "patch", "put", "delete"}}
                  for p, ops in spec["paths"].items()}
    assert path in documented, f"{path} is in API.md but not in the OpenAPI document"
    assert API_MD_PATHS[path] <= documented[path]


def test_the_openapi_document_declares_bearer_authentication(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert spec["paths"]["/api/v1/auth/token"]["post"].get("security") == []


def test_the_openapi_document_shows_problem_json_for_refusals(spec):
    submit = spec["paths"]["/api/v1/referrals/{referral_id}/submit"]["post"]["responses"]
    for status in ("403", "404", "409", "412", "422"):
        assert "application/problem+json" in submit[status]["content"], status


def test_the_docs_page_loads_only_local_assets(app):
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.get_data(as_text=True)
    assets = re.findall(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", html)
    assert assets, "the docs page references no scripts or styles"
    assert all(url.startswith("/api/docs-assets/") for url in assets), assets
    assert not re.search(r"https?://", html.replace("http://www.w3.org", "")), "the docs page names an outside host"
    for url in assets:
        assert client.get(url).status_code == 200, url


# --- Issue 15: a document a client can generate code from, and that tells every answer ------------------------

WRITING = {"post", "put", "patch"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def header_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_every_operation_has_a_unique_camel_case_operation_id_a_summary_and_a_description(spec):
    ids = [operation.get("operationId") for _path, _method, operation in operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), ids
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", operation_id) for operation_id in ids), ids
    for path, method, operation in operations(spec):
        assert operation.get("summary") and operation.get("description"), (method, path)
    assert {"createReferral", "rejectReferral", "acknowledgeHandover", "listReferrals", "getReferral"} <= set(ids)


def test_the_document_names_its_server_contact_and_licence(spec):
    assert spec["servers"] == [{"url": "/", "description": spec["servers"][0]["description"]}]
    assert spec["info"]["contact"]["name"] and spec["info"]["contact"]["url"].startswith("https://")
    assert spec["info"]["license"]["name"] and spec["info"]["license"]["url"].startswith("https://")


def test_the_contact_and_licence_are_the_operators_settings(tmp_path):
    from config import load_config
    from referral_service import create_app

    app = create_app(load_config("test", DATABASE_URL=f"sqlite:///{tmp_path / 'doc.sqlite'}", DATA_DIR=str(tmp_path),
                                 API_CONTACT_EMAIL="drift@helse-vest.example", API_LICENSE_NAME="Intern bruk"))
    info = app.test_client().get("/api/v1/openapi.json").json["info"]
    assert info["contact"]["email"] == "drift@helse-vest.example"
    assert info["license"]["name"] == "Intern bruk"


def test_every_refusal_an_operation_can_answer_is_declared_as_problem_json_and_nothing_is_left_to_default(spec):
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        expected = {"422"}
        expected |= {"401"} if operation.get("security") != [] else set()
        expected |= {"404"} if "{" in path else set()
        expected |= {"400", "413", "415"} if method in WRITING else set()
        expected |= {"409", "412"} if "If-Match" in header_names(operation) else set()
        assert expected <= set(responses), (method, path, sorted(expected - set(responses)))
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (method, path)


@pytest.mark.parametrize("path, statuses", [
    ("/api/v1/referrals/{referral_id}/reject", {"403", "409"}),
    ("/api/v1/handovers/{handover_id}/close", {"403", "409"}),
    ("/api/v1/auth/token", {"401", "429"}),
])
def test_the_refusals_of_the_domain_are_declared(spec, path, statuses):
    assert statuses <= set(spec["paths"][path]["post"]["responses"])


def test_every_state_changing_action_on_a_referral_or_handover_takes_if_match(spec):
    actions = [(path, operation) for path, method, operation in operations(spec)
               if method in WRITING and re.fullmatch(r"/api/v1/(referrals|handovers)/\{\w+\}/[a-z-]+", path)
               and not path.endswith(("/national-id",))]
    assert len(actions) > 15
    for path, operation in actions:
        assert "If-Match" in header_names(operation), path


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/v1/referrals/{referral_id}", "200"),
    ("post", "/api/v1/referrals", "201"),
    ("post", "/api/v1/referrals/{referral_id}/accept", "200"),
    ("patch", "/api/v1/referrals/{referral_id}", "200"),
    ("get", "/api/v1/handovers/{handover_id}", "200"),
    ("post", "/api/v1/handovers/{handover_id}/plan", "200"),
    ("get", "/api/v1/check-ins/{check_in_id}", "200"),
])
def test_single_resources_declare_their_etag(spec, method, path, status):
    headers = spec["paths"][path][method]["responses"][status]["headers"]
    assert headers["ETag"]["required"] is True


@pytest.mark.parametrize("path", ["/api/v1/referrals", "/api/v1/handovers", "/api/v1/alerts"])
def test_lists_paged_by_cursor_declare_their_link_header(spec, path):
    assert "Link" in spec["paths"][path]["get"]["responses"]["200"]["headers"]


def test_creating_a_referral_declares_its_idempotency_key_and_signing_in_its_retry_after(spec):
    assert "Idempotency-Key" in header_names(spec["paths"]["/api/v1/referrals"]["post"])
    assert "Retry-After" in spec["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]["headers"]


def test_the_headers_the_document_declares_are_the_ones_the_api_sends(world):
    created = world.post("gp", "/api/v1/referrals", json=world.referral_body())
    read = world.get("gp", f"/api/v1/referrals/{created.json['id']}")
    world.create_referral("gp")
    listed = world.get("gp", "/api/v1/referrals?per_page=1")

    assert created.headers["ETag"] == read.headers["ETag"]
    assert 'rel="next"' in listed.headers["Link"]
