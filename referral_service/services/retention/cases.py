"""Which children's cases have ended long enough ago, and how a case is anonymised.

A case is the child and everything about them: every referral, its events, consent and people around the child, the
handover tasks and their check-ins. It has ended when no referral is open (a draft counts as open: someone is still
writing it), no handover task is open and no check-in is planned; it ended at the newest change of any of them.
A child with anything open, or whose case ended after the cut-off, is kept whole: a new referral of a child with an
old ended case keeps the old one too, since BUP and the municipality read the whole case (repeat referrals).

Anonymising keeps the rows and what Oversikt counts (statuses, dates, municipality, codes) and removes who the child is
and what anyone wrote about them: the name, the identity number (its ciphertext emptied and its blind index replaced,
so a search by the number finds nothing), the guardians, the birth day (the year is kept, for ages in statistics),
the free text of referrals, events, tasks and check-ins, the people around the child and the case's alerts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, union_all
from sqlmodel import Session, col

from referral_service.domain.alert import Alert
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.enums import CheckInStatus, HandoverStatus
from referral_service.domain.family import GuardianIdentity
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import MunicipalContact, Referral, ReferralEvent
from referral_service.workflows.referral_lifecycle import OPEN_STATUSES

#: What an anonymised child's `national_id_kind` says; the sweep never takes such a child again.
ANONYMISED = "anonymised"

#: The keys of an event's data (and of a task's content) that are codes, ids, dates, flags or the clinic's name (what
#: the counts and the case's timeline read); every other key may hold what someone wrote about the child and goes.
KEPT_EVENT_KEYS = frozenset({
    "reason_code", "outcome_code", "clinic_id", "forwarded_to_id", "forwarded_from_id", "priority", "urgency",
    "epikrise_sent", "gaps", "from_user_id", "to_user_id", "home_municipality", "from_municipality",
    "to_municipality", "moved_on", "care_start_due", "first_appointment_on", "planned_discharge_on", "due_on",
    "trigger", "owner_reason", "addressed_to", "level", "check_in_id", "transferred_to_id", "transferred_from_id",
    "clinic_name",
})


def _open_children() -> Any:
    """The children with anything still open."""
    return union_all(
        select(Referral.child_id).where(col(Referral.status).in_([s.value for s in OPEN_STATUSES])),
        select(Referral.child_id).join(Handover, col(Handover.referral_id) == col(Referral.id))
        .where(col(Handover.status) != HandoverStatus.CLOSED.value),
        select(CheckIn.child_id).where(col(CheckIn.status) == CheckInStatus.PLANNED.value),
    )


def _last_changes() -> Any:
    """(child, moment) for every change of a case: its referrals', tasks' and check-ins' newest updates."""
    return union_all(
        select(Referral.child_id.label("child_id"), Referral.updated_at.label("at")),
        select(Referral.child_id, func.coalesce(Handover.closed_at, Handover.updated_at))
        .join(Handover, col(Handover.referral_id) == col(Referral.id)),
        select(CheckIn.child_id, CheckIn.updated_at),
    ).subquery()


def ended_before(session: Session, cut_off: datetime, *, after: str, limit: int, anonymised: bool = False) -> list[str]:
    """Up to `limit` children after the id `after` whose case ended before `cut_off`: those not yet anonymised (or,
    with `anonymised`, all), in id order so that batches move on."""
    changes = _last_changes()
    query = (select(changes.c.child_id)
             .where(changes.c.child_id > after, changes.c.child_id.not_in(_open_children()))
             .group_by(changes.c.child_id)
             .having(func.max(changes.c.at) < cut_off))
    if not anonymised:
        query = query.where(changes.c.child_id.in_(
            select(Child.id).where(col(Child.national_id_kind) != ANONYMISED)))
    return list(session.execute(query.order_by(changes.c.child_id).limit(limit)).scalars())


def ended_among(session: Session, child_ids: list[str], cut_off: datetime) -> set[str]:
    """The same test for a batch, inside the transaction that anonymises it (a child may have changed since)."""
    changes = _last_changes()
    query = (select(changes.c.child_id)
             .where(changes.c.child_id.in_(child_ids), changes.c.child_id.not_in(_open_children()))
             .group_by(changes.c.child_id)
             .having(func.max(changes.c.at) < cut_off))
    return set(session.execute(query).scalars())


def anonymise(session: Session, child: Child) -> None:
    """Remove who the child is and what was written about them; keep what the statistics count."""
    child.given_name = child.family_name = ""
    child.national_id_ciphertext = ""
    child.national_id_index = f"{ANONYMISED}:{child.id}"
    child.national_id_kind = ANONYMISED
    child.guardians = []
    child.birth_date = date(child.birth_date.year, 1, 1)
    referral_ids = list(session.execute(select(Referral.id).where(col(Referral.child_id) == child.id)).scalars())
    session.execute(delete(GuardianIdentity).where(col(GuardianIdentity.referral_id).in_(referral_ids)))
    for referral in session.execute(select(Referral).where(col(Referral.id).in_(referral_ids))).scalars():
        referral.child_given_name = referral.child_family_name = ""
        referral.child_guardians = []
        referral.description = referral.measures_tried = referral.child_view = ""
        referral.attachments = []
    events = select(ReferralEvent).where(col(ReferralEvent.referral_id).in_(referral_ids))
    for event in session.execute(events).scalars():
        event.data = _kept(event.data)
    handover_ids = list(session.execute(
        select(Handover.id).where(col(Handover.referral_id).in_(referral_ids))).scalars())
    for handover in session.execute(select(Handover).where(col(Handover.id).in_(handover_ids))).scalars():
        handover.content = _kept(handover.content)  # the clinic's name and codes; BUP's words about the child go
        handover.plan = handover.outcome = None
    steps = select(HandoverEvent).where(col(HandoverEvent.handover_id).in_(handover_ids))
    for step in session.execute(steps).scalars():
        step.data = _kept(step.data)
    for check_in in session.execute(select(CheckIn).where(col(CheckIn.child_id) == child.id)).scalars():
        check_in.outcome = check_in.cancel_reason = None
    session.execute(delete(MunicipalContact).where(col(MunicipalContact.referral_id).in_(referral_ids)))
    session.execute(delete(Alert).where(col(Alert.referral_id).in_(referral_ids)))


def _kept(data: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (data or {}).items() if key in KEPT_EVENT_KEYS}
