"""Need-to-know for handover tasks: the municipality it is addressed to (while consent allows),
the referring side, BUP, and the lead of the referring organisation that owns it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlmodel import col

from referral_service.domain.enums import HandoverAddressee, HandoverStatus, Role
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.consent_scope import shared_with_municipality
from referral_service.security.visibility import is_municipal, visible_referrals


def visible_handovers(actor: Actor) -> ColumnElement[bool]:
    """Municipal staff see tasks addressed to their municipality; referral parties see their referrals' tasks."""
    clauses: list[ColumnElement[bool]] = []
    if is_municipal(actor):
        clauses.append((col(Handover.addressed_to) == HandoverAddressee.MUNICIPALITY)
                       & (col(Handover.municipality_org_id) == actor.organisation_id)
                       & col(Handover.referral_id).in_(select(col(Referral.id)).where(
                           shared_with_municipality())))
    if actor.has_role(Role.REFERRER) or actor.has_role(Role.BUP_INTAKE):
        clauses.append(col(Handover.referral_id).in_(select(col(Referral.id)).where(visible_referrals(actor))))
    if actor.has_role(Role.REFERRER_LEAD):
        # The top of the ladder for the tasks the organisation owns.
        clauses.append((col(Handover.addressed_to) == HandoverAddressee.REFERRER)
                       & (col(Handover.owner_org_id) == actor.organisation_id))
    return or_(*clauses) if clauses else false()


def may_work_on(actor: Actor, handover: Handover, *, referrer_side: bool) -> bool:
    """Who acts on the task: the municipality that owns it; or, when a referring organisation owns it, the
    referring side and the owner's lead."""
    if handover.addressed_to == HandoverAddressee.MUNICIPALITY:
        return is_municipal(actor) and handover.municipality_org_id == actor.organisation_id
    if actor.has_role(Role.REFERRER_LEAD) and handover.owner_org_id == actor.organisation_id:
        return True
    return handover.addressed_to == HandoverAddressee.REFERRER and referrer_side and actor.has_role(Role.REFERRER)


def holds_open_task(actor: Actor, handover: Handover | None) -> bool:
    """A coordinator (or lead) of the municipality that holds this open task: they may record that the family
    moved away."""
    return (handover is not None and handover.status != HandoverStatus.CLOSED
            and handover.addressed_to == HandoverAddressee.MUNICIPALITY
            and may_work_on(actor, handover, referrer_side=False))
