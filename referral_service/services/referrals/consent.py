"""Withdrawing or narrowing consent: from the change on, views and alerts follow the new scope."""

from __future__ import annotations

from typing import Any

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralAction, ReferralStatus, ShareWith
from referral_service.domain.referral import Referral
from referral_service.errors import InvalidData
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.handovers import routing
from referral_service.services.referrals.drafts import record_consent
from referral_service.services.referrals.events import record_event
from referral_service.services.referrals.guards import check_if_match, require_party
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ReferralView, build_view
from referral_service.workflows.age_range import age_for_rules
from referral_service.workflows.consent import consent_problems
from referral_service.workflows.referral_lifecycle import Party


def change_consent(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str,
                   consent: dict[str, Any], if_match: str | None) -> ReferralView:
    """Record a new consent for the referral; the change is an event in its history."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        require_party(uow.referrals, actor=actor, referral=referral, party=Party.REFERRER)
        check_if_match(referral, if_match)
        scope = set(consent.get("share_with") or [])
        if referral.status != ReferralStatus.DRAFT and ShareWith.BUP not in scope:
            raise InvalidData("Without consent to share with BUP the referral must be withdrawn instead.",
                              errors={"share_with": ["Must include bup while the referral is with BUP."]})
        problems = consent_problems(age=age_for_rules(uow.referrals.child_of(referral).birth_date, clock.today()),
                                    given_by=consent.get("given_by") or [], share_with=scope,
                                    withhold_from_guardians=bool(consent.get("withhold_from_guardians")))
        if problems:
            raise InvalidData("The consent does not fit the child's age.",
                              errors={"consent": [problem.reason for problem in problems]})
        uow.referrals.claim_version(referral, if_match=if_match)
        record_consent(session, referral=referral, actor=actor, consent=consent, now=clock.now())
        referral.updated_at = clock.now()
        record_event(uow, clock, referral=referral, action=ReferralAction.CHANGE_CONSENT,
                     from_status=referral.status, actor=actor,
                     data={"share_with": sorted(scope), "given_by": sorted(set(consent.get("given_by") or [])),
                           "withhold_from_guardians": bool(consent.get("withhold_from_guardians"))})
        _readdress_open_handover(uow, clock, referral=referral, actor=actor)
        record_access(session, actor=actor, action="change_consent", referrals=[referral])
        uow.commit()
        return build_view(session, referral)


def _readdress_open_handover(uow: SqlUnitOfWork, clock: Clock, *, referral: Referral, actor: Actor) -> None:
    """A changed consent may move an open task: without consent to share with the municipality it goes to the
    referring side and reveals nothing more to the municipality (the owner rule decides)."""
    handover = current_handover(uow.session, referral.id)
    if handover is not None:
        routing.reroute(uow, clock, handover=handover, because="consent_changed", actor_id=actor.user_id)
