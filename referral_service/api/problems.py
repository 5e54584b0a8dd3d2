"""The one place errors become answers: RFC 9457 problem+json for the API, an OperationOutcome under /fhir."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, has_request_context, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from referral_service.errors import DomainError
from referral_service.fhir.outcome import operation_outcome

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://bup-henvisning.example/problems/"


def problem_response(*, status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    if has_request_context() and _is_fhir(request.path):
        return _outcome_response(status=status, detail=detail, errors=errors, headers=headers)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"child.national_id": [...]}; webargs' location level dropped."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{i}"))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def _validation_errors(exc: HTTPException) -> dict[str, list[str]] | None:
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not messages:
        return None
    # webargs nests by location: {"json": {...}, "query": {...}}; field names are what clients know.
    merged: dict[str, list[str]] = {}
    for location_messages in messages.values():
        merged.update(flatten_messages(location_messages))
    return merged


#: Paths answered in JSON; everything else is a page for people, rendered by the web's error pages.
MACHINE_PATHS = ("/api/", "/health", "/ready", "/fhir")
FHIR_PREFIX = "/fhir"


def _is_fhir(path: str) -> bool:
    return path == FHIR_PREFIX or path.startswith(FHIR_PREFIX + "/")


def _outcome_response(*, status: int, detail: str, errors: dict[str, list[str]] | None,
                      headers: dict[str, str] | None) -> Response:
    """The FHIR interface's error: an OperationOutcome, as `application/fhir+json`."""
    response = Response(json.dumps(operation_outcome(status=status, detail=detail, errors=errors)), status=status,
                        mimetype="application/fhir+json")
    response.headers["Content-Type"] = "application/fhir+json; charset=utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response

PageRenderer = Callable[[int, Exception], Response]
PAGE_RENDERER = "problem_page_renderer"


def _page_renderer() -> PageRenderer | None:
    """The web's page for errors outside the API, if this request is for a person and the web is installed."""
    if not has_request_context() or request.path.startswith(MACHINE_PATHS):
        return None
    renderer: PageRenderer | None = current_app.extensions.get(PAGE_RENDERER)
    return renderer


def handle_domain_error(exc: DomainError) -> Response:
    render_page = _page_renderer()
    if render_page is not None:
        return render_page(exc.status, exc)
    return problem_response(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors,
                            headers=exc.headers)


def handle_http_exception(exc: HTTPException) -> Response:
    render_page = _page_renderer()
    if render_page is not None:
        return render_page(exc.code or 500, exc)
    errors = _validation_errors(exc)
    status = exc.code or 500
    detail = "The request body or parameters are not valid." if errors else (exc.description or exc.name)
    if status == 413:
        detail = "The request body is too large."
    # Keep headers such as Allow on 405, but never the exception's own HTML content type.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem_response(status=status, title=exc.name, detail=detail, errors=errors, headers=headers)


def handle_unexpected(exc: Exception) -> Response:
    # The message of an unexpected error may hold data; log its type and trace only.
    log.error("unhandled error %s", type(exc).__name__, exc_info=exc)
    return handle_http_exception(InternalServerError())


def register_problem_handlers(app: Flask, *, render_page: PageRenderer | None = None) -> None:
    """problem+json for the API; `render_page` answers everything else (the web's Norwegian pages)."""
    if render_page is not None:
        app.extensions[PAGE_RENDERER] = render_page
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
