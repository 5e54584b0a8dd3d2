"""The referral's actions: submit, ask for information, answer, accept, reject, forward, start
treatment, discharge, withdraw, transfer to adult services (DPS). The transition table in workflows decides
what is allowed; this module loads, guards, applies the action's effect, records the event and commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus
from referral_service.domain.municipalities import MunicipalityRegister
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.errors import Conflict, Forbidden, InvalidData
from referral_service.security.actor import Actor
from referral_service.services.referrals.guards import check_if_match
from referral_service.services.repositories import ReferralRepository
from referral_service.services.unit_of_work import UnitOfWork
from referral_service.services.views import ReferralView
from referral_service.workflows import adult_transfer
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.age_range import age_for_rules, age_refusal
from referral_service.workflows.completeness import ReferralDraft, missing_items
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.escalation import late_decision_marks
from referral_service.workflows.referral_lifecycle import Decision
from referral_service.workflows.referral_rights import GrantPeriod, ReferrerPolicy, may_refer


@dataclass
class ActionContext:
    uow: UnitOfWork
    clock: Clock
    deadlines: DeadlinePolicy
    referrers: ReferrerPolicy
    municipalities: MunicipalityRegister
    actor: Actor
    referral: Referral
    _child: Child | None = None

    @property
    def child(self) -> Child:
        """The referral's child, read once in an action (and held, so the answer's view finds it in the session)."""
        if self._child is None:
            self._child = self.uow.referrals.child_of(self.referral)
        return self._child


Effect = Callable[[ActionContext, dict[str, Any]], dict[str, Any]]


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def _start_assessment_clock(ctx: ActionContext, referral: Referral) -> None:
    """Receipt is today; BUP must assess within the legal number of working days."""
    referral.received_on = ctx.clock.today()
    referral.assessment_due = ctx.deadlines.calendar.add_working_days(
        referral.received_on, ctx.deadlines.assessment_working_days
    )


def draft_of(referrals: ReferralRepository, referral: Referral, *, today: date,
             municipalities: MunicipalityRegister, child: Child | None = None) -> ReferralDraft:
    """The referral's content as the completeness check sees it (`child`, when the caller has read it)."""
    child = child or referrals.child_of(referral)
    consent = referrals.current_consent(referral.id)
    return ReferralDraft(
        age=age_for_rules(child.birth_date, today),
        age_refusal=age_refusal(child.birth_date, today),
        reasons=list(referral.reasons),
        description=referral.description,
        measures_tried=referral.measures_tried,
        child_view=referral.child_view,
        guardians=list(referral.child_guardians),
        consent_given_by=list(consent.given_by) if consent else [],
        consent_share_with=list(consent.share_with) if consent else [],
        withhold_from_guardians=bool(consent and consent.withhold_from_guardians),
        referrer_kind=referral.referrer_kind,
        home_municipality_known=municipalities.holds(referral.child_home_municipality, today),
    )


