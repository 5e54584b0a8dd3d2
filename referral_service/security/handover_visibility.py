"""Need-to-know for handover tasks: the municipality it is addressed to (while consent allows),
the referring side, BUP, and the lead of the referring organisation that owns it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlmodel import col

from referral_service.domain.check_in import CheckIn
from referral_service.domain.enums import HandoverAddressee, HandoverStatus, Role
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.consent_scope import shared_with_municipality
from referral_service.security.visibility import is_municipal, referral_parts, visible_referrals


def _referral_of_task() -> ColumnElement[bool]:
    return col(Referral.id) == col(Handover.referral_id)


def _addressed_to_municipality(actor: Actor) -> ColumnElement[bool]:
    """Tasks addressed to the actor's municipality, while the consent shares the referral with it; the referral is
    looked up by the task's own `referral_id` (never a scan of every referral shared with municipalities)."""
    return ((col(Handover.addressed_to) == HandoverAddressee.MUNICIPALITY)
            & (col(Handover.municipality_org_id) == actor.organisation_id)
            & select(col(Referral.id)).where(_referral_of_task(), shared_with_municipality()).exists())


def _owned_by_referrer(actor: Actor) -> ColumnElement[bool]:
    """The top of the ladder for the tasks the (referring) organisation owns."""
    return ((col(Handover.addressed_to) == HandoverAddressee.REFERRER)
            & (col(Handover.owner_org_id) == actor.organisation_id))


def _referral_party(actor: Actor) -> bool:
    return actor.has_role(Role.REFERRER) or actor.has_role(Role.BUP_INTAKE)


def visible_handovers(actor: Actor) -> ColumnElement[bool]:
    """Municipal staff see tasks addressed to their municipality; referral parties see their referrals' tasks.

    Shaped to test given tasks (one by id, a page): each task's referral is looked up by its own `referral_id`."""
    clauses: list[ColumnElement[bool]] = []
    if is_municipal(actor):
        clauses.append(_addressed_to_municipality(actor))
    if _referral_party(actor):
        clauses.append(select(col(Referral.id)).where(_referral_of_task(), visible_referrals(actor)).exists())
    if actor.has_role(Role.REFERRER_LEAD):
        clauses.append(_owned_by_referrer(actor))
    return or_(*clauses) if clauses else false()


def handover_parts(actor: Actor) -> list[ColumnElement[bool]]:
    """The same rule for lists, as clauses a task matches any of: each one found through an index (the task's
    municipality or owner, or the tasks of the referrals a party finds through theirs), never by reading every task."""
    parts: list[ColumnElement[bool]] = []
    if is_municipal(actor):
        parts.append(_addressed_to_municipality(actor))
    if _referral_party(actor):
        parts += [col(Handover.referral_id).in_(select(col(Referral.id)).where(part.finds_many()))
                  for part in referral_parts(actor)]
    if actor.has_role(Role.REFERRER_LEAD):
        parts.append(_owned_by_referrer(actor))
    return parts


def _its_task(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """The check-in's own task (looked up by its id) matches `clause`."""
    return select(col(Handover.id)).where(col(Handover.id) == col(CheckIn.handover_id), clause).exists()


def visible_check_ins(actor: Actor) -> ColumnElement[bool]:
    """The check-ins whose task the actor may see, as a test of given rows (one by id, one task's)."""
    return _its_task(visible_handovers(actor))


@dataclass(frozen=True)
class CheckInPart:
    """One part of the need-to-know for check-ins: the rows matching `where`. `by_owner`: they are the owner's, and
    the index on (owner, status, due_on, created_at, id) holds them in the list's order for each status; else they
    are the check-ins of a party's referrals, found through those referrals."""

    where: ColumnElement[bool]
    by_owner: bool


def check_in_parts(actor: Actor) -> list[CheckInPart]:
    """Need-to-know for check-ins, which follow their task's: the same rule as parts a check-in matches any of.

    The owner's people find them by the check-in's `owner_org_id` and test them on the check-in's own row, which
    carries what the task's test reads (`_addressed_to_municipality`, `_owned_by_referrer`): the addressee and the
    municipality the task had when it closed (a closed task is never rerouted or moved, routing.reroute), and the
    referral's municipal sharing, kept in step as consent changes (drafts.record_consent). So a page and its count
    read check-ins only. The referral parties find the check-ins of their referrals (a check-in carries its task's
    `referral_id`)."""
    parts: list[CheckInPart] = []
    owned_by_me = col(CheckIn.owner_org_id) == actor.organisation_id
    if is_municipal(actor):
        parts.append(CheckInPart(owned_by_me & (col(CheckIn.addressed_to) == HandoverAddressee.MUNICIPALITY)
                                 & (col(CheckIn.municipality_org_id) == actor.organisation_id)
                                 & col(CheckIn.shared_with_municipality).is_(True), by_owner=True))
    if _referral_party(actor):
        parts += [CheckInPart(col(CheckIn.referral_id).in_(select(col(Referral.id)).where(part.finds_many())),
                              by_owner=False) for part in referral_parts(actor)]
    if actor.has_role(Role.REFERRER_LEAD):
        parts.append(CheckInPart(owned_by_me & (col(CheckIn.addressed_to) == HandoverAddressee.REFERRER),
                                 by_owner=True))
    return parts


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
