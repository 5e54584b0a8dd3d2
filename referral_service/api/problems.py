"""The one place errors become RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, has_request_context, json, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from referral_service.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://bup-henvisning.example/problems/"


def problem_response(*, status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
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


#: Paths answered in JSON; everything else is a page for people, in Norwegian.
MACHINE_PATHS = ("/api/", "/health", "/ready")

PAGE_TITLES = {400: "Noe gikk galt", 403: "Du har ikke tilgang", 404: "Fant ikke siden", 405: "Noe gikk galt",
               409: "Saken er endret", 413: "For mye tekst", 422: "Noe gikk galt", 429: "For mange forsøk",
               500: "Noe gikk galt hos oss"}
PAGE_MESSAGES = {403: "Du har ikke tilgang til dette.",
                 404: "Siden finnes ikke, eller du har ikke tilgang til den.",
                 409: "Noen andre har endret saken samtidig. Last siden på nytt.",
                 413: "Det du sendte var for stort. Kort ned teksten og prøv igjen.",
                 500: "Det oppstod en feil. Prøv igjen om litt."}


def wants_page() -> bool:
    return has_request_context() and not request.path.startswith(MACHINE_PATHS)


def page_response(status: int, message: str | None = None) -> Response:
    body = render_template("error.html", title=PAGE_TITLES.get(status, "Noe gikk galt"),
                           message=message or PAGE_MESSAGES.get(status, "Noe gikk galt. Prøv igjen."))
    return Response(body, status=status, mimetype="text/html")


def handle_domain_error(exc: DomainError) -> Response:
    if wants_page():
        return page_response(exc.status)
    return problem_response(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors,
                            headers=exc.headers)


def handle_http_exception(exc: HTTPException) -> Response:
    if wants_page():
        # Our own Norwegian descriptions (e.g. the CSRF refusal) are shown; Werkzeug's English ones are not.
        own = exc.description if exc.code == 400 and exc.description and "Skjema" in exc.description else None
        return page_response(exc.code or 500, own)
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


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