def _submit(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    actor, clock, referrers = ctx.actor, ctx.clock, ctx.referrers

    def grants() -> Iterator[GrantPeriod]:
        # Read only if asked for: a profession that always may refer (a GP) needs no grant.
        yield from ctx.uow.referrals.referral_right_grants(actor.municipality_number)

    if not may_refer(profession=actor.profession, on=clock.today(), always=referrers.always,
                     conditional=referrers.conditional, grants=grants()):
        raise Forbidden("You do not have the right to refer (henvisningsrett); a co-referrer who has it "
                        "can submit.")
    missing = missing_items(draft_of(ctx.uow.referrals, ctx.referral, today=clock.today(),
                                     municipalities=ctx.municipalities, child=ctx.child))
    blocking = [item for item in missing if item.blocking]
    if blocking:
        errors: dict[str, list[str]] = {}
        for item in blocking:
            errors.setdefault(item.field, []).append(item.reason)
        raise InvalidData("The referral cannot be sent without these.", errors=errors)
    ctx.referral.submitted_by_user_id = actor.user_id
    _start_assessment_clock(ctx, ctx.referral)
    # What BUP will miss travels with the submission: BUP sees it, and Oversikt counts it.
    sent = {"received_on": ctx.referral.received_on.isoformat(),
            "assessment_due": ctx.referral.assessment_due.isoformat()}
    if missing:
        sent["gaps"] = [{"field": item.field, "code": str(item.code)} for item in missing]
    return sent


def _accept(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    if data["care_start_due"] <= ctx.clock.today():
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


def _municipal_outcome(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    if data["assessment_conversation_on"] > ctx.clock.today():
        raise InvalidData("The assessment conversation has not happened yet.",
                          errors={"assessment_conversation_on": ["After today."]})
    return _json_ready(data)


def _discharge(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    ctx.referral.epikrise_pending = not data["epikrise_sent"]
    return _json_ready(data)


def _plan_discharge(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    if data["planned_discharge_on"] <= ctx.clock.today():
        raise InvalidData("A planned discharge is after today.",
                          errors={"planned_discharge_on": ["Must be after today."]})
    ctx.referral.planned_discharge_on = data["planned_discharge_on"]
    return _json_ready(data)


def _record_epikrise(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    if not ctx.referral.epikrise_pending:
        raise Conflict("The epikrise is already recorded as sent.")
    ctx.referral.epikrise_pending = False
    handover = ctx.uow.handovers.for_referral(ctx.referral.id)
    if handover is not None:
        handover.content = {**handover.content, "epikrise_sent": True}
    return {}


def _open_at(ctx: ActionContext, clinic_id: str, *, received: ReferralAction, logged_as: str,
             data: dict[str, Any]) -> Referral:
    """A new submitted referral at `clinic_id` that goes on from this one: the same child, content, consent,
    people around the child and co-referrers, with its own assessment deadline and first event."""
    old = ctx.referral
    new = Referral(
        **{name: getattr(old, name) for name in (
            "child_id", "child_given_name", "child_family_name", "child_home_municipality", "child_guardians",
            "referrer_user_id", "referrer_org_id", "referrer_kind", "submitted_by_user_id",
            "reasons", "description", "urgency", "measures_tried", "child_view", "attachments",
            "shared_with_municipality", "shared_with_school", "shared_with_child_welfare",
            "interpreter_needed", "interpreter_language", "child_welfare_org_id", "child_welfare_basis")},
        status=ReferralStatus.SUBMITTED, clinic_id=clinic_id, forwarded_from_id=old.id,
        created_at=ctx.clock.now(), updated_at=ctx.clock.now(),
    )
    _start_assessment_clock(ctx, new)
    ctx.uow.referrals.add_forwarded(source=old, target=new)
    old.forwarded_to_id = new.id
    ctx.uow.record_event(ReferralEvent(
        referral_id=new.id, action=received, from_status=None, to_status=new.status,
        actor_id=ctx.actor.user_id, actor_org_id=ctx.actor.organisation_id, at=ctx.clock.now(),
        data={"forwarded_from_id": old.id, **data}))
    ctx.uow.access_log.record(actor=ctx.actor, action=logged_as, referrals=[new])
    return new


def _forward(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    clinic = ctx.uow.organisations.get(data["clinic_id"])
    if clinic is None or clinic.kind != OrganisationKind.BUP_CLINIC or clinic.id == ctx.referral.clinic_id:
        raise InvalidData("Forward to another BUP clinic.", errors={"clinic_id": ["Not another BUP clinic."]})
    new = _open_at(ctx, clinic.id, received=ReferralAction.RECEIVE_FORWARDED, logged_as="forward_create",
                  data={"reason": data["reason"]})
    return {**data, "new_referral_id": new.id}


def _transfer_to_dps(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Growing up: the young person goes on at a DPS clinic; the municipal side stays as it is (no handover)."""
    here = ctx.uow.organisations.get(ctx.referral.clinic_id)
    refusal = adult_transfer.transfer_refusal(clinic_kind=here.kind if here else "",
                                              birth_date=ctx.child.birth_date,
                                              today=ctx.clock.today())
    if refusal:
        raise Conflict(refusal)
    clinic = ctx.uow.organisations.get(data["clinic_id"])
    if clinic is None or clinic.kind != OrganisationKind.ADULT_MENTAL_HEALTH:
        raise InvalidData("Transfer to an adult mental health clinic (DPS).",
                          errors={"clinic_id": ["Not an adult mental health clinic (DPS)."]})
    new = _open_at(ctx, clinic.id, received=ReferralAction.RECEIVE_DPS_TRANSFER, logged_as="dps_transfer_create",
                   data={"reason": data["reason"], "from_clinic_id": ctx.referral.clinic_id})
    return {**data, "new_referral_id": new.id}


def _record_only(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Actions whose data lives in their event: questions, answers, reasons, summaries."""
    return _json_ready(data)


EFFECTS: dict[ReferralAction, Effect] = {
    ReferralAction.SUBMIT: _submit,
    ReferralAction.REQUEST_INFORMATION: _record_only,
    ReferralAction.SUPPLEMENT: _record_only,
    ReferralAction.ACCEPT: _accept,
    ReferralAction.REJECT: _record_only,
    ReferralAction.MUNICIPAL_OUTCOME: _municipal_outcome,
    ReferralAction.FORWARD: _forward,
    ReferralAction.START_TREATMENT: _start_treatment,
    ReferralAction.DISCHARGE: _discharge,
    ReferralAction.PLAN_DISCHARGE: _plan_discharge,
    ReferralAction.RECORD_EPIKRISE: _record_epikrise,
    ReferralAction.WITHDRAW: _record_only,
    ReferralAction.TRANSFER_TO_DPS: _transfer_to_dps,
}


def take_action(uow: UnitOfWork, *, clock: Clock, deadlines: DeadlinePolicy, referrers: ReferrerPolicy,
                municipalities: MunicipalityRegister, actor: Actor, referral_id: str, action: ReferralAction,
                data: dict[str, Any], if_match: str | None) -> ReferralView:
    """Apply one lifecycle action in one transaction: 404, 403, 412, 409 or 422, or the new state."""
    with uow:
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        parties = uow.referrals.parties_of(actor=actor, referral=referral)
        if not parties & lifecycle.parties_for(action):
            raise Forbidden(f"Your role may not {action} a referral.")
        check_if_match(referral, if_match)
        decision = lifecycle.decide(status=ReferralStatus(referral.status), action=action, parties=parties)
        uow.referrals.claim_version(referral, if_match=if_match)
        context = ActionContext(uow, clock, deadlines, referrers, municipalities, actor, referral)
        event_data = EFFECTS[action](context, data)
        _apply(uow, clock, actor=actor, referral=referral, decision=decision, event_data=event_data)
        view = uow.referrals.view(referral)
        uow.commit()
    return view


def _apply(uow: UnitOfWork, clock: Clock, *, actor: Actor, referral: Referral, decision: Decision,
           event_data: dict[str, Any]) -> None:
    """The decision's new status, its event (with the handover trigger), its deadline marks and its log row."""
    referral.status = decision.to_status
    referral.updated_at = clock.now()
    uow.record_event(ReferralEvent(
        referral_id=referral.id, action=decision.action, from_status=decision.from_status,
        to_status=decision.to_status, actor_id=actor.user_id, actor_org_id=actor.organisation_id, at=clock.now(),
        data=event_data, handover_trigger=decision.handover_trigger))
    for mark in late_decision_marks(referral_id=referral.id, decided=decision.action, today=clock.today(),
                                    assessment_due=referral.assessment_due, care_start_due=referral.care_start_due,
                                    first_appointment_on=referral.first_appointment_on):
        uow.marks.add(mark, referral_id=referral.id, handover_id=None, at=clock.now())
    if decision.ends_referral:
        uow.referrals.settle_alerts(referral.id, clock.now())
    uow.access_log.record(actor=actor, action=str(decision.action), referrals=[referral])
