"""What a transaction Bundle asks for, as the REST API's body, with where in the Bundle each field came from
(`fhir/inbound.py` reads the Bundle; `inbound_patient`, `inbound_service_request`, `inbound_consent` its entries)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ORGANIZATION_REF = re.compile(r"^(?:.*/)?Organization/([A-Za-z0-9\-.]{1,64})$")


@dataclass
class InboundReferral:
    """What a transaction Bundle asks for, as the REST API's body."""

    #: The body of POST /api/v1/referrals (before its schema loads it).
    body: dict[str, Any] = field(default_factory=dict)
    #: A body field ("child.national_id", "consent") -> the FHIR element it came from.
    origins: dict[str, str] = field(default_factory=dict)
    #: The request entries' resource types, in the Bundle's order (the answer has one entry for each).
    entries: list[str] = field(default_factory=list)
    #: The clinic named by its HER-id (the service finds its id); its FHIR path.
    clinic_her_id: str | None = None
    #: Consent.provision.actor naming an Organization: its id -> the FHIR path (the service looks up its kind).
    recipient_organisations: dict[str, str] = field(default_factory=dict)
    #: The ServiceRequest's business identifier ("system|value"), for replays without an Idempotency-Key.
    identifier: str | None = None

    def fhir_path(self, body_field: str) -> str | None:
        """The FHIR element a REST field error is about: the field's own origin, or its nearest parent's."""
        parts = body_field.split(".")
        for end in range(len(parts), 0, -1):
            origin = self.origins.get(".".join(parts[:end]))
            if origin is not None:
                return origin
        return None


class Errors(dict[str, list[str]]):
    """What is wrong, by FHIR path (told all at once as one 422)."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)
