"""The CapabilityStatement (`GET /fhir/metadata`): what this server serves, from the registry the routes use."""

from __future__ import annotations

from datetime import date
from typing import Any

from referral_service.fhir.codes import FHIR_VERSION
from referral_service.services.fhir.registry import (
    INCLUDES,
    OPERATIONS,
    OTHER_INTERACTIONS,
    READERS,
    REVINCLUDES,
    SEARCH_PARAMETERS,
)

SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"


def _resource(resource_type: str) -> dict[str, Any]:
    interactions = ["read", *(["search-type"] if resource_type in SEARCH_PARAMETERS else []),
                    *OTHER_INTERACTIONS.get(resource_type, ())]
    entry: dict[str, Any] = {"type": resource_type, "interaction": [{"code": code} for code in interactions],
                             "versioning": "versioned", "readHistory": False, "updateCreate": False}
    if resource_type in SEARCH_PARAMETERS:
        entry["searchParam"] = [{"name": p.name, "type": p.type, "documentation": p.documentation}
                                for p in SEARCH_PARAMETERS[resource_type]]
    if INCLUDES.get(resource_type):
        entry["searchInclude"] = list(INCLUDES[resource_type])
    if REVINCLUDES.get(resource_type):
        entry["searchRevInclude"] = list(REVINCLUDES[resource_type])
    if OPERATIONS.get(resource_type):
        entry["operation"] = [{"name": o.name, "definition": o.definition, "documentation": o.documentation}
                              for o in OPERATIONS[resource_type]]
    return entry


def capability_statement(*, base_url: str, software_version: str, published: date,
                         system_interactions: tuple[str, ...] = ()) -> dict[str, Any]:
    types = sorted(set(READERS) | set(OTHER_INTERACTIONS))
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published.isoformat(),
        "publisher": "BUP-henvisning",
        "kind": "instance",
        "software": {"name": "BUP referral coordination service", "version": software_version},
        "implementation": {"description": "Henvisninger til BUP og tilbakehenvisninger til kommunen",
                           "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "service": [{"coding": [{"system": SECURITY_SERVICE, "code": "OAuth"}],
                             "text": "Bearer token from POST /api/v1/auth/token (Authorization: Bearer <token>)"}],
                "description": "The same tokens and need-to-know rules as /api/v1: a resource the caller may not "
                               "see answers 404.",
            },
            "resource": [_resource(t) for t in types],
            "interaction": [{"code": code} for code in system_interactions],
        }],
    }
