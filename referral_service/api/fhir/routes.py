"""The routes of /fhir: the CapabilityStatement, and a read of each registered resource type."""

from __future__ import annotations

from flask import Response

from referral_service import __version__
from referral_service.api.context import deps
from referral_service.api.fhir.http import base_url, blp, fhir_json, fhir_request
from referral_service.errors import NotFound
from referral_service.fhir.capability import capability_statement
from referral_service.services.fhir.registry import READERS

#: Whole-system interactions served at POST /fhir (the transaction module adds "transaction").
SYSTEM_INTERACTIONS: list[str] = []


@blp.route("/metadata", methods=["GET"])
def metadata() -> Response:
    """What this server serves; open without a token, as FHIR clients ask for it before they sign in."""
    return fhir_json(capability_statement(base_url=base_url(), software_version=__version__,
                                          published=deps().clock.today(),
                                          system_interactions=tuple(SYSTEM_INTERACTIONS)))


@blp.route("/<resource_type>/<resource_id>", methods=["GET"])
def read(resource_type: str, resource_id: str) -> Response:
    """One resource by our id; 404 for a type we do not serve, an unknown id, or one the caller may not see."""
    reader = READERS.get(resource_type)
    if reader is None:
        fhir_request()  # the token first: without one, 401 whatever the type
        raise NotFound(f"This server serves no {resource_type} resources." if resource_type.isalpha()
                       else "This server serves no such resource type.")
    return fhir_json(reader(fhir_request(), resource_id))
