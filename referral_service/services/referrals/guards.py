"""Guards every change to a referral or a handover passes: the acting side and If-Match."""

from __future__ import annotations

from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.services.repositories import ReferralRepository
from referral_service.services.views import etag_for, names_a_version
from referral_service.workflows.referral_lifecycle import Party


def require_party(referrals: ReferralRepository, *, actor: Actor, referral: Referral, party: Party) -> None:
    if party not in referrals.parties_of(actor=actor, referral=referral):
        raise Forbidden(f"Only the {party} side may do this.")


def if_match_fails(etag: str, if_match: str | None) -> bool:
    """True when the client sent If-Match and its copy is stale; no header means it does not ask."""
    if not names_a_version(if_match):
        return False
    return etag not in {tag.strip().removeprefix("W/") for tag in if_match.split(",")}


def check_if_match(referral: Referral, if_match: str | None) -> None:
    if if_match_fails(etag_for(referral), if_match):
        raise PreconditionFailed("The referral has changed since you read it. Fetch it again.")
