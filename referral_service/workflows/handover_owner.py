"""Who owns a handover: one organisation with someone active who can act on it, and the lead it escalates to.

- With consent to share with the municipality, the child's home municipality owns it, when it is
  connected to the service (it has an active coordinator); its coordinators act and its lead is the top
  of the escalation ladder.
- Without that consent, the referring organisation owns it (it knows the child and the family); the GP
  is informed, never left as the only one told.
- A home municipality that is not connected cannot hold the task: the referring organisation owns it,
  administrators are told that the municipality is not connected, and the task says so.
- An owner with nobody active who can act never keeps a task: the same rule picks the next candidate
  (the referrer, then the co-referring organisations the consent lets take part), and when none is
  left, administrators must find someone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from referral_service.domain.enums import HandoverAddressee, OwnerReason


@dataclass(frozen=True)
class Candidate:
    """An organisation that could own the task, and whether anyone active there can act on it now."""

    organisation_id: str
    can_act: bool


@dataclass(frozen=True)
class Ownership:
    owner_org_id: str | None  # None: nobody can act; administrators must find someone
    addressed_to: HandoverAddressee
    reason: OwnerReason

    @property
    def municipality_not_connected(self) -> bool:
        return self.reason == OwnerReason.MUNICIPALITY_NOT_CONNECTED


def choose_owner(*, municipal_consent: bool, municipality: Candidate | None, referrer: Candidate,
                 co_referrers: Sequence[Candidate] = ()) -> Ownership:
    """The owner by the rule above; `municipality` is None when the home municipality has no organisation
    in the service."""
    if municipal_consent and municipality is not None and municipality.can_act:
        return Ownership(municipality.organisation_id, HandoverAddressee.MUNICIPALITY, OwnerReason.MUNICIPAL_CONSENT)
    reason = OwnerReason.MUNICIPALITY_NOT_CONNECTED if municipal_consent else OwnerReason.NO_MUNICIPAL_CONSENT
    for candidate in (referrer, *co_referrers):
        if candidate.can_act:
            return Ownership(candidate.organisation_id, HandoverAddressee.REFERRER, reason)
    return Ownership(None, HandoverAddressee.REFERRER, reason)
