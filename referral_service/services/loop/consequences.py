"""What follows a referral event: the handover for a rejection, discharge or late withdrawal, and
alerts to the referrer about BUP's answers. Runs in a worker, never in the web request."""

from __future__ import annotations

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralAction
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import referrer_side
from referral_service.services.handovers.creation import ensure_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.deadlines import DeadlinePolicy

#: BUP's answers that the referrer is told about when no handover carries them.
REFERRER_NOTICES = frozenset({ReferralAction.REQUEST_INFORMATION, ReferralAction.ACCEPT, ReferralAction.FORWARD})


def handle_referral_event(uow: SqlUnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy,
                          event: ReferralEvent) -> None:
    """Apply the event's consequences in the caller's unit of work; safe to run twice."""
    if event.handover_trigger is not None:
        ensure_handover(uow, clock=clock, deadlines=deadlines, event=event)
        return
    session = uow.session
    if event.action not in REFERRER_NOTICES:
        return
    referral = session.get(Referral, event.referral_id)
    clinic = session.get(Organisation, referral.clinic_id)
    raise_alerts(uow, clock, users=referrer_side(session, referral), kind=f"referral_{event.action}",
                 dedupe_key=f"referral-event:{event.id}", data={"clinic": clinic.name},
                 referral_id=referral.id)
