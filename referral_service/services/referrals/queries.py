"""Loading referrals the actor may see, and what belongs to them; the list of them, read through indexes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralStatus
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Consent, MunicipalContact, Referral, ReferralEvent
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import referral_parts
from referral_service.services.children.search import NO_SEARCH, ChildSearch, search_clause
from referral_service.services.pagination import Branch, Order, Page, PageRequest, SortKey, read_page
from referral_service.services.views import ReferralView, build_views

if TYPE_CHECKING:
    from referral_service.services.unit_of_work import SqlUnitOfWork

#: The list's orders: newest first (served by the indexes on (referrer_org_id, created_at) and (clinic_id,
#: created_at)), or the assessment deadline first (by (clinic_id, status, assessment_due)); the id breaks ties.
#: The referrer's list may also sort by the day BUP received the referral (drafts, never sent, last); one
#: organisation's referrals are found through its index and sorted, a page's worth at a time.
ORDERS = {
    "created_at": Order((SortKey(col(Referral.created_at), descending=True), SortKey(col(Referral.id)))),
    "assessment_due": Order((SortKey(col(Referral.assessment_due), nulls_last=True), SortKey(col(Referral.id)))),
    "received_newest": Order((SortKey(col(Referral.received_on), descending=True, nulls_last=True),
                              SortKey(col(Referral.id)))),
    "received_oldest": Order((SortKey(col(Referral.received_on), nulls_last=True), SortKey(col(Referral.id)))),
}
#: The referral's attribute each order's first key reads (the keyset cursor holds it and the id).
_SORTED_BY = {"created_at": "created_at", "assessment_due": "assessment_due",
              "received_newest": "received_on", "received_oldest": "received_on"}


def current_consent(session: Session, referral_id: str) -> Consent | None:
    return session.exec(
        select(Consent)
        .where(Consent.referral_id == referral_id, Consent.superseded_at.is_(None))
        .order_by(Consent.recorded_at.desc())
    ).first()


def current_handover(session: Session, referral_id: str) -> Handover | None:
    """The referral's task now: the last of its chain (a task transferred to a new municipality is not)."""
    return session.exec(select(Handover).where(Handover.referral_id == referral_id,
                                               Handover.transferred_to_id.is_(None))).first()


def contacts_of(session: Session, referral_id: str) -> list[MunicipalContact]:
    return list(session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == referral_id)))


def events_of(session: Session, referral_id: str) -> list[ReferralEvent]:
    return list(
        session.exec(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )


def overdue_clause(today: date) -> Any:
    """Referrals past their assessment or start-of-care deadline and still waiting."""
    waiting = [ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED]
    return or_(
        and_(Referral.status.in_(waiting), Referral.assessment_due < today),
        and_(Referral.status == ReferralStatus.ACCEPTED, Referral.care_start_due < today),
    )


def list_referrals(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, wanted: PageRequest,
                   status: str | None = None, overdue: bool = False, sort: str = "created_at") -> Page[ReferralView]:
    """The referrals the actor's organisation takes part in (the API's list); each one shown is access-logged."""
    statuses = [status] if status else None
    with uow:
        session = uow.session
        found = find_referrals(session, clock, actor=actor, wanted=wanted, statuses=statuses, overdue=overdue,
                               sort=sort)
        record_access(session, actor=actor, action="list", referrals=found.items)
        uow.commit()
        return cast("Page[ReferralView]", replace(found, items=build_views(session, found.items, viewer=actor)))


def find_referrals(session: Session, clock: Clock, *, actor: Actor, wanted: PageRequest, sort: str = "created_at",
                   statuses: Collection[str] | None = None, overdue: bool = False,
                   referred_by_user_id: str | None = None, search: ChildSearch = NO_SEARCH,
                   where: Collection[ColumnElement[bool]] = ()) -> Page[Referral]:
    """A page of the referrals the actor's organisation takes part in, narrowed to any of `statuses`, to those
    `referred_by_user_id` wrote, by a child `search` and by any further clauses on the referral row (`where`: the
    FHIR search's parameters); the caller logs the access to those it shows.

    Each part of the need-to-know rule (security.visibility.referral_parts) is read through its own index, only as
    far as the page reaches, with the filters as WHERE clauses on it; a page after a cursor counts nothing."""
    filters = [true(), *where]
    if statuses is not None:
        wanted_statuses = list(statuses)
        filters.append(col(Referral.status) == wanted_statuses[0] if len(wanted_statuses) == 1
                       else col(Referral.status).in_(wanted_statuses))
    if overdue:
        filters.append(overdue_clause(clock.today()))
    if referred_by_user_id:
        filters.append(col(Referral.referrer_user_id) == referred_by_user_id)
    if search.active:
        filters.append(search_clause(search, child_id=col(Referral.child_id), given_name=col(Referral.child_given_name),
                                     family_name=col(Referral.child_family_name)))
    found_by = [and_(part.finds_many(), *filters) for part in referral_parts(actor)]
    branches = [Branch(where=where) for where in found_by]
    return read_page(session, Referral, counting=found_by, branches=branches, order=ORDERS[sort], wanted=wanted,
                     key_of=lambda r: (getattr(r, _SORTED_BY[sort]), r.id))
