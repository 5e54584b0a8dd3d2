"""The referral's actions: submit, ask for information, answer, accept, reject, forward, start
treatment, discharge, withdraw. The transition table in workflows decides what is allowed;
this module loads, guards, applies the action's effect, records the event and commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus
from referral_service.domain.organisation import Organisation, ReferralRightGrant
from referral_service.domain.referral import Consent, CoReferrer, MunicipalContact, Referral
from referral_service.errors import Forbidden, InvalidData
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.visibility import parties_of
from referral_service.services.events import record_event
from referral_service.services.guards import check_if_match, claim_version
from referral_service.services.referral_queries import load_visible_referral
from referral_service.services.referral_views import ReferralView, build_view
from referral_service.services.referrals import draft_of
from referral_service.services.rules import ServiceRules
from referral_service.services.sweeps import insert_mark
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.completeness import missing_items
from referral_service.workflows.escalation import Mark
from referral_service.workflows.referral_rights import GrantPeriod, may_refer


@dataclass
class ActionContext:
    session: Session
    rules: ServiceRules
    actor: Actor
    referral: Referral


Effect = Callable[[ActionContext, dict[str, Any]], dict[str, Any]]


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def _start_assessment_clock(ctx: ActionContext, referral: Referral) -> None:
    """Receipt is today; BUP must assess within the legal number of working days."""
    referral.received_on = ctx.rules.today()
    referral.assessment_due = ctx.rules.calendar.add_working_days(
        referral.received_on, ctx.rules.assessment_working_days
    )


def _submit(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    actor, rules = ctx.actor, ctx.rules
    grants = [
        GrantPeriod(g.profession, g.valid_from, g.valid_to)
        for g in ctx.session.exec(
            select(ReferralRightGrant).where(ReferralRightGrant.municipality_number == actor.municipality_number)
        )
    ]
    if not may_refer(profession=actor.profession, on=rules.today(), always=rules.always_referring,
                     conditional=rules.conditionally_referring, grants=grants):
        raise Forbidden("You do not have the right to refer (henvisningsrett); a co-referrer who has it "
                        "can submit.")
    missing = missing_items(draft_of(ctx.session, rules, ctx.referral))
    if missing:
        errors: dict[str, list[str]] = {}
        for item in missing:
            errors.setdefault(item.field, []).append(item.message)
        raise InvalidData("The referral is not complete.", errors=errors)
    ctx.referral.submitted_by_user_id = actor.user_id
    _start_assessment_clock(ctx, ctx.referral)
    return {"received_on": ctx.referral.received_on.isoformat(),
            "assessment_due": ctx.referral.assessment_due.isoformat()}


def _accept(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    if data["care_start_due"] <= ctx.rules.today():
        raise InvalidData("The start-of-care deadline must be after today.",
                          errors={"care_start_due": ["Must be a date after today."]})
    ctx.referral.care_start_due = data["care_start_due"]
    ctx.referral.priority = data.get("priority")
    return _json_ready(data)


def _start_treatment(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    received = ctx.referral.received_on
    if received and data["first_appointment_on"] < received:
        raise InvalidData("The first appointment cannot be before the referral was received.",
                          errors={"first_appointment_on": ["Before the referral was received."]})
    ctx.referral.first_appointment_on = data["first_appointment_on"]
    return _json_ready(data)


def _forward(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    session, old = ctx.session, ctx.referral
    clinic = session.get(Organisation, data["clinic_id"])
    if clinic is None or clinic.kind != OrganisationKind.BUP_CLINIC or clinic.id == old.clinic_id:
        raise InvalidData("Forward to another BUP clinic.", errors={"clinic_id": ["Not another BUP clinic."]})
    new = Referral(
        **{name: getattr(old, name) for name in (
            "child_id", "child_given_name", "child_family_name", "child_home_municipality", "child_guardians",
            "referrer_user_id", "referrer_org_id", "referrer_kind", "submitted_by_user_id",
            "reasons", "description", "urgency", "measures_tried", "child_view", "attachments",
            "shared_with_municipality", "shared_with_school")},
        status=ReferralStatus.SUBMITTED, clinic_id=clinic.id, forwarded_from_id=old.id,
        created_at=ctx.rules.now(), updated_at=ctx.rules.now(),
    )
    _start_assessment_clock(ctx, new)
    session.add(new)
    session.flush()
    _copy_parts(session, source=old, target=new)
    old.forwarded_to_id = new.id
    record_event(session, ctx.rules, referral=new, action=ReferralAction.RECEIVE_FORWARDED, from_status=None,
                 actor=ctx.actor, data={"forwarded_from_id": old.id, "reason": data["reason"]})
    record_access(session, actor=ctx.actor, action="forward_create", referrals=[new])
    return {**data, "new_referral_id": new.id}


def _copy_parts(session: Session, *, source: Referral, target: Referral) -> None:
    """The consent in force, the people around the child and the co-referrers follow a forward."""
    for consent in session.exec(select(Consent).where(Consent.referral_id == source.id,
                                                      Consent.superseded_at.is_(None))):
        session.add(Consent(**consent.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))
    for contact in session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == source.id)):
        session.add(MunicipalContact(**contact.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))
    for co in session.exec(select(CoReferrer).where(CoReferrer.referral_id == source.id)):
        session.add(CoReferrer(**co.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))


def _record_only(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Actions whose data lives in their event: questions, answers, reasons, summaries."""
    return _json_ready(data)


