"""Searching Provenance (`GET /fhir/Provenance?…`): what happened to the referrals and handover tasks the reader may
see, newest first. Four lists are read apart and merged (search.newest_first): the referrals' events and deadline
marks, found through each part of the reader's need-to-know for referrals (security.visibility.referral_parts), and
the handover tasks' steps and deadline marks, through each part of the need-to-know for tasks
(security.handover_visibility.handover_parts), so a Provenance is found exactly when its read by id answers it.

`target` takes `ServiceRequest/{id}` (everything about the referral, its tasks' too), `Task/{referral id}` (the
referral's own) or `Task/{handover id}` (that task's); `patient` the child."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlmodel import col, select

from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.provenance import handover_provenance_id, mark_provenance_id
from referral_service.security.access_log import record_access
from referral_service.security.handover_visibility import handover_parts
from referral_service.security.visibility import referral_parts
from referral_service.services.fhir.provenances import provenances_for_handovers, provenances_for_referrals
from referral_service.services.fhir.registry import FhirRequest, Resource, SearchParameter
from referral_service.services.fhir.search import Found, SearchQuery, newest_first, searches
from referral_service.services.fhir.search_clauses import Clause, reference_clauses
from referral_service.services.fhir.search_referrals import PATIENT, SEARCH_ACTION, wanted_page
from referral_service.services.pagination import Branch, Order, PageRequest, SortKey, read_page
from referral_service.services.views import build_views


def _order(table: Any) -> Order:
    return Order((SortKey(col(table.at), descending=True), SortKey(col(table.id))))


def _referrals_where(where: Clause) -> Any:
    return select(col(Referral.id)).where(where)


def _handovers_where(where: Clause) -> Any:
    return select(col(Handover.id)).where(where)


def _referral_filters(query: SearchQuery, referral_id: Any) -> list[Clause]:
    """The parameters on a row that belongs to a referral (`referral_id`: its column)."""
    return [
        *reference_clauses(query, "target", by_type={"ServiceRequest": lambda ids: referral_id.in_(ids),
                                                     "Task": lambda ids: referral_id.in_(ids)}),
        *reference_clauses(query, "patient", by_type={
            "Patient": lambda ids: referral_id.in_(_referrals_where(col(Referral.child_id).in_(ids)))}),
    ]


def _handover_filters(query: SearchQuery, handover_id: Any) -> list[Clause]:
    """The parameters on a row that belongs to a handover task (`handover_id`: its column)."""
    of_referrals = lambda where: handover_id.in_(_handovers_where(col(Handover.referral_id).in_(where)))  # noqa: E731
    return [
        *reference_clauses(query, "target", by_type={"ServiceRequest": of_referrals,
                                                     "Task": lambda ids: handover_id.in_(ids)}),
        *reference_clauses(query, "patient", by_type={
            "Patient": lambda ids: of_referrals(_referrals_where(col(Referral.child_id).in_(ids)))}),
    ]


def _read(session: Any, table: Any, wheres: list[Clause], wanted: PageRequest) -> Any:
    return read_page(session, table, counting=wheres, branches=[Branch(where=w) for w in wheres],
                     order=_order(table), wanted=wanted, key_of=lambda row: (row.at, row.id))


@searches("Provenance", parameters=(
    SearchParameter("target", "reference", "ServiceRequest/{id} (the referral and its tasks), or Task/{id}."),
    PATIENT,
))
def provenance_page(req: FhirRequest, query: SearchQuery) -> Found:
    referral_seen = [part.finds_many() for part in referral_parts(req.actor)]
    task_seen = handover_parts(req.actor)
    wanted = wanted_page(query)
    event_referral, mark_referral = col(ReferralEvent.referral_id), col(DeadlineMark.referral_id)
    with req.uow as uow:
        session = uow.session
        pages = [
            _read(session, ReferralEvent, [and_(event_referral.in_(_referrals_where(seen)),
                                                *_referral_filters(query, event_referral)) for seen in referral_seen],
                  wanted),
            _read(session, DeadlineMark, [and_(col(DeadlineMark.handover_id).is_(None),
                                               mark_referral.in_(_referrals_where(seen)),
                                               *_referral_filters(query, mark_referral)) for seen in referral_seen],
                  wanted),
            _read(session, HandoverEvent, [and_(col(HandoverEvent.handover_id).in_(_handovers_where(seen)),
                                                *_handover_filters(query, col(HandoverEvent.handover_id)))
                                           for seen in task_seen], wanted),
            _read(session, DeadlineMark, [and_(col(DeadlineMark.handover_id).in_(_handovers_where(seen)),
                                               *_handover_filters(query, col(DeadlineMark.handover_id)))
                                          for seen in task_seen], wanted),
        ]
        rows, next_after = newest_first(pages, count=query.count, when="at")
        referral_ids = {row.referral_id for row in rows if not _of_a_task(row)}
        handover_ids = {row.handover_id for row in rows if _of_a_task(row)}
        handovers = list(session.exec(select(Handover).where(col(Handover.id).in_(handover_ids)))) if handover_ids \
            else []
        referrals = list(session.exec(select(Referral).where(
            col(Referral.id).in_(referral_ids | {h.referral_id for h in handovers})))) if rows else []
        record_access(session, actor=req.actor, action=SEARCH_ACTION, referrals=referrals)
        views = build_views(session, [r for r in referrals if r.id in referral_ids], viewer=req.actor)
        uow.commit()
    by_id: dict[str, Resource] = {p["id"]: p for p in [*provenances_for_referrals(req, views),
                                                       *provenances_for_handovers(req, handovers)]}
    counted = [page.total for page in pages]
    return Found(matches=[by_id[_provenance_id(row)] for row in rows], next_after=next_after,
                 total=None if None in counted else sum(t or 0 for t in counted))


def _of_a_task(row: Any) -> bool:
    return isinstance(row, HandoverEvent) or (isinstance(row, DeadlineMark) and row.handover_id is not None)


def _provenance_id(row: Any) -> str:
    if isinstance(row, HandoverEvent):
        return handover_provenance_id(row.id)
    if isinstance(row, DeadlineMark):
        return mark_provenance_id(row.id)
    return str(row.id)
