"""POST /fhir/Subscription, PUT (reactivation) and DELETE /fhir/Subscription/{id}; the read is the generic one
(routes.py)."""

from __future__ import annotations

from flask import Response, request

from referral_service.api.fhir.http import blp, fhir_json, fhir_request
from referral_service.services.fhir import subscriptions


@blp.route("/Subscription", methods=["POST"])
def create_subscription() -> Response:
    req = fhir_request()
    resource = subscriptions.create_subscription(req, request.get_json(silent=True))
    return fhir_json(resource, 201, headers={"Location": f"{req.base_url}/Subscription/{resource['id']}"})


@blp.route("/Subscription/<subscription_id>", methods=["DELETE"])
def delete_subscription(subscription_id: str) -> Response:
    subscriptions.delete_subscription(fhir_request(), subscription_id)
    return Response(status=204)


@blp.route("/Subscription/<subscription_id>", methods=["PUT"])
def reactivate_subscription(subscription_id: str) -> Response:
    resource = subscriptions.reactivate_subscription(fhir_request(), subscription_id, request.get_json(silent=True))
    return fhir_json(resource, 200)
