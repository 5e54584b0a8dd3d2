"""`GET /fhir/ServiceRequest/{id}/$everything` (FHIR.md §9; local, after `Patient/$everything`): the referral's whole
case in one searchset Bundle, as the caller may see it.

The matches are the referral chain: the referral and those it was forwarded (or transferred to a DPS) from and to,
hop by hop, oldest first, as far as the caller may see them (a referral at another clinic the caller has no part in
is not shown, and the chain is not followed through it). The included resources are what those reference, built by
the readers' own builders: each referral's Task and the handover Tasks the caller may see, the Patient, the
Consents, the Communications, the Provenances (the referrals' and the handover Tasks'), the requester
PractitionerRoles and the Organizations the ServiceRequests, Tasks and Consents name (the clinics, the next clinic of
a forwarded referral, the municipality).

Need-to-know as the read: a referral the caller may not see is 404, the same answer as an unknown id, and the attempt
is logged (the repository's get_visible); each referral shown is written to the access log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from referral_service.domain.referral import Referral
from referral_service.fhir.bundle import searchset
from referral_service.fhir.codes import CANON
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import visible_referrals
from referral_service.services.fhir.communications import communications_for
from referral_service.services.fhir.consents import consents_for
from referral_service.services.fhir.directory import organizations_for, practitioner_roles_for
from referral_service.services.fhir.patients import patients_for
from referral_service.services.fhir.provenances import provenances_for_handovers, provenances_for_referrals
from referral_service.services.fhir.registry import OPERATIONS, FhirRequest, Operation, Resource
from referral_service.services.fhir.search_referrals import visible_handovers_of
from referral_service.services.fhir.service_requests import service_requests_for
from referral_service.services.fhir.tasks import tasks_for_handovers, tasks_for_referrals
from referral_service.services.views import build_views

#: What the access log says $everything showed.
EVERYTHING_ACTION = "fhir_everything"
#: A chain longer than this is not followed further (a referral is forwarded a few times at most).
MAX_CHAIN = 20

EVERYTHING = Operation(
    "everything", f"{CANON}/OperationDefinition/ServiceRequest-everything",
    "The referral chain (forwarded from and to, as far as you may see it) as matches, with what it references: "
    "its Tasks and handover Tasks, Patient, Consent, Communications, Provenance, the requester PractitionerRole and "
    "the Organizations named. No parameters; one page.")
OPERATIONS["ServiceRequest"] = (EVERYTHING,)


def referral_chain(session: Session, actor: Actor, first: Referral) -> list[Referral]:
    """`first` and the referrals it was forwarded from and to, hop by hop through those the actor may see, oldest
    first."""
    chain = {first.id: first}
    frontier = [first]
    while frontier and len(chain) < MAX_CHAIN:
        wanted = {linked for referral in frontier for linked in (referral.forwarded_from_id, referral.forwarded_to_id)
                  if linked and linked not in chain}
        frontier = list(session.exec(select(Referral).where(col(Referral.id).in_(wanted), visible_referrals(actor)))
                        ) if wanted else []
        chain.update((referral.id, referral) for referral in frontier)
    return sorted(chain.values(), key=lambda referral: (referral.created_at, referral.id))


def _referenced(resources: Iterable[Resource], resource_type: str) -> list[str]:
    """The ids of `resource_type` that the resources reference (`{"reference": "Type/id"}` anywhere in them), in the
    order first met."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            reference = value.get("reference")
            if isinstance(reference, str) and reference.startswith(f"{resource_type}/"):
                found.setdefault(reference.removeprefix(f"{resource_type}/"), None)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(resources))
    return list(found)


def everything(req: FhirRequest, referral_id: str) -> dict[str, Any]:
    """The searchset Bundle of `referral_id`'s chain and what it references; 404 when the caller may not see it."""
    with req.uow as uow:
        session = uow.session
        first = uow.referrals.get_visible(actor=req.actor, referral_id=referral_id)  # 404, the attempt logged
        chain = referral_chain(session, req.actor, first)
        record_access(session, actor=req.actor, action=EVERYTHING_ACTION, referrals=chain)
        views = build_views(session, chain, viewer=req.actor)
        handovers = visible_handovers_of(session, req, [referral.id for referral in chain])
        uow.commit()
    matches = service_requests_for(req, views)
    tasks = [*tasks_for_referrals(req, views), *tasks_for_handovers(req, handovers)]
    consents = consents_for(req, views)
    named = [*matches, *tasks, *consents]
    roles = practitioner_roles_for(req, _referenced(matches, "PractitionerRole"))
    organizations = organizations_for(req, _referenced([*named, *roles], "Organization"))
    # Each Patient's number is revealed (and logged) as a use case of its own.
    included = [*tasks, *patients_for(req, views), *consents, *communications_for(req, views),
                *provenances_for_referrals(req, views), *provenances_for_handovers(req, handovers),
                *roles, *organizations]
    return searchset(base_url=req.base_url, matches=matches, included=included, total=len(matches),
                     self_link=f"{req.base_url}/ServiceRequest/{first.id}/$everything")
