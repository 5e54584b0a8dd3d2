"""What Inntak shows on each row beside the referral: the child's birth date (standing in for the masked number),
who referred (organisation and person) and who co-refers, whether the referrer has answered BUP's questions, and
when a decided referral was decided. Each is read for the whole page in one query, never row by row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import CoReferrer, Referral, ReferralEvent
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.referral_lifecycle import OPEN_STATUSES

#: The referrals the clinic is done with: every status a referral does not leave again (it was rejected, left to
#: the municipality, forwarded, withdrawn, merged, discharged or transferred to adult services).
DECIDED_STATUSES = tuple(status for status in ReferralStatus if status not in OPEN_STATUSES)


@dataclass(frozen=True)
class QueueRow:
    """A referral in the queue and what its row shows besides (the child's name comes from the referral)."""

    referral: Referral
    birth_date: date
    referrer_organisation: str = ""
    #: The person who wrote the referral (None if the user is gone from the directory).
    referrer_person: str | None = None
    co_referrers: list[str] = field(default_factory=list)
    #: When the referrer last answered BUP's questions, if it has since BUP last asked (the referral waits again).
    answered_at: datetime | None = None
    #: When the referral reached the status it ended in (decided referrals only).
    decided_at: datetime | None = None


def answered_since_asked() -> ColumnElement[bool]:
    """Referrals the referrer has answered since BUP asked: an answer (supplement) moves the referral from
    `information_requested` back to `submitted`, so a submitted referral with an answer in its history has had every
    question answered. The event is looked up per row through the index on (referral_id, at)."""
    answered = select(col(ReferralEvent.id)).where(col(ReferralEvent.referral_id) == col(Referral.id),
                                                   col(ReferralEvent.action) == ReferralAction.SUPPLEMENT)
    return and_(col(Referral.status) == ReferralStatus.SUBMITTED, answered.exists())


def close_to_deadline_before(*, today: date, calendar: WorkingDayCalendar, working_days: int) -> date:
    """The first deadline that is not close: a deadline before it has `working_days` working days left or fewer
    (or has passed), the same rule as the queue's "Nær fristen" mark (web/formatting.py working_days_left)."""
    return calendar.add_working_days(today, working_days + 1)


def queue_rows(session: Session, referrals: Sequence[Referral]) -> list[QueueRow]:
    """The rows for one page of referrals, in four queries whatever the page's length."""
    if not referrals:
        return []
    ids = [r.id for r in referrals]
    born = _birth_dates(session, referrals)
    referrers = _referrers(session, ids)
    co_referrers = _co_referrers(session, ids)
    answered, decided = _answers_and_decisions(session, referrals)
    return [QueueRow(referral=r, birth_date=born[r.child_id], referrer_organisation=referrers.get(r.id, ("", None))[0],
                     referrer_person=referrers.get(r.id, ("", None))[1], co_referrers=co_referrers.get(r.id, []),
                     answered_at=answered.get(r.id), decided_at=decided.get(r.id))
            for r in referrals]


def _birth_dates(session: Session, referrals: Sequence[Referral]) -> dict[str, date]:
    """The children's birth dates, two columns of the child rows (a queue shows nothing else of them)."""
    ids = list({r.child_id for r in referrals})
    return dict(session.execute(select(Child.id, Child.birth_date).where(col(Child.id).in_(ids))).all())


def _referrers(session: Session, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Each referral's referring organisation and person, by name."""
    rows = session.execute(
        select(col(Referral.id), col(Organisation.name), col(User.name))
        .join(Organisation, col(Organisation.id) == col(Referral.referrer_org_id))
        .outerjoin(User, col(User.id) == col(Referral.referrer_user_id))
        .where(col(Referral.id).in_(ids))).all()
    return {referral_id: (organisation, person) for referral_id, organisation, person in rows}


def _co_referrers(session: Session, ids: list[str]) -> dict[str, list[str]]:
    """Each referral's co-referring organisations, by name, in the order they were invited."""
    rows = session.execute(
        select(col(CoReferrer.referral_id), col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(CoReferrer.organisation_id))
        .where(col(CoReferrer.referral_id).in_(ids))
        .order_by(col(CoReferrer.invited_at), col(CoReferrer.id))).all()
    names: dict[str, list[str]] = defaultdict(list)
    for referral_id, name in rows:
        names[referral_id].append(name)
    return names


def _answers_and_decisions(session: Session, referrals: Sequence[Referral]) -> tuple[dict[str, Any], dict[str, Any]]:
    """When each waiting referral was last answered, and when each decided one reached its final status, from the
    events of the page's referrals (read through the index on (referral_id, at))."""
    waiting = [r.id for r in referrals if r.status == ReferralStatus.SUBMITTED]
    decided = [r.id for r in referrals if r.status in DECIDED_STATUSES]
    if not waiting and not decided:
        return {}, {}
    rows = session.execute(
        select(col(ReferralEvent.referral_id), col(ReferralEvent.action), col(ReferralEvent.from_status),
               col(ReferralEvent.to_status), col(ReferralEvent.at))
        .where(or_(and_(col(ReferralEvent.referral_id).in_(waiting),
                        col(ReferralEvent.action) == ReferralAction.SUPPLEMENT),
                   and_(col(ReferralEvent.referral_id).in_(decided),
                        col(ReferralEvent.to_status).in_(DECIDED_STATUSES))))).all()
    answered: dict[str, datetime] = {}
    decided_at: dict[str, datetime] = {}
    for referral_id, action, from_status, to_status, at in rows:
        if action == ReferralAction.SUPPLEMENT:
            answered[referral_id] = max(at, answered.get(referral_id, at))
        elif from_status != to_status:  # not a later record on the ended referral (an epikrise sent)
            decided_at[referral_id] = max(at, decided_at.get(referral_id, at))
    return answered, decided_at
