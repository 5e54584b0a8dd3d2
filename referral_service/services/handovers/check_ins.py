"""Check-ins after the municipal help ended: scheduled with the close, listed, read, recorded, cancelled
with a reason, and moved when the coordinator leaves. Each change is a handover event for the child's case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.check_in import CheckIn
from referral_service.domain.enums import CheckInOutcome, CheckInStatus, ReferralStatus
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import User
from referral_service.domain.referral import Referral
from referral_service.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from referral_service.security.access_log import DENIED_CHECK_IN, record_attempt
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import may_work_on, visible_check_ins
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.handovers import routing
from referral_service.services.handovers.check_in_list import check_ins_page
from referral_service.services.pagination import Page, PageRequest
from referral_service.services.referrals.guards import if_match_fails
from referral_service.services.repositories import claim_row_version
from referral_service.services.unit_of_work import SqlUnitOfWork, UnitOfWork
from referral_service.workflows.check_ins import (
    CHECK_IN_ALERTS,
    NEXT_STEP,
    CheckInPolicy,
    check_in_due_on,
    is_due,
)
from referral_service.workflows.referral_lifecycle import Party

CHECK_IN_NOT_FOUND = "No such check-in, or it is not visible to you."
#: Why the sweep called a check-in off: the child has been referred again, so the new referral follows it up.
REFERRED_AGAIN = "child_referred_again"
RECORD, CANCEL = "record", "cancel"


@dataclass
class CheckInView:
    check_in: CheckIn
    due: bool
    #: What the reader may do with it: "record", "cancel" while it is planned and they hold it.
    actions: list[str] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return f'"{self.check_in.id}.{self.check_in.version}"'

    @property
    def next_step(self) -> str | None:
        code = self.check_in.outcome_code
        return NEXT_STEP[CheckInOutcome(code)] if code else None


def _event(check_in: CheckIn, handover: Handover, action: str, *, actor_id: str | None, at: datetime,
           data: dict[str, Any]) -> HandoverEvent:
    return HandoverEvent(handover_id=handover.id, action=action, from_status=handover.status,
                         to_status=handover.status, actor_id=actor_id, at=at,
                         data={"check_in_id": check_in.id, **data})


def schedule_check_in(uow: UnitOfWork, clock: Clock, *, policy: CheckInPolicy, handover: Handover,
                      referral: Referral, actor: Actor, closed_at: datetime) -> CheckIn:
    """In the close's own transaction: the check-in, held by the task's assignee or else the one who closed it."""
    check_in = CheckIn(handover_id=handover.id, referral_id=referral.id, child_id=referral.child_id,
                       owner_org_id=handover.owner_org_id, addressed_to=handover.addressed_to,
                       municipality_org_id=handover.municipality_org_id,
                       shared_with_municipality=referral.shared_with_municipality,
                       coordinator_user_id=handover.assignee_user_id or actor.user_id,
                       due_on=check_in_due_on(closed_on=clock.local_date(closed_at), policy=policy),
                       created_at=closed_at, updated_at=closed_at)
    uow.add(check_in)
    # Just after the close, so that the case's timeline shows the two in order even at one clock reading.
    uow.handovers.add_event(_event(check_in, handover, "check_in_scheduled", actor_id=actor.user_id,
                                   at=closed_at + timedelta(microseconds=1),
                                   data={"due_on": check_in.due_on.isoformat(),
                                         "coordinator_user_id": check_in.coordinator_user_id}))
    return check_in


def _visible(actor: Actor) -> Any:
    return select(CheckIn).where(visible_check_ins(actor))


def _view(uow: SqlUnitOfWork, *, actor: Actor, check_in: CheckIn, handover: Handover, referral: Referral,
          today: date) -> CheckInView:
    referrer_side = Party.REFERRER in uow.referrals.parties_of(actor=actor, referral=referral)
    holds = may_work_on(actor, handover, referrer_side=referrer_side)
    actions = [RECORD, CANCEL] if holds and check_in.status == CheckInStatus.PLANNED else []
    return CheckInView(check_in=check_in, due=check_in.status == CheckInStatus.PLANNED
                       and is_due(due_on=check_in.due_on, today=today), actions=actions)


def _tasks_and_referrals(session: Session, check_ins: list[CheckIn]) -> tuple[dict[str, Handover],
                                                                                dict[str, Referral]]:
    """The tasks and referrals of a page of check-ins, by id, in one query each (foreign keys guarantee them)."""
    if not check_ins:
        return {}, {}
    handovers = session.exec(select(Handover).where(col(Handover.id).in_({c.handover_id for c in check_ins})))
    referrals = session.exec(select(Referral).where(col(Referral.id).in_({c.referral_id for c in check_ins})))
    return {h.id: h for h in handovers}, {r.id: r for r in referrals}


def list_check_ins(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, page: int, per_page: int,
                   due_by: date | None = None, status: str | None = None, handover_id: str | None = None,
                   mine: bool = False) -> Page[CheckInView]:
    """The check-ins the reader may see, soonest due first; `due_by` gives those due on or before that day."""
    with uow:
        found = check_ins_page(uow.session, actor=actor, wanted=PageRequest(per_page=per_page, page=page),
                               due_by=due_by, status=status, handover_id=handover_id, mine=mine)
        handovers, referrals = _tasks_and_referrals(uow.session, found.items)
        today = clock.today()
        views = [_view(uow, actor=actor, check_in=c, handover=handovers[c.handover_id],
                       referral=referrals[c.referral_id], today=today) for c in found.items]
        uow.access_log.record(actor=actor, action="list_check_ins",
                              referrals=[referrals[c.referral_id] for c in found.items])
        uow.commit()
    return Page(items=views, total=found.total, page=found.page, per_page=found.per_page,
                next_after=found.next_after)


def due_today(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor) -> list[CheckInView]:
    """The planned check-ins due today or earlier that the reader holds: their worklist."""
    listed = list_check_ins(uow, clock, actor=actor, page=1, per_page=200, due_by=clock.today(),
                            status=CheckInStatus.PLANNED)
    return [view for view in listed.items if view.actions]


def _get_visible(uow: SqlUnitOfWork, *, actor: Actor, check_in_id: str) -> tuple[CheckIn, Handover, Referral]:
    check_in = uow.session.exec(_visible(actor).where(col(CheckIn.id) == check_in_id)).first()
    if check_in is None:  # an attempt on a child's check-in: logged even though the use case rolls back
        record_attempt(uow.session, actor=actor, action=DENIED_CHECK_IN, requested_id=check_in_id)
        raise NotFound(CHECK_IN_NOT_FOUND)
    handover, referral = uow.session.get(Handover, check_in.handover_id), uow.session.get(Referral,
                                                                                          check_in.referral_id)
    assert handover is not None and referral is not None
    return check_in, handover, referral


def get_check_in(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, check_in_id: str) -> CheckInView:
    with uow:
        check_in, handover, referral = _get_visible(uow, actor=actor, check_in_id=check_in_id)
        view = _view(uow, actor=actor, check_in=check_in, handover=handover, referral=referral, today=clock.today())
        uow.access_log.record(actor=actor, action="read_check_in", referrals=[referral])
        uow.commit()
    return view


def _act(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, check_in_id: str, if_match: str | None,
         action: str) -> tuple[CheckIn, Handover, Referral]:
    """The guards every change passes: visible (404), held by the reader (403), fresh (412), planned (409)."""
    check_in, handover, referral = _get_visible(uow, actor=actor, check_in_id=check_in_id)
    referrer_side = Party.REFERRER in uow.referrals.parties_of(actor=actor, referral=referral)
    if not may_work_on(actor, handover, referrer_side=referrer_side):
        raise Forbidden("Only the organisation that owns the task may record its check-in.")
    if if_match_fails(f'"{check_in.id}.{check_in.version}"', if_match):
        raise PreconditionFailed("The check-in has changed since you read it. Fetch it again.")
    if check_in.status != CheckInStatus.PLANNED:
        raise Conflict(f"The check-in is {check_in.status}; only a planned check-in can be {action}ed.")
    claim_row_version(uow.session, CheckIn, check_in, if_match=if_match)
    return check_in, handover, referral


def record_check_in(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, check_in_id: str, outcome: str,
                    outcome_code: str, if_match: str | None = None) -> CheckInView:
    """The check-in's outcome in the coordinator's words and as a code; the alerts about it are settled."""
    with uow:
        check_in, handover, referral = _act(uow, clock, actor=actor, check_in_id=check_in_id, if_match=if_match,
                                            action=RECORD)
        now = clock.now()
        check_in.status, check_in.outcome, check_in.outcome_code = CheckInStatus.DONE, outcome, \
            CheckInOutcome(outcome_code)
        check_in.done_by_user_id, check_in.done_at, check_in.updated_at = actor.user_id, now, now
        next_step = NEXT_STEP[CheckInOutcome(outcome_code)]
        uow.handovers.add_event(_event(check_in, handover, "check_in_recorded", actor_id=actor.user_id, at=now,
                                       data={"outcome_code": outcome_code, "next_step": next_step}))
        uow.handovers.settle_alerts(handover.id, CHECK_IN_ALERTS, now)
        uow.access_log.record(actor=actor, action="record_check_in", referrals=[referral])
        view = _view(uow, actor=actor, check_in=check_in, handover=handover, referral=referral,
                     today=clock.today())
        uow.commit()
    return view


def cancel_check_in(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, check_in_id: str, reason: str,
                    if_match: str | None = None) -> CheckInView:
    """Call the check-in off, with the reason (e.g. the child is referred again); never silently."""
    with uow:
        check_in, handover, referral = _act(uow, clock, actor=actor, check_in_id=check_in_id, if_match=if_match,
                                            action=CANCEL)
        now = clock.now()
        check_in.status, check_in.cancel_reason = CheckInStatus.CANCELLED, reason
        check_in.done_by_user_id, check_in.done_at, check_in.updated_at = actor.user_id, now, now
        uow.handovers.add_event(_event(check_in, handover, "check_in_cancelled", actor_id=actor.user_id, at=now,
                                       data={"reason": reason}))
        uow.handovers.settle_alerts(handover.id, CHECK_IN_ALERTS, now)
        uow.access_log.record(actor=actor, action="cancel_check_in", referrals=[referral])
        view = _view(uow, actor=actor, check_in=check_in, handover=handover, referral=referral,
                     today=clock.today())
        uow.commit()
    return view


def move_check_ins(uow: SqlUnitOfWork, clock: Clock, *, from_user_id: str, to_user_id: str | None,
                   actor_id: str | None = None) -> int:
    """In the caller's transaction: the planned check-ins `from_user_id` holds go to `to_user_id`, or to the
    owner organisation's coordinators together when None; each move is a handover event. Returns how many."""
    session, now = uow.session, clock.now()
    planned = session.exec(select(CheckIn).where(col(CheckIn.coordinator_user_id) == from_user_id,
                                                 col(CheckIn.status) == CheckInStatus.PLANNED)).all()
    for check_in in planned:
        handover = session.get(Handover, check_in.handover_id)
        assert handover is not None
        check_in.coordinator_user_id, check_in.updated_at = to_user_id, now
        check_in.version += 1
        session.add(_event(check_in, handover, "check_in_moved", actor_id=actor_id, at=now,
                           data={"from_user_id": from_user_id, "to_user_id": to_user_id}))
    return len(planned)


