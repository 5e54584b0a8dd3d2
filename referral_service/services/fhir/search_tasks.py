"""Searching Tasks (`GET /fhir/Task?…`): the referral Tasks (one per referral, `Task/{referral id}`) and the
handover Tasks (`Task/{handover id}`) the reader may see, as one list, newest first.

The two are read apart, each through its own need-to-know clauses and indexes (the referrals as
`GET /api/v1/referrals` reads them, the handovers as `GET /api/v1/handovers`), each only as far as the page reaches
(one row more), and merged by (created, id): the keyset cursor holds that pair, so a page continues both lists after
the last Task shown, with no Task twice and none skipped. `focus=ServiceRequest/{id}` finds both Tasks of a referral.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlmodel import col, select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.security.access_log import record_access
from referral_service.security.handover_visibility import handover_parts
from referral_service.services.fhir.registry import FhirRequest, Resource, SearchParameter
from referral_service.services.fhir.search import ID, LAST_UPDATED, Found, SearchQuery, searches
from referral_service.services.fhir.search_clauses import (
    Clause,
    id_clauses,
    last_updated_clauses,
    reference_clauses,
    status_clauses,
)
from referral_service.services.fhir.search_referrals import (
    PATIENT,
    SEARCH_ACTION,
    referral_clauses,
    visible_views,
    wanted_page,
)
from referral_service.services.handovers.task_list import referrals_of
from referral_service.services.pagination import Branch, Order, SortKey, read_page
from referral_service.services.referrals.queries import find_referrals
from referral_service.services.views import build_views

FOCUS_INCLUDE, PATIENT_INCLUDE = "Task:focus", "Task:patient"
#: The handover Tasks in the referral Tasks' order (find_referrals' "created_at": newest first, then the id).
_HANDOVER_ORDER = Order((SortKey(col(Handover.created_at), descending=True), SortKey(col(Handover.id))))


def _of_children(ids: list[str]) -> Clause:
    return col(Handover.referral_id).in_(select(col(Referral.id)).where(col(Referral.child_id).in_(ids)))


def _handover_clauses(req: FhirRequest, query: SearchQuery, status_table: dict[str, str]) -> list[Clause]:
    return [
        *id_clauses(query, col(Handover.id)),
        *last_updated_clauses(query, col(Handover.updated_at), zone=req.deps.clock.timezone),
        *status_clauses(query, col(Handover.status), status_table),
        *reference_clauses(query, "patient", by_type={"Patient": _of_children}),
        *reference_clauses(query, "owner", by_type={"Organization": lambda ids: col(Handover.owner_org_id).in_(ids)}),
        *reference_clauses(query, "focus", by_type={"ServiceRequest": lambda ids: col(Handover.referral_id).in_(ids)}),
    ]


def _referral_task_clauses(req: FhirRequest, query: SearchQuery, status_table: dict[str, str]) -> list[Clause]:
    return [
        *referral_clauses(req, query, status_table=status_table),
        *reference_clauses(query, "owner", by_type={"Organization": lambda ids: col(Referral.clinic_id).in_(ids)}),
        *reference_clauses(query, "focus", by_type={"ServiceRequest": lambda ids: col(Referral.id).in_(ids)}),
    ]


def _newest_first(rows: list[Any]) -> list[Any]:
    """Referrals and handovers in the lists' order: created, newest first, then the id."""
    return sorted(sorted(rows, key=lambda row: row.id), key=lambda row: row.created_at, reverse=True)


@searches("Task", parameters=(
    ID, LAST_UPDATED,
    SearchParameter("status", "token", "Task.status (task-status), for both kinds of Task."),
    PATIENT,
    SearchParameter("owner", "reference", "Organization/{id}: the clinic (referral Task) or the organisation that "
                                          "owns the follow-up (handover Task)."),
    SearchParameter("focus", "reference", "ServiceRequest/{id}: the referral's Task and its handover Tasks."),
), includes=(FOCUS_INCLUDE, PATIENT_INCLUDE))
def task_page(req: FhirRequest, query: SearchQuery) -> Found:
    from referral_service.fhir.handover_task import HANDOVER_TASK_STATUS
    from referral_service.fhir.referral_task import REFERRAL_TASK_STATUS
    from referral_service.services.fhir.patients import patients_for
    from referral_service.services.fhir.service_requests import service_requests_for
    from referral_service.services.fhir.tasks import tasks_for_handovers, tasks_for_referrals

    by_referral = _referral_task_clauses(req, query, REFERRAL_TASK_STATUS)
    by_handover = _handover_clauses(req, query, HANDOVER_TASK_STATUS)
    wanted = wanted_page(query)
    with req.uow as uow:
        session = uow.session
        referrals = find_referrals(session, req.deps.clock, actor=req.actor, wanted=wanted, where=by_referral)
        found_by = [and_(part, *by_handover) for part in handover_parts(req.actor)]
        handovers = read_page(session, Handover, counting=found_by, branches=[Branch(where=w) for w in found_by],
                              order=_HANDOVER_ORDER, wanted=wanted, key_of=lambda h: (h.created_at, h.id))
        merged = _newest_first([*referrals.items, *handovers.items])
        page, more = merged[:query.count], len(merged) > query.count or bool(referrals.next_after or
                                                                            handovers.next_after)
        shown_referrals = [row for row in page if isinstance(row, Referral)]
        shown_handovers = [row for row in page if isinstance(row, Handover)]
        record_access(session, actor=req.actor, action=SEARCH_ACTION,
                      referrals=[*shown_referrals, *referrals_of(session, shown_handovers)])
        views = build_views(session, shown_referrals, viewer=req.actor)
        by_id: dict[str, Resource] = {task["id"]: task for task in [*tasks_for_referrals(req, views),
                                                                    *tasks_for_handovers(req, shown_handovers)]}
        matches = [by_id[row.id] for row in page if row.id in by_id]
        included: list[Resource] = []
        if query.includes:
            focused = visible_views(session, req, [row.id if isinstance(row, Referral) else row.referral_id
                                                   for row in page])
            if FOCUS_INCLUDE in query.includes:
                included += service_requests_for(req, focused)
            if PATIENT_INCLUDE in query.includes:
                included += patients_for(req, focused)
        uow.commit()
    total = None if referrals.total is None or handovers.total is None else referrals.total + handovers.total
    return Found(matches=matches, included=included, next_after=(page[-1].created_at, page[-1].id)
                 if more and page else None, total=total)
