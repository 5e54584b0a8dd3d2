"""Counting a child's earlier referrals and rejections, for one referral or a whole queue, in two queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from referral_service.domain.enums import ReferralStatus
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.security.case_access import case_detail_for
from referral_service.security.visibility import visible_referrals
from referral_service.workflows.case_entries import CaseDetail
from referral_service.workflows.repeat_referrals import Episode, RepeatCount, count_repeats, counts_as_earlier


def episode_of(referral: Referral) -> Episode:
    return Episode(id=referral.id, status=referral.status, began_on=referral.received_on or referral.created_at.date(),
                   created_at=referral.created_at, forwarded_to_id=referral.forwarded_to_id)


def referrals_of_children(session: Session, child_ids: Iterable[str]) -> dict[str, list[Referral]]:
    """Every referral of these children, by child, oldest first (one query on the indexed child_id)."""
    found: dict[str, list[Referral]] = defaultdict(list)
    ids = set(child_ids)
    if ids:
        for referral in session.exec(select(Referral).where(col(Referral.child_id).in_(ids))
                                     .order_by(col(Referral.created_at), col(Referral.id))):
            found[referral.child_id].append(referral)
    return found


def ids_taking_part(session: Session, actor: Actor, child_ids: Iterable[str]) -> set[str]:
    """The ids of these children's referrals the actor takes part in (need-to-know)."""
    ids = set(child_ids)
    if not ids:
        return set()
    return set(session.exec(select(Referral.id).where(col(Referral.child_id).in_(ids), visible_referrals(actor))))


def details_for(actor: Actor, referrals: Iterable[Referral], *, taking_part: set[str]) -> dict[str, CaseDetail]:
    return {r.id: case_detail_for(actor, r, takes_part=r.id in taking_part) for r in referrals}


def repeat_count(anchor: Referral, known: Iterable[Referral], *, window_months: int) -> RepeatCount:
    """The count over the referrals the reader may know of (BUP knows of every one that was sent)."""
    return count_repeats(anchor=episode_of(anchor), others=[episode_of(r) for r in known],
                         window_months=window_months)


def repeat_counts(session: Session, *, actor: Actor, referrals: list[Referral],
                  window_months: int) -> tuple[dict[str, RepeatCount], list[Referral]]:
    """The count for each referral, as the actor may know of the child's others; and the earlier referrals
    that were counted (the caller logs that it read them)."""
    siblings = referrals_of_children(session, {r.child_id for r in referrals})
    taking_part = ids_taking_part(session, actor, siblings.keys())
    counts: dict[str, RepeatCount] = {}
    counted: dict[str, Referral] = {}
    for referral in referrals:
        details = details_for(actor, siblings[referral.child_id], taking_part=taking_part)
        known = [r for r in siblings[referral.child_id] if details[r.id] is not CaseDetail.NONE]
        counts[referral.id] = repeat_count(referral, known, window_months=window_months)
        anchor = episode_of(referral)
        counted.update({r.id: r for r in known
                        if counts_as_earlier(episode_of(r), anchor=anchor, window_months=window_months)})
    return counts, list(counted.values())


def rejections_in_window(session: Session, referral: Referral, *, window_months: int) -> int:
    """The child's rejections in the window up to and including this referral's (for the service, not a reader)."""
    siblings = referrals_of_children(session, [referral.child_id])[referral.child_id]
    earlier = repeat_count(referral, siblings, window_months=window_months).earlier_rejections
    return earlier + (1 if referral.status == ReferralStatus.REJECTED else 0)
