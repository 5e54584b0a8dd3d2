"""Handover task use cases: list, read, acknowledge, assign, plan first contact, close."""

from __future__ import annotations

from typing import Any

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverOutcome
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden, InvalidData, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import may_work_on
from referral_service.services.family.letter_drafts import draft_letter_for_handover_step
from referral_service.services.handovers.check_ins import schedule_check_in
from referral_service.services.handovers.task_list import handovers_page, referrals_of
from referral_service.services.pagination import Page, PageRequest
from referral_service.services.referrals.guards import if_match_fails
from referral_service.services.unit_of_work import SqlUnitOfWork, UnitOfWork
from referral_service.services.views import HandoverView, handover_etag
from referral_service.workflows.check_ins import schedules_check_in
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.handover_lifecycle import (
    SETTLES,
    TRANSITIONS,
    HandoverAction,
    HandoverStatus,
    next_handover_status,
)
from referral_service.workflows.referral_lifecycle import Party

__all__ = ["HandoverView", "act_on_handover", "get_handover", "list_handovers"]


def list_handovers(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, wanted: PageRequest,
                   status: str | None = None, overdue: bool = False) -> Page[Handover]:
    """New and overdue first, then by due date (task_list.py reads it through the indexes)."""
    with uow:
        result = handovers_page(uow.session, today=clock.today(), actor=actor, wanted=wanted, status=status,
                                overdue=overdue)
        uow.access_log.record(actor=actor, action="list_handovers", referrals=referrals_of(uow.session, result.items))
        uow.commit()
    return result


def allowed_actions(uow: UnitOfWork, *, actor: Actor, handover: Handover, referral: Referral) -> list[str]:
    """The steps the task's status allows, when this actor works on the task."""
    referrer_side = Party.REFERRER in uow.referrals.parties_of(actor=actor, referral=referral)
    if not may_work_on(actor, handover, referrer_side=referrer_side):
        return []
    return [str(action) for (status, action) in TRANSITIONS if status == handover.status]


def get_handover(uow: UnitOfWork, *, actor: Actor, handover_id: str) -> HandoverView:
    with uow:
        handover, referral = uow.handovers.get_visible(actor=actor, handover_id=handover_id)
        actions = allowed_actions(uow, actor=actor, handover=handover, referral=referral)
        uow.access_log.record(actor=actor, action="read_handover", referrals=[referral])
        view = uow.handovers.view(handover)
        uow.commit()
    view.actions = actions
    return view


def _apply(handover: Handover, action: HandoverAction, data: dict[str, Any], *, actor: Actor,
           uow: UnitOfWork, clock: Clock) -> dict[str, Any]:
    if action is HandoverAction.ACKNOWLEDGE:
        handover.acknowledged_at, handover.acknowledged_by_user_id = clock.now(), actor.user_id
        return {}
    if action is HandoverAction.ASSIGN:
        assignee = data.get("assignee_user_id")
        if assignee:
            user = uow.organisations.user(assignee)
            # Never to someone who has left: nothing is left with an inactive holder.
            if user is None or user.organisation_id != actor.organisation_id or not user.active:
                raise InvalidData("Assign to a person in your own organisation.",
                                  errors={"assignee_user_id": ["No such person in your organisation."]})
        handover.assignee_user_id, handover.assigned_service = assignee, data.get("service")
        return {"assignee_user_id": assignee, "service": data.get("service")}
    if action is HandoverAction.PLAN:
        if data["first_contact_on"] < clock.local_date(handover.created_at):
            raise InvalidData("The first contact cannot be before the task was created.",
                              errors={"first_contact_on": ["Before the task was created."]})
        handover.first_contact_on, handover.plan = data["first_contact_on"], data["plan"]
        return {"first_contact_on": data["first_contact_on"].isoformat(), "plan": data["plan"]}
    handover.outcome, handover.closed_at = data["outcome"], clock.now()
    handover.outcome_code = HandoverOutcome(data.get("outcome_code", HandoverOutcome.FOLLOWED_UP))
    return {"outcome": data["outcome"], "outcome_code": handover.outcome_code.value}


def act_on_handover(uow: UnitOfWork, clock: Clock, *, actor: Actor, handover_id: str,
                    action: HandoverAction, data: dict[str, Any], if_match: str | None,
                    deadlines: DeadlinePolicy) -> HandoverView:
    """One step of the task in one transaction: 404, 403, 412, 409 or 422, or the new state. Closing because the
    municipal help ended schedules the check-in with the family in the same transaction."""
    with uow:
        handover, referral = uow.handovers.get_visible(actor=actor, handover_id=handover_id)
        referrer_side = Party.REFERRER in uow.referrals.parties_of(actor=actor, referral=referral)
        if not may_work_on(actor, handover, referrer_side=referrer_side):
            raise Forbidden("Only the service the task is addressed to may work on it.")
        if if_match_fails(handover_etag(handover), if_match):
            raise PreconditionFailed("The task has changed since you read it. Fetch it again.")
        from_status = HandoverStatus(handover.status)
        to_status = next_handover_status(status=from_status, action=action)
        uow.handovers.claim_version(handover, if_match=if_match)
        event_data = _apply(handover, action, data, actor=actor, uow=uow, clock=clock)
        handover.status, handover.updated_at = to_status, clock.now()
        step = HandoverEvent(handover_id=handover.id, action=action, from_status=from_status, to_status=to_status,
                             actor_id=actor.user_id, at=clock.now(), data=event_data)
        uow.handovers.add_event(step)
        if isinstance(uow, SqlUnitOfWork):  # the family's letter for taking over or planning (none for the rest)
            draft_letter_for_handover_step(uow.session, clock, handover=handover, referral=referral, step=step)
        if action is HandoverAction.CLOSE and schedules_check_in(handover.outcome_code):
            schedule_check_in(uow, clock, policy=deadlines.check_ins, handover=handover, referral=referral,
                              actor=actor, closed_at=step.at)
        if action in SETTLES:
            uow.handovers.settle_alerts(handover.id, SETTLES[action], clock.now())
        uow.access_log.record(actor=actor, action=f"handover_{action}", referrals=[referral])
        view = uow.handovers.view(handover)
        uow.commit()
    return view
