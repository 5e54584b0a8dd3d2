"""HTTP for FHIR: the blueprint, content negotiation (JSON only) and the answer's media type and ETag."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, json, request
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

from referral_service.api.context import current_actor, db_session, deps, unit_of_work
from referral_service.services.fhir.registry import FhirRequest

PREFIX = "/fhir"
FHIR_JSON = "application/fhir+json"
#: What a client may ask for with Accept or _format; anything else that names no JSON is 406.
JSON_FORMATS = frozenset({FHIR_JSON, "application/json", "json", "application/json+fhir", "*/*", "application/*"})
#: The media types a body may be sent as: FHIR JSON (and its R3 spelling) or plain JSON. Other `+json` types
#: (`application/json-patch+json`, `application/merge-patch+json`) are not taken, so they are 415, not a 422 later.
BODY_TYPES = frozenset({FHIR_JSON, "application/json", "application/json+fhir"})

blp = Blueprint("fhir", __name__, url_prefix=PREFIX)


def _wants_only_other_formats() -> bool:
    wanted = request.args.get("_format")
    if wanted is not None:
        return wanted.split(";")[0].strip() not in JSON_FORMATS
    accepted = [value.split(";")[0].strip() for value, _quality in request.accept_mimetypes]
    return bool(accepted) and not any(a in JSON_FORMATS or a.endswith("+json") for a in accepted)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def install_fhir_media_types(app: Flask) -> None:
    """406 for a client that takes only XML (or another format), 415 for a body that is not JSON; before any view
    runs, so nothing changes."""

    @app.before_request
    def _negotiate() -> None:
        if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
            return
        if _wants_only_other_formats():
            raise NotAcceptable("This server answers FHIR JSON only (application/fhir+json).")
        if _has_body() and request.mimetype not in BODY_TYPES:
            raise UnsupportedMediaType("Send the body as FHIR JSON, with Content-Type: application/fhir+json.")


def fhir_json(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The answer: the resource as `application/fhir+json`, with `ETag: W/"<versionId>"` when it has a version."""
    response = Response(json.dumps(resource), status=status, mimetype=FHIR_JSON)
    response.headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
    version = (resource.get("meta") or {}).get("versionId")
    if version is not None:
        response.headers["ETag"] = f'W/"{version}"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def base_url() -> str:
    """The interface's address as the client reached it (behind the proxy, as forwarded)."""
    return request.host_url.rstrip("/") + PREFIX


def fhir_request() -> FhirRequest:
    """The request's unit of work and the actor behind its bearer token (401 without one)."""
    return FhirRequest(uow=unit_of_work(), actor=current_actor(), deps=deps(), base_url=base_url())


__all__ = ["blp", "db_session", "fhir_json", "fhir_request", "base_url", "install_fhir_media_types"]
