"""BUP's Inntak: the clinic's open work in three sections, and what it has decided, each read one page at a time
through an index.

A big clinic has thousands of children waiting or in treatment at once, and many more decided over the years, so no
section is read in full. Each keeps the order intake works it in (the most urgent, the oldest deadline first; the
decided ones newest first), read in the order of an index on (clinic, status, ...) up to the page's end; each is
counted only a bounded distance past its page (COUNT_CAP). A search or a filter narrows the same reads with more
WHERE clauses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case
from sqlmodel import Session, col

from referral_service.domain.enums import ReferralStatus, Urgency
from referral_service.domain.referral import Referral
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import referral_parts
from referral_service.services.children.search import NO_SEARCH, ChildSearch, search_clause
from referral_service.services.pagination import Branch, Order, Page, PageRequest, SortKey, read_page
from referral_service.services.referrals.intake_rows import (
    DECIDED_STATUSES,
    QueueRow,
    answered_since_asked,
    queue_rows,
)

if TYPE_CHECKING:
    from referral_service.services.unit_of_work import SqlUnitOfWork

__all__ = ["QueueRow", "IntakeFilters", "IntakeSection", "OPEN_SECTIONS", "intake_queue"]


class IntakeSection(StrEnum):
    #: Sent, or BUP has asked for more: waiting for BUP's assessment.
    WAITING = "waiting"
    #: Given the right to care, waiting for the treatment to start.
    STARTING = "starting"
    IN_TREATMENT = "in_treatment"
    #: Ended: rejected, left to the municipality, forwarded, withdrawn, merged, discharged, transferred.
    DECIDED = "decided"


#: The clinic's open work, the sections Inntak shows first.
OPEN_SECTIONS = (IntakeSection.WAITING, IntakeSection.STARTING, IntakeSection.IN_TREATMENT)


@dataclass(frozen=True)
class IntakeFilters:
    """What the reader narrowed the queue to. A section none of whose referrals can match is not read at all."""

    search: ChildSearch = NO_SEARCH
    #: Only the urgent ones.
    urgent: bool = False
    #: Only those whose deadline (the section's own) falls before this day: close to it or past it.
    due_before: date | None = None
    #: Only those the referrer has answered since BUP asked for more information.
    answered: bool = False
    #: Only the decided referrals that ended so.
    outcome: ReferralStatus | None = None


def _urgency_rank() -> Any:
    """Urgent referrals first: the waiting section's first sort key (0 urgent, 1 the rest)."""
    return case((col(Referral.urgency) == Urgency.URGENT, 0), else_=1)


@dataclass(frozen=True)
class _Section:
    statuses: tuple[ReferralStatus, ...]
    #: The order within one status (and urgency, when urgent ones come first); served by an index on
    #: (clinic_id, status[, urgency], first key).
    order: Order
    urgent_first: bool = False
    #: The deadline the section is worked by (what "close to the deadline" reads), if any.
    deadline: Any = None
    #: What else a referral must be to belong to the section.
    also: tuple[Any, ...] = ()

    def list_order(self) -> Order:
        return Order((SortKey(_urgency_rank()), *self.order.keys)) if self.urgent_first else self.order

    def statuses_for(self, filters: IntakeFilters) -> tuple[ReferralStatus, ...]:
        """The section's statuses a referral matching the filters can be in (none: the section is not read)."""
        statuses = self.statuses
        if filters.answered:
            statuses = tuple(s for s in statuses if s == ReferralStatus.SUBMITTED)
        if filters.outcome:
            statuses = tuple(s for s in statuses if s == filters.outcome)
        if filters.due_before and self.deadline is None:
            return ()
        return statuses

    def narrowing(self, filters: IntakeFilters) -> list[ColumnElement[bool]]:
        """The section's and the filters' WHERE clauses beside a branch's own (status, urgency) ones."""
        clauses = list(self.also)
        if filters.search.active:
            clauses.append(search_clause(filters.search, child_id=col(Referral.child_id),
                                         given_name=col(Referral.child_given_name),
                                         family_name=col(Referral.child_family_name)))
        if filters.urgent:
            clauses.append(col(Referral.urgency) == Urgency.URGENT)
        if filters.due_before:
            clauses.append(self.deadline < filters.due_before)
        if filters.answered:
            clauses.append(answered_since_asked())
        return clauses

    def branches(self, part: Any, *, statuses: tuple[ReferralStatus, ...], narrowing: list[Any],
                 urgent_only: bool, one_child: bool) -> list[Branch]:
        """One branch per status (and urgency), each read in the order of its index as far as the page goes.

        A search by identity number reads the child's own few referrals instead, through the index on (child_id,
        status, id): ordered by id, no branch is read in the clinic's order, which would walk the whole status (a
        child has a handful of referrals at a clinic, never a page of them in one status)."""
        urgencies = (Urgency.URGENT,) if urgent_only else tuple(Urgency)
        by_id = Order((SortKey(col(Referral.id)),))
        if one_child:
            return [Branch(where=and_(part, col(Referral.status) == status, *narrowing), order=by_id)
                    for status in statuses]
        if not self.urgent_first:
            return [Branch(where=and_(part, col(Referral.status) == status, *narrowing)) for status in statuses]
        return [Branch(where=and_(part, col(Referral.status) == status, col(Referral.urgency) == urgency, *narrowing),
                       order=self.order)
                for status in statuses for urgency in urgencies]

    def key_of(self, row: Any) -> tuple[Any, ...]:
        referral = row.Referral
        values = tuple(getattr(referral, key.column.key) for key in self.order.keys)
        return (row.rank, *values) if self.urgent_first else values


