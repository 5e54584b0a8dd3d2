"""Need-to-know: which referrals a user's organisation takes part in, and on what basis.

Every list and every single read goes through these functions, so the rule lives here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlmodel import Session, col

from referral_service.domain.enums import HandoverAddressee, OrganisationKind, ReferralStatus, Role
from referral_service.domain.handover import Handover
from referral_service.domain.referral import CoReferrer, Referral
from referral_service.security.actor import Actor
from referral_service.security.consent_scope import (
    child_welfare_partner_clause,
    child_welfare_partner_may_know,
    consent_allows,
    consent_clause,
    shared_with_municipality,
)
from referral_service.workflows.referral_lifecycle import Party

MUNICIPAL_ROLES = (Role.MUNICIPAL_COORDINATOR, Role.MUNICIPAL_LEAD)


def is_municipal(actor: Actor) -> bool:
    return actor.organisation_kind == OrganisationKind.MUNICIPALITY and any(actor.has_role(r) for r in MUNICIPAL_ROLES)


def _co_referred_by(organisation_id: str) -> Select[str]:
    return select(col(CoReferrer.referral_id)).where(col(CoReferrer.organisation_id) == organisation_id)


def _handed_over_to(organisation_id: str) -> Select[str]:
    return select(col(Handover.referral_id)).where(col(Handover.addressed_to) == HandoverAddressee.MUNICIPALITY,
                                                   col(Handover.municipality_org_id) == organisation_id)


@dataclass(frozen=True)
class Part:
    """One way an organisation takes part in referrals: the referral row's own conditions (`where`) and, when the
    link is kept in another table, the select of referral ids (`linked_by`) from that table."""

    where: ColumnElement[bool]
    linked_by: Select[str] | None = None

    def checks_one(self) -> ColumnElement[bool]:
        """The part as a test of one referral row: the link looked up by the referral's id (correlated EXISTS)."""
        if self.linked_by is None:
            return self.where
        link = self.linked_by.selected_columns[0]
        return self.where & self.linked_by.where(link == col(Referral.id)).exists()

    def finds_many(self) -> ColumnElement[bool]:
        """The same rows as a clause that finds them: through the link table's index (IN), or the referral's own."""
        if self.linked_by is None:
            return self.where
        return self.where & col(Referral.id).in_(self.linked_by)


def referral_parts(actor: Actor) -> list[Part]:
    """The need-to-know rule: the referrals this actor may see are those of any of these parts."""
    parts: list[Part] = []
    if actor.has_role(Role.REFERRER):
        consent = consent_clause(actor.organisation_kind, actor.organisation_id)
        parts.append(Part(where=(col(Referral.referrer_org_id) == actor.organisation_id) & consent))
        parts.append(Part(where=consent, linked_by=_co_referred_by(actor.organisation_id)))
        if actor.organisation_kind == OrganisationKind.CHILD_WELFARE:
            # The child welfare partner reads the referral (it acts on none of it) on its basis.
            parts.append(Part(where=child_welfare_partner_clause(actor.organisation_id)))
    if actor.has_role(Role.BUP_INTAKE):
        # A draft that joined another referral, or was withdrawn, was never sent: the clinic it named never
        # received it.
        never_sent = (col(Referral.status).in_((ReferralStatus.MERGED, ReferralStatus.WITHDRAWN))
                      & col(Referral.received_on).is_(None))
        parts.append(Part(where=(col(Referral.clinic_id) == actor.organisation_id)
                          & (col(Referral.status) != ReferralStatus.DRAFT) & ~never_sent))
    if is_municipal(actor):
        parts.append(Part(where=shared_with_municipality(), linked_by=_handed_over_to(actor.organisation_id)))
    return parts


def visible_referrals(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the referrals this actor may see (shaped to test given rows: by id, a page)."""
    parts = referral_parts(actor)
    return or_(*(part.checks_one() for part in parts)) if parts else false()


def parties_of(session: Session, *, actor: Actor, referral: Referral) -> frozenset[Party]:
    """The sides of this referral the actor acts for."""
    parties: set[Party] = set()
    if actor.has_role(Role.REFERRER) and consent_allows(actor.organisation_kind, referral, actor.organisation_id):
        if referral.referrer_org_id == actor.organisation_id or session.execute(
            select(col(CoReferrer.id)).where(
                col(CoReferrer.referral_id) == referral.id,
                col(CoReferrer.organisation_id) == actor.organisation_id,
            )
        ).first():
            parties.add(Party.REFERRER)
    if actor.has_role(Role.BUP_INTAKE) and referral.clinic_id == actor.organisation_id:
        parties.add(Party.CLINIC)
    return frozenset(parties)


def access_basis(actor: Actor, referral: Referral) -> str:
    """The need-to-know basis written to the access log."""
    if actor.organisation_kind == OrganisationKind.OPERATOR:
        return "administration"  # an administrator moving a leaver's tasks, not a party to the referral
    if referral.clinic_id == actor.organisation_id:
        return "receiving_clinic"
    if referral.referrer_org_id == actor.organisation_id:
        return "referring_organisation"
    if actor.organisation_kind == OrganisationKind.MUNICIPALITY:
        return "handover_with_consent"
    if referral.child_welfare_org_id == actor.organisation_id and child_welfare_partner_may_know(referral):
        return "child_welfare_partner"
    return "co_referrer"
