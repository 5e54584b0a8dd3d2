"""A journal system's transaction Bundle read back into the body `POST /api/v1/referrals` takes (FHIR.md §9).

Pure: the Bundle in, the REST body out, with where in the Bundle each field came from, so that the REST service's
field errors can be told as FHIR paths (`Bundle.entry[0].resource.identifier[0].value`). The body is then checked
by the same schema and created by the same service as the REST API's; nothing here decides what a valid referral
is. Each entry has its reader (`inbound_patient`, `inbound_service_request`, `inbound_consent`), as the outbound
mappers are split; an element of the wrong JSON shape is 422 at its path (`fhir/shape.py`). Messages name what is
wrong, never the value sent.
"""

from __future__ import annotations

from typing import Any

from referral_service.errors import InvalidData
from referral_service.fhir import shape
from referral_service.fhir.inbound_consent import read_consent
from referral_service.fhir.inbound_patient import read_patient
from referral_service.fhir.inbound_referral import Errors, InboundReferral
from referral_service.fhir.inbound_service_request import read_service_request

__all__ = ["InboundReferral", "read_transaction", "transaction_response"]

#: The entries a transaction may hold, and how many of each (FHIR.md §9).
REQUIRED_ENTRIES = ("Patient", "ServiceRequest")
OPTIONAL_ENTRIES = ("Consent",)


def read_transaction(bundle: Any) -> InboundReferral:
    """The draft referral a transaction Bundle asks for; 422 (with FHIR paths) for anything else."""
    errors = Errors()
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidData("Send a Bundle.", errors={"Bundle": ["Must be a Bundle resource."]})
    if bundle.get("type") != "transaction":
        raise InvalidData("Only a transaction Bundle may be sent here.",
                          errors={"Bundle.type": ["Must be 'transaction'."]})
    found = _request_entries(bundle, errors)
    for kind in REQUIRED_ENTRIES:
        if kind not in found and not errors:
            errors.add("Bundle.entry", f"A transaction must hold one POST {kind} entry.")
    if errors:
        raise InvalidData("The Bundle holds entries this server does not take.", errors=errors)
    inbound = InboundReferral(entries=[kind for kind, _ in sorted(found.items(), key=lambda item: item[1][0])])
    patient_at, patient, patient_url = found["Patient"]
    read_patient(inbound, patient, f"Bundle.entry[{patient_at}].resource", errors)
    request_at, service_request, _url = found["ServiceRequest"]
    read_service_request(inbound, service_request, f"Bundle.entry[{request_at}].resource", patient_url, errors)
    if "Consent" in found:
        consent_at, consent, _url = found["Consent"]
        read_consent(inbound, consent, f"Bundle.entry[{consent_at}].resource", patient_url, errors)
    if errors:
        raise InvalidData("The referral in the Bundle is not valid.", errors=errors)
    return inbound


def _request_entries(bundle: dict[str, Any], errors: Errors) -> dict[str, tuple[int, dict[str, Any], str]]:
    """Resource type -> (entry index, resource, fullUrl) for each allowed entry; errors for every other."""
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        errors.add("Bundle.entry", "A transaction must hold a Patient and a ServiceRequest.")
        return {}
    found: dict[str, tuple[int, dict[str, Any], str]] = {}
    for i, entry in enumerate(entries):
        at = f"Bundle.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in REQUIRED_ENTRIES + OPTIONAL_ENTRIES:
            errors.add(f"{at}.resource", "Only Patient, ServiceRequest and Consent entries are taken.")
            continue
        assert isinstance(resource, dict) and isinstance(entry, dict)
        request = shape.obj(entry.get("request"), f"{at}.request")
        if request.get("method") != "POST" or request.get("url") != kind:
            errors.add(f"{at}.request", f"Each entry must be a POST to '{kind}'.")
        full_url = entry.get("fullUrl")
        if not isinstance(full_url, str) or not full_url.startswith("urn:uuid:"):
            errors.add(f"{at}.fullUrl", "Each entry must have a 'urn:uuid:' fullUrl.")
        if kind in found:
            errors.add(f"{at}.resource", f"Only one {kind} may be sent.")
            continue
        found[kind] = (i, resource, full_url if isinstance(full_url, str) else "")
    return found


def transaction_response(*, entries: list[str], referral_id: str, version: int, child_id: str, created: bool,
                         last_modified: str) -> dict[str, Any]:
    """The `transaction-response`: one entry per request entry, in the request's order, each with where the
    resource now lives (a repeat of an earlier transaction answers 200 with the same places)."""
    status = "201 Created" if created else "200 OK"
    places = {
        "Patient": (f"Patient/{child_id}", None),
        "ServiceRequest": (f"ServiceRequest/{referral_id}/_history/{version}", version),
        "Consent": (f"Consent/{referral_id}", version),
    }
    answers = []
    for kind in entries:
        location, entry_version = places[kind]
        response: dict[str, Any] = {"status": status, "location": location, "lastModified": last_modified}
        if entry_version is not None:
            response["etag"] = f'W/"{entry_version}"'
        answers.append({"response": response})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}
