"""Everything the referral page shows in one read: the referral, its timeline, BUP's questions and
decision, and the handover with who holds it in the municipality. One access-log row."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlmodel import select

from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.alerts.recipients import municipality_of
from referral_service.services.cases.read_model import ChildCase, read_case
from referral_service.services.referrals.consent_page import may_change_consent
from referral_service.services.referrals.drafts import CONTACTS_OPEN_IN
from referral_service.services.referrals.queries import current_handover, events_of
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ChildDetails, ReferralView, build_view
from referral_service.workflows.referral_lifecycle import DECISION_EVENTS, MOVE_REFUSED_IN, Party, actions_open_to


@dataclass
class ReferralPage:
    """What the referral page shows, read once; `context()` gives the template its names."""

    view: ReferralView
    referral: Referral
    child: ChildDetails
    events: list[ReferralEvent]
    people: dict[str, User]
    organisations: dict[str, Organisation]
    home_municipality: Organisation | None
    handover: Handover | None
    handover_events: list[HandoverEvent]
    holder: User | None
    actions: list[ReferralAction]
    questions: list[ReferralEvent]
    decision: ReferralEvent | None
    parties: set[str]
    #: The child's case (Barnets historikk) as this reader may see it, with the repeat count.
    case: ChildCase

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def referral_page(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str, window_months: int) -> ReferralPage:
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        view = build_view(session, referral, viewer=actor)
        events = events_of(session, referral.id)
        handover = current_handover(session, referral.id)
        people = {u.id: u for u in session.exec(select(User).where(User.id.in_({e.actor_id for e in events})))}
        organisations = organisations_by_id(session, {
            referral.clinic_id, referral.referrer_org_id, handover.municipality_org_id if handover else None,
            handover.owner_org_id if handover else None,
            *(e.actor_org_id for e in events), *(c.organisation_id for c in view.municipal_contacts),
            *(c.organisation_id for c in view.co_referrers)})
        handover_events = list(session.exec(select(HandoverEvent).where(HandoverEvent.handover_id == handover.id)
                                            .order_by(HandoverEvent.at))) if handover else []
        holder = session.get(User, handover.assignee_user_id) if handover and handover.assignee_user_id else None
        parties = uow.referrals.parties_of(actor=actor, referral=referral)
        record_access(session, actor=actor, action="read", referrals=[referral])
        case, seen = read_case(session, actor=actor, anchor=referral, window_months=window_months)
        record_access(session, actor=actor, action="read_case", referrals=seen)
        uow.commit()
        return ReferralPage(
            view=view, referral=referral, child=view.child, events=events, people=people,
            organisations=organisations, home_municipality=municipality_of(session, referral.child_home_municipality),
            handover=handover, handover_events=handover_events, holder=holder,
            actions=[*(a for a in actions_open_to(status=ReferralStatus(referral.status), parties=parties)
                       if a != ReferralAction.RECORD_EPIKRISE or referral.epikrise_pending),
                     # After submission the referring side may still name who in the municipality is around the child.
                     *([ReferralAction.UPDATE_MUNICIPAL_CONTACTS] if Party.REFERRER in parties
                       and referral.status in CONTACTS_OPEN_IN and referral.status != ReferralStatus.DRAFT else []),
                     # The referring side records that the family has moved (BUP and the municipality: API, task page).
                     *([ReferralAction.MOVE] if Party.REFERRER in parties
                       and referral.status not in MOVE_REFUSED_IN else []),
                     # The referring side narrows or withdraws the consent on its own page (Samtykke).
                     *([ReferralAction.CHANGE_CONSENT] if may_change_consent(status=referral.status, parties=parties)
                       else [])],
            questions=[e for e in events if e.action == ReferralAction.REQUEST_INFORMATION],
            decision=next((e for e in reversed(events) if e.action in DECISION_EVENTS), None),
            parties={p.value for p in parties}, case=case)
