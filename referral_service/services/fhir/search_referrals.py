"""Searching referrals as ServiceRequests (`GET /fhir/ServiceRequest?…`) and their consents in force
(`GET /fhir/Consent?…`): the referrals the reader's organisation takes part in, read through the same need-to-know
clauses and indexes as `GET /api/v1/referrals` (services/referrals/queries.find_referrals), newest first, each one
shown written to the access log.

`requester` takes `PractitionerRole/{user id}` (the referrer who wrote it: ServiceRequest.requester) or
`Organization/{id}` (the referring organisation, which the PractitionerRole belongs to); a bare id either."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import false, true
from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.fhir.search_values import alternatives
from referral_service.fhir.service_request import SERVICE_REQUEST_STATUS
from referral_service.security.access_log import record_access
from referral_service.security.handover_visibility import visible_handovers
from referral_service.security.visibility import visible_referrals
from referral_service.services.fhir.consents import consents_for
from referral_service.services.fhir.patients import patients_for
from referral_service.services.fhir.registry import FhirRequest, Resource, SearchParameter
from referral_service.services.fhir.search import ID, LAST_UPDATED, Found, SearchQuery, searches
from referral_service.services.fhir.search_clauses import (
    Clause,
    id_clauses,
    last_updated_clauses,
    reference_clauses,
    status_clauses,
)
from referral_service.services.fhir.service_requests import service_requests_for
from referral_service.services.fhir.tasks import tasks_for_handovers, tasks_for_referrals
from referral_service.services.pagination import PageRequest
from referral_service.services.referrals.queries import find_referrals
from referral_service.services.views import ReferralView, build_views

#: What the access log says a search showed.
SEARCH_ACTION = "fhir_search"

PATIENT = SearchParameter("patient", "reference", "The child: Patient/{id} or the bare id (our id, never an identity "
                                                  "number).")
SUBJECT_INCLUDE = "ServiceRequest:subject"
CONSENT_PATIENT_INCLUDE = "Consent:patient"
TASK_REVINCLUDE = "Task:focus"


def wanted_page(query: SearchQuery) -> PageRequest:
    """The first page is counted (through the indexes, as the /api/v1 lists count); a page after a cursor is not."""
    if query.after is None:
        return PageRequest(per_page=query.count, page=1)
    return PageRequest.by_cursor(per_page=query.count, after=query.after)


def referral_clauses(req: FhirRequest, query: SearchQuery, *, status_table: dict[str, str] | None) -> list[Clause]:
    """The parameters every resource made from a referral row takes: _id, _lastUpdated, patient, and status by
    `status_table` (our status -> the resource's) when it is that simple."""
    return [
        *id_clauses(query, col(Referral.id)),
        *last_updated_clauses(query, col(Referral.updated_at), zone=req.deps.clock.timezone),
        *(status_clauses(query, col(Referral.status), status_table) if status_table is not None else []),
        *reference_clauses(query, "patient", by_type={"Patient": lambda ids: col(Referral.child_id).in_(ids)}),
    ]


def visible_handovers_of(session: Session, req: FhirRequest, referral_ids: Sequence[str]) -> list[Handover]:
    """The handover tasks of these referrals that the reader may see, oldest first."""
    if not referral_ids:
        return []
    return list(session.exec(select(Handover).where(col(Handover.referral_id).in_(set(referral_ids)),
                                                    visible_handovers(req.actor))
                             .order_by(col(Handover.created_at), col(Handover.id))))


def visible_views(session: Session, req: FhirRequest, referral_ids: Sequence[str]) -> list[ReferralView]:
    """The views of these referrals that the reader may see (for what a page includes), none other."""
    if not referral_ids:
        return []
    referrals = list(session.exec(select(Referral).where(col(Referral.id).in_(set(referral_ids)),
                                                         visible_referrals(req.actor))))
    return build_views(session, referrals, viewer=req.actor)


@searches("ServiceRequest", parameters=(
    ID, LAST_UPDATED,
    SearchParameter("status", "token", "ServiceRequest.status (request-status): draft, active, completed, revoked."),
    PATIENT,
    SearchParameter("requester", "reference", "Who referred: PractitionerRole/{user id} (the referrer) or "
                                              "Organization/{id} (the referring organisation)."),
), includes=(SUBJECT_INCLUDE,), revincludes=(TASK_REVINCLUDE,))
def service_request_page(req: FhirRequest, query: SearchQuery) -> Found:
    clauses = [
        *referral_clauses(req, query, status_table=SERVICE_REQUEST_STATUS),
        *reference_clauses(query, "requester", by_type={
            "PractitionerRole": lambda ids: col(Referral.referrer_user_id).in_(ids),
            "Organization": lambda ids: col(Referral.referrer_org_id).in_(ids)}),
    ]
    with req.uow as uow:
        session = uow.session
        page = find_referrals(session, req.deps.clock, actor=req.actor, wanted=wanted_page(query), where=clauses)
        record_access(session, actor=req.actor, action=SEARCH_ACTION, referrals=page.items)
        views = build_views(session, page.items, viewer=req.actor)
        matches: list[Resource] = service_requests_for(req, views)
        handovers = (visible_handovers_of(session, req, [r.id for r in page.items])
                     if TASK_REVINCLUDE in query.revincludes else [])
        uow.commit()
    # Each Patient's number is revealed (and logged) as a use case of its own: after this one.
    included: list[Resource] = patients_for(req, views) if SUBJECT_INCLUDE in query.includes else []
    if TASK_REVINCLUDE in query.revincludes:  # the referral's Task, and its handover Tasks the reader may see
        included += [*tasks_for_referrals(req, views), *tasks_for_handovers(req, handovers)]
    return Found(matches=matches, included=included, next_after=page.next_after, total=page.total)


def _consent_status(query: SearchQuery) -> list[Clause]:
    """A Consent here is the consent in force on a referral, which fhir/consent.py always calls `active`."""
    return [true() if "active" in alternatives(occurrence) else false() for occurrence in query.occurrences("status")]


@searches("Consent", parameters=(
    ID, LAST_UPDATED,
    SearchParameter("status", "token", "Consent.status (consent-state-codes): the consent in force is active."),
    PATIENT,
), includes=(CONSENT_PATIENT_INCLUDE,))
def consent_page(req: FhirRequest, query: SearchQuery) -> Found:
    """The consents in force on the referrals the reader may see (Consent/{referral id}), newest referral first."""
    clauses = [*referral_clauses(req, query, status_table=None), *_consent_status(query)]
    with req.uow as uow:
        session = uow.session
        page = find_referrals(session, req.deps.clock, actor=req.actor, wanted=wanted_page(query), where=clauses)
        record_access(session, actor=req.actor, action=SEARCH_ACTION, referrals=page.items)
        views = build_views(session, page.items, viewer=req.actor)
        uow.commit()
    included: list[Resource] = patients_for(req, views) if CONSENT_PATIENT_INCLUDE in query.includes else []
    return Found(matches=consents_for(req, views), included=included, next_after=page.next_after, total=page.total)
