"""Searching Tasks (`GET /fhir/Task?…`): the referral Tasks (one per referral, `Task/{referral id}`) and the
handover Tasks (`Task/{handover id}`) the reader may see, as one list, newest first.

The two are read apart, each through its own need-to-know clauses and indexes (the referrals as
`GET /api/v1/referrals` reads them, the handovers as `GET /api/v1/handovers`), each only as far as the page reaches
(one row more), and merged by (created, id): the keyset cursor holds that pair, so a page continues both lists after
the last Task shown, with no Task twice and none skipped. `focus=ServiceRequest/{id}` finds both Tasks of a referral.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from referral_service.domain.enums import HandoverOutcome, HandoverStatus, ReferralAction, ReferralStatus
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.handover_task import STATUSES as HANDOVER_TASK_STATUS
from referral_service.fhir.referral_task import STATES
from referral_service.fhir.search_values import alternatives
from referral_service.security.access_log import record_access
from referral_service.security.handover_visibility import handover_parts
from referral_service.services.fhir.patients import patients_for
from referral_service.services.fhir.registry import FhirRequest, Resource, SearchParameter
from referral_service.services.fhir.search import ID, LAST_UPDATED, Found, SearchQuery, newest_first, searches
from referral_service.services.fhir.search_clauses import (
    Clause,
    id_clauses,
    last_updated_clauses,
    reference_clauses,
    statuses_for,
)
from referral_service.services.fhir.search_referrals import (
    PATIENT,
    SEARCH_ACTION,
    referral_clauses,
    visible_views,
    wanted_page,
)
from referral_service.services.fhir.service_requests import service_requests_for
from referral_service.services.fhir.tasks import tasks_for_handovers, tasks_for_referrals
from referral_service.services.handovers.task_list import referrals_of
from referral_service.services.pagination import Branch, Order, SortKey, read_page
from referral_service.services.referrals.queries import find_referrals
from referral_service.services.views import ReferralView, build_views

FOCUS_INCLUDE, PATIENT_INCLUDE = "Task:focus", "Task:patient"
#: The handover Tasks in the referral Tasks' order (find_referrals' "created_at": newest first, then the id).
_HANDOVER_ORDER = Order((SortKey(col(Handover.created_at), descending=True), SortKey(col(Handover.id))))
#: Our status -> the referral Task's status, from the mapper's table (fhir/referral_task.STATES).
REFERRAL_TASK_STATUS = {ours: state.status for ours, state in STATES.items()}


def _supplemented() -> Clause:
    return select(col(ReferralEvent.id)).where(col(ReferralEvent.referral_id) == col(Referral.id),
                                               col(ReferralEvent.action) == ReferralAction.SUPPLEMENT).exists()


def _referral_task_status(query: SearchQuery) -> list[Clause]:
    """`status` on referral Tasks, as referral_task.task_status reads a referral: the table, except that a submitted
    referral supplemented since BUP asked is `received` (not `requested`)."""
    clauses: list[Clause] = []
    submitted = col(Referral.status) == ReferralStatus.SUBMITTED
    for occurrence in query.occurrences("status"):
        codes = set(alternatives(occurrence))
        others = [s for s in statuses_for(codes, REFERRAL_TASK_STATUS) if s != ReferralStatus.SUBMITTED]
        parts = [col(Referral.status).in_(others)]
        if "requested" in codes:
            parts.append(submitted & ~_supplemented())
        if "received" in codes:
            parts.append(submitted & _supplemented())
        clauses.append(or_(*parts))
    return clauses


def _handover_task_status(query: SearchQuery) -> list[Clause]:
    """`status` on handover Tasks, as handover_task.task_status reads a task: the table, except that a task closed
    because the family moved is `cancelled` (not `completed`)."""
    clauses: list[Clause] = []
    closed = col(Handover.status) == HandoverStatus.CLOSED
    transferred = col(Handover.outcome_code) == HandoverOutcome.TRANSFERRED
    for occurrence in query.occurrences("status"):
        codes = set(alternatives(occurrence))
        others = [s for s in statuses_for(codes, HANDOVER_TASK_STATUS) if s != HandoverStatus.CLOSED]
        parts = [col(Handover.status).in_(others)]
        if "completed" in codes:
            parts.append(closed & (col(Handover.outcome_code).is_(None) | ~transferred))
        if "cancelled" in codes:
            parts.append(closed & transferred)
        clauses.append(or_(*parts))
    return clauses


def _of_children(ids: list[str]) -> Clause:
    return col(Handover.referral_id).in_(select(col(Referral.id)).where(col(Referral.child_id).in_(ids)))


def _handover_clauses(req: FhirRequest, query: SearchQuery) -> list[Clause]:
    return [
        *id_clauses(query, col(Handover.id)),
        *last_updated_clauses(query, col(Handover.updated_at), zone=req.deps.clock.timezone),
        *_handover_task_status(query),
        *reference_clauses(query, "patient", by_type={"Patient": _of_children}),
        *reference_clauses(query, "owner", by_type={"Organization": lambda ids: col(Handover.owner_org_id).in_(ids)}),
        *reference_clauses(query, "focus", by_type={"ServiceRequest": lambda ids: col(Handover.referral_id).in_(ids)}),
    ]


def _referral_task_clauses(req: FhirRequest, query: SearchQuery) -> list[Clause]:
    return [
        *referral_clauses(req, query, status_table=None),
        *_referral_task_status(query),
        *reference_clauses(query, "owner", by_type={"Organization": lambda ids: col(Referral.clinic_id).in_(ids)}),
        *reference_clauses(query, "focus", by_type={"ServiceRequest": lambda ids: col(Referral.id).in_(ids)}),
    ]


@searches("Task", parameters=(
    ID, LAST_UPDATED,
    SearchParameter("status", "token", "Task.status (task-status), for both kinds of Task."),
    PATIENT,
    SearchParameter("owner", "reference", "Organization/{id}: the clinic (referral Task) or the organisation that "
                                          "owns the follow-up (handover Task)."),
    SearchParameter("focus", "reference", "ServiceRequest/{id}: the referral's Task and its handover Tasks."),
), includes=(FOCUS_INCLUDE, PATIENT_INCLUDE))
def task_page(req: FhirRequest, query: SearchQuery) -> Found:
    by_referral, by_handover = _referral_task_clauses(req, query), _handover_clauses(req, query)
    wanted = wanted_page(query)
    focused: list[ReferralView] = []
    with req.uow as uow:
        session = uow.session
        referrals = find_referrals(session, req.deps.clock, actor=req.actor, wanted=wanted, where=by_referral)
        found_by = [and_(part, *by_handover) for part in handover_parts(req.actor)]
        handovers = read_page(session, Handover, counting=found_by, branches=[Branch(where=w) for w in found_by],
                              order=_HANDOVER_ORDER, wanted=wanted, key_of=lambda h: (h.created_at, h.id))
        page, next_after = newest_first([referrals, handovers], count=query.count, when="created_at")
        shown_referrals = [row for row in page if isinstance(row, Referral)]
        shown_handovers = [row for row in page if isinstance(row, Handover)]
        record_access(session, actor=req.actor, action=SEARCH_ACTION,
                      referrals=[*shown_referrals, *referrals_of(session, shown_handovers)])
        views = build_views(session, shown_referrals, viewer=req.actor)
        if query.includes:  # the referrals behind the page's Tasks, as far as the reader may see them
            focused = visible_views(session, req, [_referral_id(row) for row in page])
        uow.commit()
    tasks = [*tasks_for_referrals(req, views), *tasks_for_handovers(req, shown_handovers)]
    by_id = {task["id"]: task for task in tasks}
    included: list[Resource] = []
    if FOCUS_INCLUDE in query.includes:
        included += service_requests_for(req, focused)
    if PATIENT_INCLUDE in query.includes:
        included += patients_for(req, focused)
    total = None if referrals.total is None or handovers.total is None else referrals.total + handovers.total
    return Found(matches=[by_id[row.id] for row in page], included=included, next_after=next_after, total=total)


def _referral_id(row: Any) -> str:
    return row.id if isinstance(row, Referral) else row.referral_id