SECTIONS = {
    # Urgent ones first, then by the assessment deadline (a waiting referral always has one once sent).
    IntakeSection.WAITING: _Section(
        statuses=(ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED), urgent_first=True,
        order=Order((SortKey(col(Referral.assessment_due), nulls_last=True), SortKey(col(Referral.id)))),
        deadline=col(Referral.assessment_due)),
    # The start-of-care deadline first.
    IntakeSection.STARTING: _Section(
        statuses=(ReferralStatus.ACCEPTED,),
        order=Order((SortKey(col(Referral.care_start_due), nulls_last=True), SortKey(col(Referral.id)))),
        deadline=col(Referral.care_start_due)),
    # Newest first.
    IntakeSection.IN_TREATMENT: _Section(
        statuses=(ReferralStatus.IN_TREATMENT,),
        order=Order((SortKey(col(Referral.created_at), descending=True), SortKey(col(Referral.id))))),
    # Newest first, each outcome through the index on (clinic_id, status, created_at, received_on). Only those the
    # clinic received: a draft withdrawn before it was sent never reached it.
    IntakeSection.DECIDED: _Section(
        statuses=DECIDED_STATUSES,
        order=Order((SortKey(col(Referral.created_at), descending=True), SortKey(col(Referral.id)))),
        also=(col(Referral.received_on).is_not(None),)),
}


def _section_page(session: Session, section: _Section, *, parts: list[Any], wanted: PageRequest,
                  filters: IntakeFilters) -> Page[Referral]:
    """One page of a section, counted up to COUNT_CAP past it."""
    statuses = section.statuses_for(filters)
    if not statuses:
        return Page(items=[], total=0 if wanted.page is not None else None, page=wanted.page,
                    per_page=wanted.per_page)
    narrowing = section.narrowing(filters)
    in_section = [and_(part, col(Referral.status).in_(statuses), *narrowing) for part in parts]
    one_child = filters.search.number_typed and filters.search.child_id is not None
    branches = [branch for part in parts for branch in section.branches(
        part, statuses=statuses, narrowing=narrowing, urgent_only=filters.urgent, one_child=one_child)]
    page = read_page(session, Referral, counting=in_section, branches=branches, order=section.list_order(),
                     wanted=wanted, key_of=section.key_of, also=[_urgency_rank().label("rank")])
    return replace(page, items=[row.Referral for row in page.items])


def intake_queue(uow: SqlUnitOfWork, *, actor: Actor, wanted: dict[IntakeSection, PageRequest],
                 filters: IntakeFilters | None = None) -> dict[IntakeSection, Page[QueueRow]]:
    """The page asked for of each section (narrowed by the filters), in one read; each referral shown is
    access-logged."""
    filters = filters or IntakeFilters()
    parts = [part.finds_many() for part in referral_parts(actor)]
    with uow:
        session = uow.session
        found = {name: _section_page(session, SECTIONS[name], parts=parts, wanted=asked, filters=filters)
                 for name, asked in wanted.items()}
        shown = [referral for page in found.values() for referral in page.items]
        rows = {row.referral.id: row for row in queue_rows(session, shown)}
        record_access(session, actor=actor, action="list", referrals=shown)
        uow.commit()
    return {name: replace(page, items=[rows[r.id] for r in page.items]) for name, page in found.items()}
