"""The child's case as one reader may see it: the entries of the child's referrals and handovers in time
order, each filtered by the reader's part in its referral, and the repeat count. A handful of queries,
whatever the number of referrals; every referral the reader sees something of is access-logged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import visible_handovers
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.cases.repeats import (
    details_for,
    ids_taking_part,
    referrals_of_children,
    repeat_count,
    repeat_counts,
)
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.case_entries import (
    CONCLUDING_ACTIONS,
    CaseDetail,
    EntrySource,
    entry_kind,
    revealed,
    shows_event,
)
from referral_service.workflows.repeat_referrals import RepeatCount


@dataclass(frozen=True)
class CaseEntry:
    """One thing that happened in the child's case."""

    id: str
    source: str
    kind: str
    action: str
    at: datetime
    referral_id: str
    clinic_id: str
    clinic_name: str
    detail: str
    #: The referral's status this event concluded in (a decision), or how a handover task ended.
    conclusion: str | None = None
    handover_id: str | None = None
    reason_code: str | None = None
    explanation: str | None = None
    advice: str | None = None


@dataclass(frozen=True)
class CaseReferral:
    """One referral of the child, as far as the reader may know of it."""

    id: str
    clinic_id: str
    clinic_name: str
    status: str
    received_on: date | None
    detail: str
    current: bool


@dataclass
class ChildCase:
    child_id: str
    referral_id: str
    repeat: RepeatCount
    referrals: list[CaseReferral] = field(default_factory=list)
    entries: list[CaseEntry] = field(default_factory=list)


def child_case(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str, window_months: int) -> ChildCase:
    """The case of this referral's child; 404 when the reader may not see the referral. The read is logged."""
    with uow:
        anchor = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        case, seen = read_case(uow.session, actor=actor, anchor=anchor, window_months=window_months)
        record_access(uow.session, actor=actor, action="read_case", referrals=seen)
        uow.commit()
    return case


def read_case(session: Session, *, actor: Actor, anchor: Referral,
              window_months: int) -> tuple[ChildCase, list[Referral]]:
    """The case, and the referrals the reader saw something of (for the caller's access log); no commit."""
    siblings = referrals_of_children(session, [anchor.child_id])[anchor.child_id]
    details = details_for(actor, siblings, taking_part=ids_taking_part(session, actor, [anchor.child_id]))
    details[anchor.id] = CaseDetail.FULL  # the caller found it visible
    known = [r for r in siblings if details[r.id] is not CaseDetail.NONE]
    by_id = {r.id: r for r in known}
    clinics = {o.id: o.name for o in organisations_by_id(session, {r.clinic_id for r in known}).values()}
    entries = [*_referral_entries(session, by_id, details, clinics),
               *_handover_entries(session, actor, by_id, details, clinics),
               *_check_in_entries(session, by_id, details, clinics)]
    entries.sort(key=lambda e: (e.at, e.source != EntrySource.REFERRAL, e.id))
    case = ChildCase(
        child_id=anchor.child_id, referral_id=anchor.id,
        repeat=repeat_count(anchor, known, window_months=window_months),
        referrals=[CaseReferral(id=r.id, clinic_id=r.clinic_id, clinic_name=clinics.get(r.clinic_id, ""),
                                status=r.status, received_on=r.received_on, detail=details[r.id],
                                current=r.id == anchor.id) for r in known],
        entries=entries)
    return case, known


def _referral_entries(session: Session, referrals: dict[str, Referral], details: dict[str, CaseDetail],
                      clinics: dict[str, str]) -> Iterable[CaseEntry]:
    if not referrals:
        return []
    events = session.exec(select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(referrals))
                          .order_by(col(ReferralEvent.at), col(ReferralEvent.id)))
    return [_entry(EntrySource.REFERRAL, e, referral=referrals[e.referral_id], detail=details[e.referral_id],
                   clinics=clinics, conclusion=e.to_status if e.action in CONCLUDING_ACTIONS else None)
            for e in events if shows_event(details[e.referral_id], source=EntrySource.REFERRAL, action=e.action)]


def _handover_entries(session: Session, actor: Actor, referrals: dict[str, Referral],
                      details: dict[str, CaseDetail], clinics: dict[str, str]) -> Iterable[CaseEntry]:
    """The steps of the handover tasks the reader may see (security/handover_visibility.py), of referrals it
    sees in full."""
    full = [rid for rid, detail in details.items() if detail is CaseDetail.FULL and rid in referrals]
    if not full:
        return []
    handovers = {h.id: h for h in session.exec(select(Handover).where(col(Handover.referral_id).in_(full),
                                                                      visible_handovers(actor)))}
    if not handovers:
        return []
    events = session.exec(select(HandoverEvent).where(col(HandoverEvent.handover_id).in_(handovers))
                          .order_by(col(HandoverEvent.at), col(HandoverEvent.id)))
    return [_entry(EntrySource.HANDOVER, e, referral=referrals[handovers[e.handover_id].referral_id],
                   detail=CaseDetail.FULL, clinics=clinics, handover_id=e.handover_id,
                   conclusion=e.data.get("outcome_code") if e.action == "close" else None)
            for e in events]


def _check_in_entries(session: Session, referrals: dict[str, Referral], details: dict[str, CaseDetail],
                      clinics: dict[str, str]) -> Iterable[CaseEntry]:
    """Check-ins with the family after municipal help ends join the case here, once their table (`check_in`)
    exists: load them by the handovers above in one query, and give each `EntrySource.CHECK_IN` with its kind
    in workflows/case_entries.ENTRY_KINDS. Until then there are none."""
    return []


def _entry(source: EntrySource, event: ReferralEvent | HandoverEvent, *, referral: Referral, detail: CaseDetail,
           clinics: dict[str, str], conclusion: str | None = None, handover_id: str | None = None) -> CaseEntry:
    data: dict[str, Any] = event.data or {}
    words = revealed(detail, action=event.action, data=data) if source == EntrySource.REFERRAL else {}
    return CaseEntry(id=event.id, source=source, kind=entry_kind(source, event.action), action=event.action,
                     at=event.at, referral_id=referral.id, clinic_id=referral.clinic_id,
                     clinic_name=clinics.get(referral.clinic_id, ""), detail=detail, conclusion=conclusion,
                     handover_id=handover_id, **words)


def repeat_flags(uow: SqlUnitOfWork, *, actor: Actor, referrals: list[Referral],
                 window_months: int) -> dict[str, RepeatCount]:
    """The repeat count of each referral in a queue, in two queries; the earlier referrals counted are logged."""
    with uow:
        counts, counted = repeat_counts(uow.session, actor=actor, referrals=referrals, window_months=window_months)
        record_access(uow.session, actor=actor, action="read_repeat_count", referrals=counted)
        uow.commit()
    return counts
