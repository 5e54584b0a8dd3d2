"""A draft's partners and needs: the interpreter need and the child welfare partner (barnevern).

Checked before anything changes (bad input changes nothing), then applied in the caller's unit of work; naming,
changing or removing the partner is an event, since it decides who hears BUP's decisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import OrganisationKind, ReferralAction
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral
from referral_service.errors import InvalidData
from referral_service.security.actor import Actor
from referral_service.services.referrals.events import record_event
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.partners import child_welfare_basis_problems, interpreter_problems


def check_partners_and_needs(session: Session, *, data: dict[str, Any], share_with: Iterable[str]) -> None:
    """Every refusal about the interpreter need and the child welfare partner at once (422)."""
    problems: dict[str, str] = {}
    if data.get("interpreter"):
        problems.update(interpreter_problems(data["interpreter"]))
    partner = data.get("child_welfare")
    if partner:
        organisation = session.get(Organisation, partner["organisation_id"])
        if organisation is None or organisation.kind != OrganisationKind.CHILD_WELFARE:
            problems["child_welfare.organisation_id"] = "No child welfare service with this id."
        problems.update(child_welfare_basis_problems(basis=partner["basis"], share_with=share_with))
    if problems:
        raise InvalidData("The partners or needs on the referral are not valid.",
                          errors={name: [message] for name, message in problems.items()})


def apply_partners_and_needs(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral: Referral,
                             data: dict[str, Any]) -> None:
    """Set what the body gives (already checked); a changed partner is recorded as an event."""
    if "interpreter" in data:
        interpreter = data["interpreter"] or {}
        referral.interpreter_needed = bool(interpreter.get("needed"))
        referral.interpreter_language = interpreter.get("language") if referral.interpreter_needed else None
    if "child_welfare" not in data:
        return
    partner = data["child_welfare"] or {}
    organisation_id, basis = partner.get("organisation_id"), partner.get("basis")
    if (organisation_id, basis) == (referral.child_welfare_org_id, referral.child_welfare_basis):
        return
    referral.child_welfare_org_id, referral.child_welfare_basis = organisation_id, basis
    record_event(uow, clock, referral=referral, action=ReferralAction.NAME_CHILD_WELFARE_PARTNER,
                 from_status=referral.status, actor=actor,
                 data={"organisation_id": organisation_id, "basis": basis})
