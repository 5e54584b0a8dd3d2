"""What the OpenAPI document says about every operation, derived in one place from what the operation is.

Each view declares what only it knows: its body and response schemas, its docstring, and the refusals that are
rules of the domain (403 for a role, 409 for a state, 429 for a rate). Everything that follows from the kind of
operation is added here, for all of them alike: its operationId (from the view's name), a summary and a
description, 401 when it needs a token, 404 when a path names a record, 400/413/415 when it takes a body, 412 and
409 when it takes If-Match, 422 for every operation (the input guard checks every query string and body), and
the `ETag`, `Link` and `Retry-After` headers the API sends.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}

#: What each refusal means in this API (API.md: errors).
DESCRIPTIONS = {
    400: "Malformed request (a body that is not JSON)",
    401: "Not authenticated: no valid bearer token",
    403: "Not allowed for your role or organisation",
    404: "Not found, or not visible to you",
    409: "Wrong state for the action, or a concurrent change won",
    412: "If-Match is stale: the record changed since you read it",
    413: "Request body too large",
    415: "The body is not JSON (send Content-Type: application/json)",
    422: "Invalid data",
    429: "Too many attempts; try again after Retry-After seconds",
}

#: Representations that carry a version: every answer with one of them has an `ETag` (API.md: concurrency).
VERSIONED_SCHEMAS = frozenset({"ReferralOut", "HandoverOut", "CheckInOut"})

WRITING_METHODS = frozenset({"post", "put", "patch"})

ETAG_HEADER = {"description": "The version of the record, for If-Match on the next change.", "required": True,
               "schema": {"type": "string"}}
LINK_HEADER = {"description": 'RFC 8288: `<…?cursor=…>; rel="next"` when rows follow this page.',
               "schema": {"type": "string"}}
RETRY_AFTER_HEADER = {"description": "Seconds to wait before the next attempt.", "schema": {"type": "integer"}}


def problem_response(status: int) -> dict[str, Any]:
    """The documented problem+json answer for `status`."""
    return {"description": DESCRIPTIONS[status], "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_SCHEMA}}}


def operation_id(endpoint: str) -> str:
    """`create_referral` -> `createReferral`: stable, from the view's name."""
    first, *rest = endpoint.split(".")[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


def _header_parameters(operation: dict[str, Any]) -> set[str]:
    return {p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"}


def _query_parameters(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}


def derived_statuses(*, path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The refusals an operation can answer because of what kind of operation it is."""
    statuses = {422}  # the input guard checks every query string and body; schemas check the rest
    if operation.get("security") != []:
        statuses.add(401)
    if "{" in path:
        statuses.add(404)
    if method in WRITING_METHODS:
        statuses |= {400, 413, 415}
    if "if-match" in _header_parameters(operation):
        statuses |= {409, 412}  # stale If-Match; without one, the loser of a race gets 409
    return statuses


def _schema_name(response: dict[str, Any]) -> str | None:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _summary_and_description(operation: dict[str, Any]) -> None:
    """The docstring's first paragraph is the summary, the rest the description (flask-smorest splits them);
    a docstring of one paragraph is the description too, and its first sentence the summary."""
    summary = " ".join(operation.get("summary", "").split())
    if not operation.get("description"):
        operation["description"] = summary
        summary = summary.split(". ", 1)[0]
    operation["summary"] = summary.rstrip(".")


def document_operation(*, path: str, method: str, endpoint: str, operation: dict[str, Any]) -> None:
    """Complete one operation of the document in place."""
    operation["operationId"] = operation.get("operationId") or operation_id(endpoint)
    _summary_and_description(operation)
    responses = {str(code): response for code, response in operation.get("responses", {}).items()}
    operation["responses"] = responses
    responses.pop("default", None)
    for status in derived_statuses(path=path, method=method, operation=operation) | {
            int(code) for code in responses if code.isdigit() and int(code) in DESCRIPTIONS}:
        responses[str(status)] = problem_response(status)
    for code, response in responses.items():
        if code.startswith("2") and _schema_name(response) in VERSIONED_SCHEMAS:
            response.setdefault("headers", {})["ETag"] = ETAG_HEADER
        if code == "200" and "cursor" in _query_parameters(operation):
            response.setdefault("headers", {})["Link"] = LINK_HEADER
    if "429" in responses:
        responses["429"]["headers"] = {"Retry-After": RETRY_AFTER_HEADER}


class OperationDocsPlugin(BasePlugin):
    """Runs `document_operation` on every operation as flask-smorest adds it to the document."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if not path or not operations or rule is None:
            return
        for method, operation in operations.items():
            endpoint = rule.endpoint if len(operations) == 1 else f"{method}_{rule.endpoint}"
            document_operation(path=path, method=method, endpoint=endpoint, operation=operation)
