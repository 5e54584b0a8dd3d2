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