EFFECTS: dict[ReferralAction, Effect] = {
    ReferralAction.SUBMIT: _submit,
    ReferralAction.REQUEST_INFORMATION: _record_only,
    ReferralAction.SUPPLEMENT: _record_only,
    ReferralAction.ACCEPT: _accept,
    ReferralAction.REJECT: _record_only,
    ReferralAction.FORWARD: _forward,
    ReferralAction.START_TREATMENT: _start_treatment,
    ReferralAction.DISCHARGE: _record_only,
    ReferralAction.WITHDRAW: _record_only,
}


def take_action(session: Session, rules: ServiceRules, *, actor: Actor, referral_id: str,
                action: ReferralAction, data: dict[str, Any], if_match: str | None) -> ReferralView:
    """Apply one lifecycle action in one transaction: 404, 403, 412, 409 or 422, or the new state."""
    referral = load_visible_referral(session, actor=actor, referral_id=referral_id)
    parties = parties_of(session, actor=actor, referral=referral)
    if not parties & lifecycle.parties_for(action):
        raise Forbidden(f"Your role may not {action} a referral.")
    check_if_match(referral, if_match)
    from_status = ReferralStatus(referral.status)
    to_status = lifecycle.next_status(status=from_status, action=action, parties=parties)
    claim_version(session, referral)
    event_data = EFFECTS[action](ActionContext(session, rules, actor, referral), data)
    referral.status = to_status
    referral.updated_at = rules.now()
    record_event(session, rules, referral=referral, action=action, from_status=from_status, actor=actor,
                 data=event_data, handover_trigger=lifecycle.handover_trigger(status=from_status, action=action))
    record_late_decision(session, rules, referral=referral, action=action)
    record_access(session, actor=actor, action=str(action), referrals=[referral])
    session.commit()
    return build_view(session, referral)


#: Decisions that end BUP's assessment.
ASSESSMENTS = {ReferralAction.ACCEPT, ReferralAction.REJECT, ReferralAction.FORWARD}


def record_late_decision(session: Session, rules: ServiceRules, *, referral: Referral,
                         action: ReferralAction) -> None:
    """A deadline missed by the decision itself is a breach even if no sweep ran in between."""
    today = rules.today()
    if action in ASSESSMENTS and referral.assessment_due and today > referral.assessment_due:
        insert_mark(session, rules, Mark(f"referral:{referral.id}:assessment_breach", "assessment_breach", 0,
                                         referral.assessment_due), referral_id=referral.id, handover_id=None)
    if (action is ReferralAction.START_TREATMENT and referral.care_start_due
            and referral.first_appointment_on > referral.care_start_due):
        insert_mark(session, rules, Mark(f"referral:{referral.id}:care_start_breach", "care_start_breach", 0,
                                         referral.care_start_due), referral_id=referral.id, handover_id=None)