def due_recipients(session: Session, check_in: CheckIn, handover: Handover) -> list[User]:
    """The coordinator who holds it while active at the owner; else the owner's coordinators; never no one."""
    holder = session.get(User, check_in.coordinator_user_id) if check_in.coordinator_user_id else None
    if holder is not None and holder.active and holder.organisation_id == handover.owner_org_id:
        return [holder]
    return routing.actors(session, handover) or routing.escalation_recipients(session, handover)


def planned_due(session: Session, today: date) -> list[tuple[CheckIn, Handover]]:
    """The planned check-ins whose due date has come, with their tasks."""
    rows = session.exec(select(CheckIn, Handover).join(Handover, col(Handover.id) == col(CheckIn.handover_id))
                        .where(col(CheckIn.status) == CheckInStatus.PLANNED, col(CheckIn.due_on) <= today)).all()
    return [(c, h) for c, h in rows]


def referred_again(session: Session) -> list[tuple[CheckIn, Handover, Referral]]:
    """Planned check-ins whose child has been referred again (a referral sent after the check-in was planned),
    with the task and the new referral."""
    rows = session.exec(
        select(CheckIn, Handover, Referral)
        .join(Handover, col(Handover.id) == col(CheckIn.handover_id))
        .join(Referral, (col(Referral.child_id) == col(CheckIn.child_id))
              & (col(Referral.id) != col(CheckIn.referral_id)))
        .where(col(CheckIn.status) == CheckInStatus.PLANNED, col(Referral.status) != ReferralStatus.DRAFT,
               col(Referral.created_at) > col(CheckIn.created_at))
        .order_by(col(Referral.created_at))).all()
    first: dict[str, tuple[CheckIn, Handover, Referral]] = {}
    for check_in, handover, referral in rows:
        first.setdefault(check_in.id, (check_in, handover, referral))
    return list(first.values())


def cancel_because_referred_again(uow: SqlUnitOfWork, clock: Clock, *, check_in: CheckIn, handover: Handover,
                                  new_referral: Referral) -> None:
    """In the sweep's transaction: the check-in is called off, never silently: an event on the task, and its
    holder is told."""
    now = clock.now()
    recipients = due_recipients(uow.session, check_in, handover)
    check_in.status, check_in.cancel_reason, check_in.done_at, check_in.updated_at = (
        CheckInStatus.CANCELLED, REFERRED_AGAIN, now, now)
    check_in.version += 1
    uow.add(_event(check_in, handover, "check_in_cancelled", actor_id=None, at=now,
                   data={"reason": REFERRED_AGAIN, "new_referral_id": new_referral.id}))
    uow.handovers.settle_alerts(handover.id, CHECK_IN_ALERTS, now)
    raise_alerts(uow, clock, users=recipients, kind="check_in_cancelled",
                 dedupe_key=f"check_in:{check_in.id}:cancelled", data={"due": check_in.due_on.isoformat()},
                 referral_id=check_in.referral_id, handover_id=handover.id)
