"""The API reads JSON bodies only: any other body is refused with 415 before a view runs, so nothing changes."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import UnsupportedMediaType

#: Where the JSON API lives; the web's forms and the documents' pages are elsewhere.
API_PREFIX = "/api/v1/"


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def refuse_bodies_that_are_not_json(app: Flask) -> None:
    """415 for a body that is not `application/json` (or `application/*+json`), charset or not.

    Without this, webargs reads a form-encoded or text body as no body at all and answers 422 for the fields
    it then misses, which tells the client the wrong thing. Requests without a body (GET, DELETE, a POST
    that takes none) pass.
    """

    @app.before_request
    def _refuse_other_media_types() -> None:
        if request.path.startswith(API_PREFIX) and _has_body() and not request.is_json:
            raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")
