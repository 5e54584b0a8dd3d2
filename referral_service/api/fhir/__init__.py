"""The FHIR R4 interface under /fhir: thin routes over `services/fhir/` (`../shared/FHIR.md`).

JSON only (`application/fhir+json`, `application/json` accepted); errors are OperationOutcomes (api/problems.py);
the same bearer tokens as /api/v1. Each resource's service module registers its reader, search and updates in
`services/fhir/registry.py`; importing them here is what puts them on the interface.
"""

from __future__ import annotations

from flask import Flask

from referral_service.api.fhir import (
    routes,  # noqa: F401  (the routes of blp)
    search,  # noqa: F401  (GET /fhir/{type}: the searches)
    subscriptions,  # noqa: F401  (POST /fhir/Subscription, DELETE; its reader)
    writes,  # noqa: F401  (POST /fhir and PUT /fhir/Task/<id>)
)
from referral_service.api.fhir.http import blp, install_fhir_media_types
from referral_service.services.fhir import (  # noqa: F401  (each registers the resources it serves)
    communications,
    consents,
    directory,
    patients,
    provenances,
    service_requests,
    tasks,
)


def register_fhir(app: Flask) -> None:
    install_fhir_media_types(app)
    app.register_blueprint(blp)
