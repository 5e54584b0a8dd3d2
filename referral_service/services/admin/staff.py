"""Staff changes: an administrator deactivates a user, and everything the user held moves, in one transaction,
to a chosen colleague or back to the organisation's queue (DESIGN.md rule 8: nothing is left with an inactive
owner).

What a person can hold is a short list of movers (`MOVERS`), one function per kind of holding; a new kind
(as the check-ins after help ends were) is one more function and one more line there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.organisation import ApiToken, User
from referral_service.domain.referral import Referral
from referral_service.errors import InvalidData, NotFound
from referral_service.security.actor import Actor
from referral_service.services.admin import events
from referral_service.services.admin.directory import require_admin
from referral_service.services.admin.web_sessions import end_user_sessions
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators
from referral_service.services.fhir.subscription_errors import put_in_error_for_user
from referral_service.services.handovers import check_ins, holders, routing
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.staff_change import may_take_over, working_roles

#: Why the tasks moved, as their events say it.
DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class Departure:
    """Who leaves, who takes over (None: the organisation's queue), and the administrator who decided it."""

    leaver: User
    successor: User | None
    actor: Actor


@dataclass
class StaffChangeResult:
    """What the deactivation did: how many of each kind of holding moved, and the tokens revoked."""

    user_id: str
    successor_user_id: str | None
    to_queue: bool
    moved: dict[str, int] = field(default_factory=dict)
    tokens_revoked: int = 0
    #: Open tasks of the leaver's organisation that had nobody left to act on them and got a new owner.
    rerouted: int = 0


Mover = Callable[[SqlUnitOfWork, Clock, Departure], int]


def move_handovers(uow: SqlUnitOfWork, clock: Clock, departure: Departure) -> int:
    """Every open task the leaver holds goes to the successor or back to the queue, each with its event."""
    tasks = holders.held_by(uow.session, departure.leaver.id)
    for handover in tasks:
        holders.change_holder(uow, clock, handover=handover, successor=departure.successor, because=DEACTIVATED,
                              actor_id=departure.actor.user_id)
    uow.access_log.record(actor=departure.actor, action="handover_reassign_on_deactivation",
                          referrals=_referrals(uow.session, {h.referral_id for h in tasks}))
    return len(tasks)


def move_alerts(uow: SqlUnitOfWork, clock: Clock, departure: Departure) -> int:
    """The leaver's unread alerts go to the successor; without one, to the colleagues who do the same work (the
    administrators if there are none). An alert the new reader already has is done for the leaver."""
    session, leaver = uow.session, departure.leaver
    unread = list(session.exec(select(Alert).where(Alert.user_id == leaver.id, col(Alert.read_at).is_(None))))
    readers = [departure.successor] if departure.successor is not None else _colleagues(session, leaver)
    for alert in unread:
        if departure.successor is not None and not _has_alert(session, departure.successor.id, alert.dedupe_key):
            alert.user_id = departure.successor.id  # the same alert, now in the successor's inbox
            continue
        raise_alerts(uow, clock, users=[r for r in readers if r.id != alert.user_id], kind=alert.kind,
                     dedupe_key=alert.dedupe_key, data=alert.data, referral_id=alert.referral_id,
                     handover_id=alert.handover_id)
        alert.read_at = clock.now()
    return len(unread)


def move_check_ins(uow: SqlUnitOfWork, clock: Clock, departure: Departure) -> int:
    """The planned check-ins the leaver holds go to the successor, or to the owner's coordinators together."""
    return check_ins.move_check_ins(uow, clock, from_user_id=departure.leaver.id,
                                    to_user_id=departure.successor.id if departure.successor else None,
                                    actor_id=departure.actor.user_id)


def stop_subscriptions(uow: SqlUnitOfWork, clock: Clock, departure: Departure) -> int:
    """The FHIR subscriptions the leaver created cannot move (the need-to-know rule is asked as their creator):
    each goes to `error` with the reason, and the administrators and the organisation's leads are alerted."""
    return put_in_error_for_user(uow, clock, user_id=departure.leaver.id,
                                 reason="The user who created the subscription was deactivated.")


#: What a person may hold, and the function that moves each kind when the person leaves.
MOVERS: dict[str, Mover] = {
    "handovers": move_handovers,
    "check_ins": move_check_ins,
    "alerts": move_alerts,
    "fhir_subscriptions": stop_subscriptions,
}


def deactivate_user(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, user_id: str,
                    successor_user_id: str | None = None, to_queue: bool = False) -> StaffChangeResult:
    """The user can no longer sign in (web or API), and what they held moves; one transaction, or nothing."""
    with uow:
        require_admin(actor)
        session = uow.session
        leaver = session.get(User, user_id)
        if leaver is None:
            raise NotFound("No such user.")
        if leaver.id == actor.user_id:
            raise InvalidData("You cannot deactivate yourself.", errors={"user_id": ["Ask another administrator."]})
        successor = None if to_queue else _successor(session, leaver, successor_user_id)
        leaver.active = False
        session.flush()  # the rules below see the leaver as gone
        departure = Departure(leaver=leaver, successor=successor, actor=actor)
        result = StaffChangeResult(user_id=leaver.id, successor_user_id=successor.id if successor else None,
                                   to_queue=successor is None)
        result.tokens_revoked = _revoke_tokens(session, clock, leaver.id)
        end_user_sessions(session, user_id=leaver.id, at=clock.now(), reason=DEACTIVATED)  # the web's too
        for kind, mover in MOVERS.items():
            result.moved[kind] = mover(uow, clock, departure)
        for handover in routing.orphaned_handovers(session):
            if handover.owner_org_id == leaver.organisation_id and routing.reroute(
                    uow, clock, handover=handover, because="owner_inactive", actor_id=actor.user_id):
                result.rerouted += 1
        # The administration log's row, in the same transaction: a deactivation is never without its record.
        events.record(session, clock=clock, actor=actor, action=events.USER_DEACTIVATED, target_kind="user",
                      target_id=leaver.id, before={"active": True},
                      after={"active": False, "successor_user_id": result.successor_user_id,
                             "to_queue": result.to_queue, "moved": dict(result.moved)})
        uow.commit()
    return result


def _successor(session: Session, leaver: User, successor_user_id: str | None) -> User:
    """The colleague who takes over: active, in the leaver's organisation, doing the same work, and able to hold
    every task the leaver holds; otherwise 422."""
    successor = session.get(User, successor_user_id) if successor_user_id else None
    problem = None
    if successor is None:
        problem = "No such user."
    elif successor.id == leaver.id:
        problem = "Choose someone other than the person who leaves."
    elif not successor.active:
        problem = "This user is deactivated."
    elif successor.organisation_id != leaver.organisation_id:
        problem = "Choose someone in the same organisation."
    elif not may_take_over(leaver_roles=leaver.roles, successor_roles=successor.roles) or not all(
            routing.may_hold(successor, h) for h in holders.held_by(session, leaver.id)):
        problem = "This user does not have a role that can take over the work."
    if problem is not None or successor is None:
        raise InvalidData("The work cannot move to this user.", errors={"successor_user_id": [problem or ""]})
    return successor


def _colleagues(session: Session, leaver: User) -> list[User]:
    """Active people of the leaver's organisation who do the same work; the administrators if there are none."""
    roles = working_roles(leaver.roles) or frozenset(leaver.roles)
    people = session.exec(select(User).where(User.organisation_id == leaver.organisation_id,
                                             User.active.is_(True), User.id != leaver.id))
    same_work = sorted((u for u in people if roles & set(u.roles)), key=lambda u: u.id)
    return same_work or administrators(session)


def _has_alert(session: Session, user_id: str, dedupe_key: str) -> bool:
    return session.exec(select(Alert.id).where(Alert.user_id == user_id, Alert.dedupe_key == dedupe_key)
                        ).first() is not None


def _revoke_tokens(session: Session, clock: Clock, user_id: str) -> int:
    return session.execute(update(ApiToken).where(col(ApiToken.user_id) == user_id,
                                                  col(ApiToken.revoked_at).is_(None))
                           .values(revoked_at=clock.now())).rowcount


def _referrals(session: Session, ids: set[str]) -> list[Referral]:
    return list(session.exec(select(Referral).where(col(Referral.id).in_(ids)))) if ids else []
