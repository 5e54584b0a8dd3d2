"""What the FHIR interface serves, by resource type: who reads one, who searches, which search parameters they take,
who updates. Each resource's module registers itself; the routes and the CapabilityStatement read these tables,
so the statement can never promise what is not served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from referral_service.bootstrap import Dependencies
from referral_service.security.actor import Actor
from referral_service.services.unit_of_work import SqlUnitOfWork


@dataclass(frozen=True)
class FhirRequest:
    """One request's unit of work, the actor behind its token, and the service's parts (the clock, the identity
    numbers); `base_url` is the interface's public address (for `fullUrl` and paging links)."""

    uow: SqlUnitOfWork
    actor: Actor
    deps: Dependencies
    base_url: str


Resource = dict[str, Any]
#: Reads one resource by our id: the resource, or NotFound (not there and not visible look the same).
Reader = Callable[[FhirRequest, str], Resource]


@dataclass(frozen=True)
class SearchParameter:
    name: str
    type: str  # FHIR search parameter type: token, date, reference, string, uri
    documentation: str


#: resource type -> reader.
READERS: dict[str, Reader] = {}
#: resource type -> its search parameters (besides _count and the paging ones), for the CapabilityStatement.
SEARCH_PARAMETERS: dict[str, tuple[SearchParameter, ...]] = {}
#: resource type -> the interactions besides read and search-type it serves (e.g. "update", "create").
OTHER_INTERACTIONS: dict[str, tuple[str, ...]] = {}
#: resource type -> the _include values its search takes (e.g. "Task:focus").
INCLUDES: dict[str, tuple[str, ...]] = {}
#: resource type -> the _revinclude values its search takes (e.g. "Task:focus" on ServiceRequest).
REVINCLUDES: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Operation:
    """An operation served on one resource (`GET /fhir/{type}/{id}/${name}`), its OperationDefinition canonical."""

    name: str
    definition: str
    documentation: str


#: resource type -> the operations served on its resources (e.g. ServiceRequest $everything).
OPERATIONS: dict[str, tuple[Operation, ...]] = {}


def reads(resource_type: str) -> Callable[[Reader], Reader]:
    """Register `resource_type`'s reader."""

    def register(reader: Reader) -> Reader:
        assert resource_type not in READERS, f"two readers of {resource_type}"
        READERS[resource_type] = reader
        return reader

    return register
