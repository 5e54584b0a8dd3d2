"""BUP's Inntak: the clinic's open work in three sections, each read one page at a time through an index.

A big clinic has thousands of children waiting or in treatment at once, so no section is read in full. Each keeps
the order intake works it in (the most urgent, the oldest deadline first), read in the order of an index on
(clinic, status, ...) up to the page's end; each is counted only a bounded distance past its page (COUNT_CAP).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case
from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralStatus, Urgency
from referral_service.domain.referral import Referral
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import referral_parts
from referral_service.services.pagination import Branch, Order, Page, PageRequest, SortKey, read_page

if TYPE_CHECKING:
    from referral_service.services.unit_of_work import SqlUnitOfWork


class IntakeSection(StrEnum):
    #: Sent, or BUP has asked for more: waiting for BUP's assessment.
    WAITING = "waiting"
    #: Given the right to care, waiting for the treatment to start.
    STARTING = "starting"
    IN_TREATMENT = "in_treatment"


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

    def list_order(self) -> Order:
        return Order((SortKey(_urgency_rank()), *self.order.keys)) if self.urgent_first else self.order

    def branches(self, part: Any) -> list[Branch]:
        """One branch per status (and urgency), each read in the order of its index as far as the page goes."""
        if not self.urgent_first:
            return [Branch(where=and_(part, col(Referral.status) == status)) for status in self.statuses]
        return [Branch(where=and_(part, col(Referral.status) == status, col(Referral.urgency) == urgency),
                       order=self.order)
                for status in self.statuses for urgency in Urgency]

    def key_of(self, row: Any) -> tuple[Any, ...]:
        referral = row.Referral
        values = tuple(getattr(referral, key.column.key) for key in self.order.keys)
        return (row.rank, *values) if self.urgent_first else values


SECTIONS = {
    # Urgent ones first, then by the assessment deadline (a waiting referral always has one once sent).
    IntakeSection.WAITING: _Section(
        statuses=(ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED), urgent_first=True,
        order=Order((SortKey(col(Referral.assessment_due), nulls_last=True), SortKey(col(Referral.id))))),
    # The start-of-care deadline first.
    IntakeSection.STARTING: _Section(
        statuses=(ReferralStatus.ACCEPTED,),
        order=Order((SortKey(col(Referral.care_start_due), nulls_last=True), SortKey(col(Referral.id))))),
    # Newest first.
    IntakeSection.IN_TREATMENT: _Section(
        statuses=(ReferralStatus.IN_TREATMENT,),
        order=Order((SortKey(col(Referral.created_at), descending=True), SortKey(col(Referral.id))))),
}


def _section_page(session: Session, section: _Section, *, parts: list[Any], wanted: PageRequest) -> Page[Referral]:
    """One page of a section, counted up to COUNT_CAP past it."""
    in_section = [and_(part, col(Referral.status).in_(section.statuses)) for part in parts]
    page = read_page(session, Referral, counting=in_section,
                     branches=[branch for part in parts for branch in section.branches(part)],
                     order=section.list_order(), wanted=wanted, key_of=section.key_of,
                     also=[_urgency_rank().label("rank")])
    return replace(page, items=[row.Referral for row in page.items])


@dataclass(frozen=True)
class QueueRow:
    """A referral in the queue: what the page shows of it (the child's name as the referral gives it, and the birth
    date that stands in for the masked identity number)."""

    referral: Referral
    birth_date: date


def _birth_dates(session: Session, referrals: list[Referral]) -> dict[str, date]:
    """The children's birth dates, in one query of two columns (a queue shows nothing else of the child row)."""
    ids = list({r.child_id for r in referrals})
    return dict(session.execute(select(Child.id, Child.birth_date).where(col(Child.id).in_(ids))).all()) if ids else {}


def intake_queue(uow: SqlUnitOfWork, *, actor: Actor,
                 wanted: dict[IntakeSection, PageRequest]) -> dict[IntakeSection, Page[QueueRow]]:
    """The page asked for of each section, in one read; each referral shown is access-logged."""
    parts = [part.finds_many() for part in referral_parts(actor)]
    with uow:
        session = uow.session
        found = {name: _section_page(session, SECTIONS[name], parts=parts, wanted=asked)
                 for name, asked in wanted.items()}
        shown = [referral for page in found.values() for referral in page.items]
        born = _birth_dates(session, shown)
        record_access(session, actor=actor, action="list", referrals=shown)
        uow.commit()
    return {name: replace(page, items=[QueueRow(referral=r, birth_date=born[r.child_id]) for r in page.items])
            for name, page in found.items()}
