"""Searching Patients (`GET /fhir/Patient?_id=…`): the children of the referrals the reader may see, in the order of
their ids. A child is found through each part of the reader's need-to-know (security.visibility.referral_parts, as
`GET /api/v1/referrals` finds referrals) and shown as its newest referral the reader may see describes it (the
Patient reader's rule, services/fhir/patients.py), that referral's read written to the access log.

Only `_id` is taken: a child is never searched for by identity number (refused before this runs, search.py) nor,
here, by name (names in URLs end up in proxies' logs)."""

from __future__ import annotations

from sqlalchemy import and_
from sqlmodel import col, select

from referral_service.domain.child import Child
from referral_service.domain.referral import Referral
from referral_service.security.access_log import record_access
from referral_service.security.visibility import referral_parts
from referral_service.services.fhir.patients import newest_visible_referrals, patients_for
from referral_service.services.fhir.registry import FhirRequest
from referral_service.services.fhir.search import ID, Found, SearchQuery, searches
from referral_service.services.fhir.search_clauses import id_clauses
from referral_service.services.fhir.search_referrals import SEARCH_ACTION, wanted_page
from referral_service.services.pagination import Branch, Order, SortKey, read_page
from referral_service.services.views import build_views

_ORDER = Order((SortKey(col(Child.id)),))


@searches("Patient", parameters=(ID,))
def patient_page(req: FhirRequest, query: SearchQuery) -> Found:
    clauses = id_clauses(query, col(Child.id))
    found_by = [and_(col(Child.id).in_(select(col(Referral.child_id)).where(part.finds_many())), *clauses)
                for part in referral_parts(req.actor)]
    with req.uow as uow:
        session = uow.session
        page = read_page(session, Child, counting=found_by, branches=[Branch(where=w) for w in found_by],
                         order=_ORDER, wanted=wanted_page(query), key_of=lambda child: (child.id,))
        newest = newest_visible_referrals(session, actor=req.actor, child_ids=[c.id for c in page.items])
        referrals = list(session.exec(select(Referral).where(col(Referral.id).in_(list(newest.values())))))
        record_access(session, actor=req.actor, action=SEARCH_ACTION, referrals=referrals)
        by_child = {view.referral.child_id: view for view in build_views(session, referrals, viewer=req.actor)}
        uow.commit()
    views = [by_child[child.id] for child in page.items if child.id in by_child]
    return Found(matches=patients_for(req, views), next_after=page.next_after, total=page.total)
