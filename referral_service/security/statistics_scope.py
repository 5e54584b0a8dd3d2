"""Whose figures a user may see on Oversikt: the need-to-know rule for aggregates, beside the one for rows.

The dashboard asks this module; it keeps no rule of its own about who sees what.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true
from sqlmodel import Session, col

from referral_service.domain.enums import OrganisationKind, Role
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden
from referral_service.security.actor import Actor
from referral_service.security.consent_scope import shared_with_municipality
from referral_service.security.visibility import is_municipal

NATIONAL = "national"


@dataclass(frozen=True)
class Scope:
    """Whose figures: a clinic, a municipality, a referring organisation, or the whole country."""

    kind: str
    name: str
    referrals: ColumnElement[bool]
    handovers: ColumnElement[bool]
    #: A municipality counts the families that moved in and out: the referrals it may count moves of (with
    #: consent to share with the municipality, wherever the child lives now), and its number.
    moves: ColumnElement[bool] | None = None
    municipality_number: str | None = None


def _referral_scope(kind: str, name: str, clause: ColumnElement[bool]) -> Scope:
    return Scope(kind, name, clause, col(Handover.referral_id).in_(select(col(Referral.id)).where(clause)))


def scope_for(session: Session, *, actor: Actor) -> Scope:
    """Administrators and auditors see the country; BUP its clinic; the municipality its children and
    tasks; a referrer its own organisation's referrals. 403 for anyone else."""
    if actor.has_role(Role.ADMIN) or actor.has_role(Role.AUDITOR):
        return Scope(NATIONAL, "", true(), true())
    organisation = session.get(Organisation, actor.organisation_id)
    name = organisation.name if organisation else ""
    if actor.has_role(Role.BUP_INTAKE) and actor.organisation_kind == OrganisationKind.BUP_CLINIC:
        return _referral_scope("clinic", name, col(Referral.clinic_id) == actor.organisation_id)
    if is_municipal(actor) and actor.municipality_number:
        # Children living here, whose families consented to sharing with the municipality.
        return Scope("municipality", name, (col(Referral.child_home_municipality) == actor.municipality_number)
                     & shared_with_municipality(),
                     col(Handover.municipality_org_id) == actor.organisation_id,
                     moves=shared_with_municipality(), municipality_number=actor.municipality_number)
    if actor.has_role(Role.REFERRER):
        return _referral_scope("referrer", name, col(Referral.referrer_org_id) == actor.organisation_id)
    raise Forbidden("The dashboard is for referrers, BUP, municipalities, administrators and auditors.")
