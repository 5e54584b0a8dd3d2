"""Mine henvisninger: the referrals a referring organisation takes part in, open and finished apart, narrowed by a
status group, by who wrote them and by a child search; beside each page what its rows show (the clinic's name, the
child's age, the day BUP decided) and the invitations to co-refer a draft, each read for a whole page in one query.

An invitation to co-refer makes the organisation a co-referrer at once (drafts.invite_co_referrer): there is nothing
to accept or decline. The invitations listed are the drafts another organisation invited this one to, where the
invited side can still add to the referral and send it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralStatus as S
from referral_service.domain.national_id import age_on
from referral_service.domain.referral import CoReferrer, Referral, ReferralEvent
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import visible_referrals
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.children.search import NO_SEARCH, ChildSearch
from referral_service.services.pagination import Page, PageRequest
from referral_service.services.referrals.queries import find_referrals
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ReferralView, build_views

#: The invitations shown at most; the newest first.
MAX_INVITATIONS = 20


class Tab(StrEnum):
    OPEN = "open"
    FINISHED = "finished"


@dataclass(frozen=True)
class StatusGroup:
    tab: Tab
    statuses: tuple[S, ...]


#: The list's status filter: every status belongs to exactly one group, and each group to one tab. The finished
#: tab holds what BUP has ended (a decision that hands the child back) and what ended otherwise.
STATUS_GROUPS: dict[str, StatusGroup] = {
    "draft": StatusGroup(Tab.OPEN, (S.DRAFT,)),
    "waiting": StatusGroup(Tab.OPEN, (S.SUBMITTED,)),
    "information_requested": StatusGroup(Tab.OPEN, (S.INFORMATION_REQUESTED,)),
    "accepted": StatusGroup(Tab.OPEN, (S.ACCEPTED, S.IN_TREATMENT)),
    "rejected_or_discharged": StatusGroup(Tab.FINISHED, (S.REJECTED, S.MUNICIPAL_LEVEL, S.DISCHARGED)),
    "closed": StatusGroup(Tab.FINISHED, (S.WITHDRAWN, S.FORWARDED, S.MERGED, S.TRANSFERRED_TO_DPS)),
}

#: The list's orders by their name in services.referrals.queries.ORDERS: newest first, or by the day sent.
SORTS = ("created_at", "received_newest", "received_oldest")
STATUS_GROUPS_BY_STATUS: dict[str, StatusGroup] = {
    status: group for group in STATUS_GROUPS.values() for status in group.statuses}


def groups_of(tab: Tab) -> list[str]:
    return [name for name, group in STATUS_GROUPS.items() if group.tab is tab]


@dataclass(frozen=True)
class WorklistQuery:
    """What the list is asked to show; a group that is not in the tab is ignored."""

    tab: Tab = Tab.OPEN
    group: str | None = None
    only_mine: bool = False
    sort: str = "created_at"
    search: ChildSearch = NO_SEARCH

    def statuses(self) -> list[str]:
        groups = [self.group] if self.group in groups_of(self.tab) else groups_of(self.tab)
        return [status for name in groups for status in STATUS_GROUPS[name].statuses]


@dataclass(frozen=True)
class ReferrerRow:
    view: ReferralView
    clinic_name: str
    age: int
    #: This organisation takes part as medhenviser (another organisation referred).
    co_referring: bool
    #: When the referral reached the status it ended in (the finished tab), else None.
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Invitation:
    referral: Referral
    birth_date: date
    age: int
    invited_by: str
    invited_at: datetime


@dataclass(frozen=True)
class ReferrerWorklist:
    page: Page[ReferrerRow]
    invitations: list[Invitation] = field(default_factory=list)


def referrer_worklist(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, query: WorklistQuery,
                      wanted: PageRequest) -> ReferrerWorklist:
    """A page of the list and the invitations to co-refer; every referral shown is access-logged."""
    with uow:
        session = uow.session
        found = find_referrals(session, clock, actor=actor, wanted=wanted, sort=query.sort,
                               statuses=query.statuses(), search=query.search,
                               referred_by_user_id=actor.user_id if query.only_mine else None)
        invited = _invitations(session, actor=actor)
        record_access(session, actor=actor, action="list", referrals=[*found.items, *(r for r, _ in invited)])
        uow.commit()
        views = build_views(session, found.items, viewer=actor)
        names = {o.id: o.name for o in organisations_by_id(
            session, {*(r.clinic_id for r in found.items), *(r.referrer_org_id for r, _ in invited)}).values()}
        ended = _ended_at(session, [r.id for r in found.items if STATUS_GROUPS_BY_STATUS[r.status].tab is Tab.FINISHED])
        births = _birth_dates(session, {r.child_id for r, _ in invited})
        today = clock.today()
        rows = [ReferrerRow(view=v, clinic_name=names.get(v.referral.clinic_id, ""),
                            age=age_on(v.child.birth_date, today),
                            co_referring=v.referral.referrer_org_id != actor.organisation_id,
                            ended_at=ended.get(v.referral.id)) for v in views]
        invitations = [Invitation(referral=r, birth_date=births[r.child_id], age=age_on(births[r.child_id], today),
                                  invited_by=names.get(r.referrer_org_id, ""), invited_at=at) for r, at in invited]
        return ReferrerWorklist(page=replace(found, items=rows), invitations=invitations)


def _invitations(session: Session, *, actor: Actor) -> list[tuple[Referral, datetime]]:
    """The drafts another organisation invited this one to co-refer, as far as the consent lets it see them; found
    through the co-referrer table's index on the organisation."""
    invited = aliased(CoReferrer)  # apart from the co-referrer table the need-to-know rule looks into
    return [(r, at) for r, at in session.execute(
        select(Referral, invited.invited_at).join(invited, invited.referral_id == col(Referral.id))
        .where(invited.organisation_id == actor.organisation_id,
               col(Referral.referrer_org_id) != actor.organisation_id,
               col(Referral.status) == S.DRAFT, visible_referrals(actor))
        .order_by(invited.invited_at.desc(), col(Referral.id)).limit(MAX_INVITATIONS)).all()]


def _ended_at(session: Session, referral_ids: list[str]) -> dict[str, datetime]:
    """When each referral reached the status it is in now: one query for the page."""
    if not referral_ids:
        return {}
    return dict(session.execute(
        select(ReferralEvent.referral_id, func.max(ReferralEvent.at))
        .join(Referral, col(Referral.id) == col(ReferralEvent.referral_id))
        .where(col(ReferralEvent.referral_id).in_(referral_ids), col(ReferralEvent.to_status) == col(Referral.status))
        .group_by(col(ReferralEvent.referral_id))).all())


def _birth_dates(session: Session, child_ids: set[str]) -> dict[str, date]:
    if not child_ids:
        return {}
    return dict(session.execute(select(Child.id, Child.birth_date).where(col(Child.id).in_(child_ids))).all())
