"""GET /fhir/{type}?…: a search, answered as a searchset Bundle (services/fhir/search.py reads the parameters); and
GET /fhir/ServiceRequest/{id}/$everything, the referral's case as one (services/fhir/search_everything.py)."""

from __future__ import annotations

from flask import Response, request

from referral_service.api.fhir.http import blp, fhir_json, fhir_request
from referral_service.services.fhir import (  # noqa: F401  (register their searches)
    search_communications,
    search_everything,
    search_patients,
    search_provenances,
    search_referrals,
    search_tasks,
)
from referral_service.services.fhir.search import refuse_parameters, run_search


def _lenient() -> bool:
    """`Prefer: handling=lenient` asks that unknown parameters be ignored (the default here is strict: 400)."""
    preferences = [p.strip().lower().replace(" ", "") for p in request.headers.get("Prefer", "").split(",")]
    return "handling=lenient" in preferences


@blp.route("/<resource_type>", methods=["GET"])
def search(resource_type: str) -> Response:
    """One page of the resources of `resource_type` the caller may see that the parameters keep."""
    req = fhir_request()
    bundle = run_search(req, resource_type, request.args.items(multi=True), lenient=_lenient())
    return fhir_json(bundle)


@blp.route("/ServiceRequest/<referral_id>/$everything", methods=["GET"])
def service_request_everything(referral_id: str) -> Response:
    """The referral chain and what it references, as the caller may see it; 404 as the read for one not visible."""
    req = fhir_request()
    refuse_parameters("ServiceRequest", search_everything.EVERYTHING.name, request.args.items(multi=True),
                      lenient=_lenient())
    return fhir_json(search_everything.everything(req, referral_id))
