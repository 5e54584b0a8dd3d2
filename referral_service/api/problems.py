"""The one place errors become RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
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


def handle_domain_error(exc: DomainError) -> Response:
    return problem_response(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors,
                            headers=exc.headers)


def handle_http_exception(exc: HTTPException) -> Response:
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
