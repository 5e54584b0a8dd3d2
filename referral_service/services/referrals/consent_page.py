"""The referrer's consent page (Samtykke): what the consent in force shares, and what narrowing it would change,
read before the change is confirmed (the change itself: services/referrals/consent.change_consent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select

from referral_service.domain.enums import (
    ChildWelfareBasis,
    HandoverAddressee,
    HandoverStatus,
    OrganisationKind,
    ReferralAction,
    ReferralStatus,
    ShareWith,
)
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import User
from referral_service.domain.referral import Consent, Referral, ReferralEvent
from referral_service.errors import InvalidData, NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ChildDetails, build_view
from referral_service.workflows.age_range import age_for_rules
from referral_service.workflows.consent import consent_problems, scope_needed
from referral_service.workflows.referral_lifecycle import Party

#: While the child is with BUP, a decision that hands the child back is still to come.
WITH_BUP = (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED, ReferralStatus.ACCEPTED,
            ReferralStatus.IN_TREATMENT)


def may_change_consent(*, status: str, parties: frozenset[Party] | set[Party]) -> bool:
    """The referring side (referrer or co-referrer) changes the consent of a sent referral; a draft's consent is
    edited in the referral form."""
    return Party.REFERRER in parties and status != ReferralStatus.DRAFT


@dataclass(frozen=True)
class TakingPart:
    """An organisation on the referral whose sight of it depends on one scope of the consent."""

    name: str
    is_reader: bool  # the organisation of the one reading the page


@dataclass(frozen=True)
class ConsentPage:
    referral: Referral
    child: ChildDetails
    consent: Consent | None
    etag: str
    #: The scopes that may be withdrawn here (all but BUP), as shared now.
    shared: list[str]
    referrer_name: str
    reader_referred: bool
    #: A decision that hands the child back may still come (it would go to the municipality only with consent).
    hand_back_to_come: bool
    #: An open handover task that the municipality holds now (it would move to the referring side).
    open_task_with_municipality: bool
    #: The organisations that see the referral only by consent to share with the school (PPT).
    by_school_consent: list[TakingPart] = field(default_factory=list)
    #: The child welfare partner that sees it by consent (not by its legal duty); "" when none.
    child_welfare_by_consent: str = ""
    #: The last change of the consent: when, and by whom.
    last_change_at: datetime | None = None
    last_change_by: str = ""


def consent_page(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str) -> ConsentPage:
    """The page for one who may change the consent; NotFound for anyone else (the page does not exist for them)."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        if not may_change_consent(status=referral.status, parties=uow.referrals.parties_of(actor=actor,
                                                                                           referral=referral)):
            raise NotFound("No consent page for this referral.")
        view = build_view(session, referral, viewer=actor)
        handover = current_handover(session, referral.id)
        taking_part = [referral.referrer_org_id, *(c.organisation_id for c in view.co_referrers)]
        organisations = organisations_by_id(session, {*taking_part, referral.child_welfare_org_id})
        change = session.execute(
            select(ReferralEvent.at, User.name).join(User, col(User.id) == col(ReferralEvent.actor_id))
            .where(col(ReferralEvent.referral_id) == referral.id,
                   col(ReferralEvent.action) == ReferralAction.CHANGE_CONSENT)
            .order_by(col(ReferralEvent.at).desc()).limit(1)).first()
        record_access(session, actor=actor, action="read_consent", referrals=[referral])
        uow.commit()
        shared = set(view.consent.share_with) if view.consent else set()
        partner = organisations.get(referral.child_welfare_org_id or "")
        return ConsentPage(
            referral=referral, child=view.child, consent=view.consent, etag=view.etag,
            shared=[scope for scope in (ShareWith.MUNICIPALITY, ShareWith.SCHOOL, ShareWith.CHILD_WELFARE)
                    if scope in shared],
            referrer_name=organisations[referral.referrer_org_id].name,
            reader_referred=referral.referrer_org_id == actor.organisation_id,
            hand_back_to_come=referral.status in WITH_BUP,
            open_task_with_municipality=_open_at_municipality(handover),
            by_school_consent=[TakingPart(name=organisations[o].name, is_reader=o == actor.organisation_id)
                               for o in dict.fromkeys(taking_part) if o in organisations
                               and scope_needed(organisations[o].kind) is ShareWith.SCHOOL],
            child_welfare_by_consent=partner.name if partner is not None and partner.kind
            == OrganisationKind.CHILD_WELFARE and referral.child_welfare_basis == ChildWelfareBasis.CONSENT else "",
            last_change_at=change[0] if change else None, last_change_by=change[1] if change else "")


def _open_at_municipality(handover: Handover | None) -> bool:
    return (handover is not None and handover.status != HandoverStatus.CLOSED
            and handover.addressed_to == HandoverAddressee.MUNICIPALITY)


def check_change(page: ConsentPage, consent: dict[str, Any], *, today: date) -> None:
    """Refuse before it is confirmed what the change would be refused for (the same rule: workflows/consent.py)."""
    problems = consent_problems(age=age_for_rules(page.child.birth_date, today), given_by=consent.get("given_by") or [],
                                share_with=consent.get("share_with") or [],
                                withhold_from_guardians=bool(consent.get("withhold_from_guardians")))
    if problems:
        raise InvalidData("The consent does not fit the child's age.",
                          errors={"consent": [problem.reason for problem in problems]})
