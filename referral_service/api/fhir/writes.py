"""The writes of /fhir: a transaction Bundle that creates a draft referral, and Task updates that take the
referral's lifecycle actions. Parse, call the service, answer; the rules live in the services."""

from __future__ import annotations

from flask import Response, request

from referral_service.api.fhir.http import blp, fhir_json, fhir_request
from referral_service.api.fhir.routes import SYSTEM_INTERACTIONS
from referral_service.fhir.inbound import transaction_response
from referral_service.fhir.service_request import fhir_instant
from referral_service.services.fhir.task_updates import update_task as update_fhir_task
from referral_service.services.fhir.transactions import create_draft_from_bundle

SYSTEM_INTERACTIONS.append("transaction")


@blp.route("", methods=["POST"])
def transaction() -> Response:
    """A transaction Bundle (Patient, ServiceRequest, optional Consent): a new draft referral, or the one an
    identical earlier Bundle created (same Idempotency-Key, or same ServiceRequest.identifier)."""
    req = fhir_request()
    result = create_draft_from_bundle(req, bundle=request.get_json(force=True, silent=True),
                                      idempotency_key=request.headers.get("Idempotency-Key") or None)
    referral = result.view.referral
    return fhir_json(transaction_response(entries=result.entries, referral_id=referral.id, version=referral.version,
                                          child_id=result.view.child.id, created=result.created,
                                          last_modified=fhir_instant(referral.updated_at)))


@blp.route("/Task/<task_id>", methods=["PUT"])
def update_task(task_id: str) -> Response:
    """A referral's or a handover's Task with a new status (and what the step needs): the action it asks for, taken;
    the Task as it now stands. If-Match: W/"<versionId>" (412 when stale)."""
    task = update_fhir_task(fhir_request(), task_id=task_id, task=request.get_json(force=True, silent=True),
                            if_match=request.headers.get("If-Match"))
    return fhir_json(task)
