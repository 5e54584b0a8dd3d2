"""Referral-right grants (henvisningsrett): a municipality lets one profession (PPT, school nurses) refer for a
period, as in the national trials. Made and ended by an administrator (pages, API) or the command line
(actor None), each written to the administration log.

What is checked: the profession is one that refers only where granted (settings
CONDITIONALLY_REFERRING_PROFESSIONS), the municipality is in force in the register, the period runs forwards,
and it does not overlap another grant of the same municipality and profession (one right, one period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.municipalities import UNKNOWN, MunicipalityRegister
from referral_service.domain.organisation import ReferralRightGrant
from referral_service.errors import InvalidData, NotFound, Reason
from referral_service.security.actor import Actor
from referral_service.services.admin import events
from referral_service.services.admin.directory import require_admin
from referral_service.services.unit_of_work import SqlUnitOfWork

PROFESSION_NOT_CONDITIONAL = "profession_not_conditional"
PERIOD_BACKWARDS = "period_backwards"
GRANT_OVERLAP = "grant_overlap"
GRANT_ALREADY_ENDED = "grant_already_ended"


@dataclass(frozen=True)
class GrantRules:
    """What the service's settings and register say a grant must fit."""

    conditional_professions: tuple[str, ...]
    municipalities: MunicipalityRegister


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def _others(session: Session, municipality_number: str, profession: str, *,
            but: str | None = None) -> list[ReferralRightGrant]:
    query = select(ReferralRightGrant).where(ReferralRightGrant.municipality_number == municipality_number,
                                             ReferralRightGrant.profession == profession)
    if but is not None:
        query = query.where(ReferralRightGrant.id != but)
    return list(session.exec(query))


def grant_facts(grant: ReferralRightGrant) -> dict[str, str | None]:
    """What the administration log keeps of a grant."""
    return {"municipality_number": grant.municipality_number, "profession": grant.profession,
            "valid_from": grant.valid_from.isoformat(),
            "valid_to": grant.valid_to.isoformat() if grant.valid_to else None, "basis": grant.basis}


def add_grant(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor | None, rules: GrantRules,
              municipality_number: str, profession: str, valid_from: date, valid_to: date | None = None,
              basis: str = "") -> ReferralRightGrant:
    """Give the municipality's professionals of this kind the right to refer from `valid_from` (to `valid_to`)."""
    with uow:
        if actor is not None:
            require_admin(actor)
        session = uow.session
        errors: dict[str, list[str]] = {}
        if profession not in rules.conditional_professions:
            errors["profession"] = [Reason(PROFESSION_NOT_CONDITIONAL, "Only a profession that refers where its "
                                           "municipality grants it may be granted: "
                                           + ", ".join(rules.conditional_professions) + ".")]
        if not rules.municipalities.holds(municipality_number, clock.today()):
            errors["municipality_number"] = [UNKNOWN]
        if valid_to is not None and valid_to < valid_from:
            errors["valid_to"] = [Reason(PERIOD_BACKWARDS, "The period must end on or after its first day.")]
        if not errors and any(_overlaps(valid_from, valid_to, g.valid_from, g.valid_to)
                              for g in _others(session, municipality_number, profession)):
            errors["valid_from"] = [Reason(GRANT_OVERLAP, "The period overlaps another grant of this municipality "
                                                          "and profession; end that one first.")]
        if errors:
            raise InvalidData("The referral right cannot be granted.", errors=errors)
        grant = ReferralRightGrant(municipality_number=municipality_number, profession=profession,
                                   valid_from=valid_from, valid_to=valid_to, basis=basis.strip())
        session.add(grant)
        session.flush()
        events.record(session, clock=clock, actor=actor, action=events.GRANT_ADDED,
                      target_kind="referral_right_grant", target_id=grant.id, after=grant_facts(grant))
        uow.commit()
        return grant


def end_grant(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor | None, grant_id: str,
              valid_to: date) -> ReferralRightGrant:
    """End a grant early: its last day becomes `valid_to` (not before its first day, not after its end)."""
    with uow:
        if actor is not None:
            require_admin(actor)
        session = uow.session
        grant = session.get(ReferralRightGrant, grant_id)
        if grant is None:
            raise NotFound("No such grant.")
        if valid_to < grant.valid_from:
            raise InvalidData("The grant cannot end before it starts.", errors={"valid_to": [
                Reason(PERIOD_BACKWARDS, "The period must end on or after its first day.")]})
        if grant.valid_to is not None and grant.valid_to <= valid_to:
            raise InvalidData("The grant already ends by then.", errors={"valid_to": [
                Reason(GRANT_ALREADY_ENDED, f"The grant already ends on {grant.valid_to.isoformat()}.")]})
        before = grant_facts(grant)
        grant.valid_to = valid_to
        session.add(grant)
        events.record(session, clock=clock, actor=actor, action=events.GRANT_ENDED,
                      target_kind="referral_right_grant", target_id=grant.id, before=before,
                      after=grant_facts(grant))
        uow.commit()
        return grant


def list_grants(session: Session, *, actor: Actor | None) -> list[ReferralRightGrant]:
    """Every grant, by municipality, profession and first day (a short list: a few per municipality)."""
    if actor is not None:
        require_admin(actor)
    return list(session.exec(select(ReferralRightGrant).order_by(
        ReferralRightGrant.municipality_number, ReferralRightGrant.profession, col(ReferralRightGrant.valid_from))))


def is_current(grant: ReferralRightGrant, today: date) -> bool:
    """In force today, or starting later (not yet ended)."""
    return grant.valid_to is None or today <= grant.valid_to
