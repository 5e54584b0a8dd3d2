"""A family that moves takes its open handover with it: the task in the old municipality closes as transferred,
and the next one opens in the new home municipality with BUP's advice, the old task's history and fresh deadlines.
The task is transferred, never dropped (DESIGN.md rule 8)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverOutcome, HandoverStatus
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.errors import Conflict
from referral_service.security.actor import Actor
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.family.letter_drafts import draft_letter_for_handover_step
from referral_service.services.handovers import routing
from referral_service.services.handovers.creation import due_dates
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.deadlines import DeadlinePolicy


def transfer_open_handover(uow: SqlUnitOfWork, clock: Clock, *, deadlines: DeadlinePolicy, referral: Referral,
                           move_event: ReferralEvent, actor: Actor, moved_on: date) -> tuple[Handover, Handover] | None:
    """Move the referral's open task to its (already changed) home municipality; (old, new), or None when there
    is no open task to move. No commit: the move, the closed task and the new one are one transaction."""
    session = uow.session
    old = current_handover(session, referral.id)
    if old is None or old.status == HandoverStatus.CLOSED:
        return None
    uow.handovers.claim_version(old)  # a step on the old task at the same time loses with 409, or this does
    ownership, municipality = routing.ownership_for(session, referral)
    acknowledge_due, first_contact_due = due_dates(deadlines, municipality, created_on=clock.today())
    new = Handover(
        referral_id=referral.id, trigger_event_id=move_event.id, trigger=old.trigger,
        municipality_number=referral.child_home_municipality,
        municipality_org_id=municipality.id if municipality else None, addressed_to=ownership.addressed_to,
        acknowledge_due=acknowledge_due, first_contact_due=first_contact_due,
        content={name: value for name, value in old.content.items() if name != "municipal_contacts"},
        transferred_from_id=old.id, created_at=clock.now(), updated_at=clock.now())
    routing.apply_ownership(session, new, referral, ownership)
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        raise Conflict("The task was transferred by someone else at the same time.") from None
    _close_as_transferred(uow, clock, old=old, new=new, actor=actor, moved_on=moved_on)
    transfer_in = HandoverEvent(handover_id=new.id, action="transfer_in", to_status=new.status,
                                actor_id=actor.user_id, at=clock.now(),
                                data={"transferred_from_id": old.id, "from_municipality": old.municipality_number,
                                      "owner_org_id": new.owner_org_id, "reason": new.owner_reason,
                                      "moved_on": moved_on.isoformat()})
    session.add(transfer_in)
    _tell_both_sides(uow, clock, old=old, new=new, referral=referral)
    # The owner changed: the family gets a letter naming who follows up now (the new owner sends it).
    draft_letter_for_handover_step(session, clock, handover=new, referral=referral, step=transfer_in)
    return old, new


def _close_as_transferred(uow: SqlUnitOfWork, clock: Clock, *, old: Handover, new: Handover, actor: Actor,
                          moved_on: date) -> None:
    """The old task ends as transferred (not done), linked to the one that continues it; its alerts are settled."""
    from_status = old.status
    old.status, old.outcome_code, old.closed_at = HandoverStatus.CLOSED, HandoverOutcome.TRANSFERRED, clock.now()
    old.transferred_to_id, old.updated_at = new.id, clock.now()
    uow.handovers.add_event(HandoverEvent(
        handover_id=old.id, action="transfer_out", from_status=from_status, to_status=old.status,
        actor_id=actor.user_id, at=clock.now(),
        data={"transferred_to_id": new.id, "to_municipality": new.municipality_number,
              "outcome_code": HandoverOutcome.TRANSFERRED.value, "moved_on": moved_on.isoformat()}))
    uow.handovers.settle_alerts(old.id, None, clock.now())


def _tell_both_sides(uow: SqlUnitOfWork, clock: Clock, *, old: Handover, new: Handover, referral: Referral) -> None:
    """The new owner's people are told the task is theirs now (administrators when nobody can act there); the old
    owner's people that it has gone, unless the owner stays the same."""
    session = uow.session
    clinic = session.get(Organisation, referral.clinic_id)
    routing.tell_owner(uow, clock, handover=new, clinic_name=clinic.name if clinic else "BUP",
                       key=f"handover:{new.id}:created", kind="handover_transferred_in",
                       data={"from_municipality": _named(session, old), "to_municipality": _named(session, new)})
    if old.owner_org_id != new.owner_org_id:
        raise_alerts(uow, clock, users=routing.actors(session, old), kind="handover_transferred_out",
                     dedupe_key=f"handover:{old.id}:transferred",
                     data={"to_municipality": _named(session, new)},
                     referral_id=referral.id, handover_id=old.id)


def _named(session: Session, handover: Handover) -> str:
    """The task's municipality as an alert names it: the organisation's name, or its number when not connected."""
    organisation = session.get(Organisation, handover.municipality_org_id) if handover.municipality_org_id else None
    return organisation.name if organisation else f"kommune {handover.municipality_number}"
