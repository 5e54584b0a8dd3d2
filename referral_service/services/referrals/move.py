"""The family moves to another municipality: the referral records the new home municipality (a real one, from
the register), and an open handover goes with the child (services/handovers/transfer.py)."""

from __future__ import annotations

from datetime import date

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.municipalities import MunicipalityRegister, UnknownMunicipality
from referral_service.domain.referral import ReferralEvent
from referral_service.errors import InvalidData
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import holds_open_task
from referral_service.services.handovers.transfer import transfer_open_handover
from referral_service.services.referrals.guards import check_if_match
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ReferralView
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.referral_lifecycle import Party


def record_move(uow: SqlUnitOfWork, clock: Clock, *, deadlines: DeadlinePolicy, municipalities: MunicipalityRegister,
                actor: Actor, referral_id: str, home_municipality: str, moved_on: date | None,
                if_match: str | None) -> ReferralView:
    """Record the child's new home municipality in one transaction: 404, 403, 409, 412 or 422, or the referral,
    with its open task (if any) transferred to the new municipality."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        handover = current_handover(session, referral.id)
        parties = uow.referrals.parties_of(actor=actor, referral=referral) | (
            {Party.MUNICIPALITY} if holds_open_task(actor, handover) else set())
        lifecycle.check_move(status=ReferralStatus(referral.status), parties=frozenset(parties))
        check_if_match(referral, if_match)
        today = clock.today()
        new_home = _new_home(municipalities, home_municipality, today)
        lifecycle.check_new_home(old_municipality=referral.child_home_municipality, new_municipality=new_home)
        moved_on = moved_on or today
        if moved_on > today:
            raise InvalidData("A move is recorded once the family has moved.",
                              errors={"moved_on": ["After today."]})
        uow.referrals.claim_version(referral, if_match=if_match)
        from_municipality = referral.child_home_municipality
        # This referral's description of the child, and the shared child row that new referrals start from.
        referral.child_home_municipality = new_home
        uow.referrals.child_of(referral).home_municipality = new_home
        referral.updated_at = clock.now()
        data = {"from_municipality": from_municipality, "to_municipality": new_home, "moved_on": moved_on.isoformat()}
        event = uow.record_event(ReferralEvent(
            referral_id=referral.id, action=ReferralAction.MOVE, from_status=referral.status,
            to_status=referral.status, actor_id=actor.user_id, actor_org_id=actor.organisation_id, at=clock.now(),
            data=data))
        transferred = transfer_open_handover(uow, clock, deadlines=deadlines, referral=referral, move_event=event,
                                             actor=actor, moved_on=moved_on)
        if transferred is not None:
            old, new = transferred
            event.data = {**data, "transferred_from_id": old.id, "transferred_to_id": new.id}
        uow.access_log.record(actor=actor, action=str(ReferralAction.MOVE), referrals=[referral])
        view = uow.referrals.view(referral)
        uow.commit()
    return view


def _new_home(municipalities: MunicipalityRegister, number: str, today: date) -> str:
    """The municipality that holds this number today (an old number becomes its successor's), or 422."""
    try:
        return municipalities.current(number, today).number
    except UnknownMunicipality as exc:
        raise InvalidData("The new home municipality is not in the municipality register.",
                          errors={"home_municipality": [exc.reason]}) from None
