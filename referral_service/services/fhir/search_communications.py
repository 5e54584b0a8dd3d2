"""Searching Communications (`GET /fhir/Communication?…`): BUP's questions and the referrer's answers on the referrals
the reader may see, newest first. Each is a referral event (`Communication/{event id}`); they are read through the
events of the referrals each part of the reader's need-to-know finds (security.visibility.referral_parts, as
`GET /api/v1/referrals` finds them), and built by the Communication mapper from their referral's events."""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import col, select

from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.fhir.communication import KINDS
from referral_service.security.access_log import record_access
from referral_service.security.visibility import referral_parts
from referral_service.services.fhir.communications import communications_for
from referral_service.services.fhir.registry import FhirRequest, Resource, SearchParameter
from referral_service.services.fhir.search import ID, Found, SearchQuery, searches
from referral_service.services.fhir.search_clauses import Clause, id_clauses, reference_clauses
from referral_service.services.fhir.search_referrals import PATIENT, SEARCH_ACTION, wanted_page
from referral_service.services.pagination import Branch, Order, SortKey, read_page
from referral_service.services.views import build_views

#: Newest first (Communication.sent), then the id.
_ORDER = Order((SortKey(col(ReferralEvent.at), descending=True), SortKey(col(ReferralEvent.id))))


def _of_referrals(where: Clause) -> Clause:
    return col(ReferralEvent.referral_id).in_(select(col(Referral.id)).where(where))


def _clauses(query: SearchQuery) -> list[Clause]:
    return [
        col(ReferralEvent.action).in_(list(KINDS)),
        *id_clauses(query, col(ReferralEvent.id)),
        *reference_clauses(query, "patient", by_type={
            "Patient": lambda ids: _of_referrals(col(Referral.child_id).in_(ids))}),
        *reference_clauses(query, "based-on", by_type={
            "ServiceRequest": lambda ids: col(ReferralEvent.referral_id).in_(ids)}),
    ]


@searches("Communication", parameters=(
    ID, PATIENT,
    SearchParameter("based-on", "reference", "ServiceRequest/{id}: the questions and answers on one referral."),
))
def communication_page(req: FhirRequest, query: SearchQuery) -> Found:
    clauses = _clauses(query)
    found_by = [and_(_of_referrals(part.finds_many()), *clauses) for part in referral_parts(req.actor)]
    with req.uow as uow:
        session = uow.session
        page = read_page(session, ReferralEvent, counting=found_by, branches=[Branch(where=w) for w in found_by],
                         order=_ORDER, wanted=wanted_page(query), key_of=lambda e: (e.at, e.id))
        referrals = list(session.exec(select(Referral).where(
            col(Referral.id).in_({e.referral_id for e in page.items})))) if page.items else []
        record_access(session, actor=req.actor, action=SEARCH_ACTION, referrals=referrals)
        views = build_views(session, referrals, viewer=req.actor)
        uow.commit()
    by_id: dict[str, Resource] = {message["id"]: message for message in communications_for(req, views)}
    return Found(matches=[by_id[e.id] for e in page.items if e.id in by_id], next_after=page.next_after,
                 total=page.total)
