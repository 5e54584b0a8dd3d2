"""Handover task use cases: list, read, acknowledge, assign, plan first contact, close."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, select

from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import User
from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden, InvalidData, NotFound, PreconditionFailed
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import may_work_on, visible_handovers
from referral_service.security.visibility import parties_of
from referral_service.services.guards import claim_row_version, if_match_fails
from referral_service.services.pagination import Page, paginate
from referral_service.services.rules import ServiceRules
from referral_service.workflows.handover_lifecycle import (
    AWAITING_FIRST_CONTACT,
    TRANSITIONS,
    HandoverAction,
    HandoverStatus,
    next_handover_status,
)
from referral_service.workflows.referral_lifecycle import Party

NOT_FOUND = "No such handover task, or it is not visible to you."


@dataclass
class HandoverView:
    handover: Handover
    events: list[HandoverEvent]
    #: The steps the reader may take now (empty for those who only read the task).
    actions: list[str] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return handover_etag(self.handover)


def handover_etag(handover: Handover) -> str:
    return f'"{handover.id}.{handover.version}"'


def _load(session: Session, *, actor: Actor, handover_id: str) -> tuple[Handover, Referral]:
    handover = session.exec(select(Handover).where(Handover.id == handover_id, visible_handovers(actor))).first()
    if handover is None:
        raise NotFound(NOT_FOUND)
    return handover, session.get(Referral, handover.referral_id)


def _view(session: Session, handover: Handover) -> HandoverView:
    events = session.exec(select(HandoverEvent).where(HandoverEvent.handover_id == handover.id)
                          .order_by(HandoverEvent.at, HandoverEvent.id)).all()
    return HandoverView(handover=handover, events=list(events))


def overdue_handovers(today):
    return (Handover.status != HandoverStatus.CLOSED) & (
        ((Handover.status == HandoverStatus.OPEN) & (Handover.acknowledge_due < today))
        | (Handover.status.in_(list(AWAITING_FIRST_CONTACT)) & (Handover.first_contact_due < today)))


def list_handovers(session: Session, rules: ServiceRules, *, actor: Actor, page: int, per_page: int,
                   status: str | None = None, overdue: bool = False) -> Page[Handover]:
    """New and overdue first, then by due date."""
    today = rules.today()
    query = select(Handover).where(visible_handovers(actor))
    if status:
        query = query.where(Handover.status == status)
    if overdue:
        query = query.where(overdue_handovers(today))
    urgency = case((overdue_handovers(today), 0), (Handover.status == HandoverStatus.OPEN, 1), else_=2)
    query = query.order_by(urgency, Handover.acknowledge_due, Handover.created_at, Handover.id)
    result = paginate(session, query, page=page, per_page=per_page)
    record_access(session, actor=actor, action="list_handovers",
                  referrals=[session.get(Referral, h.referral_id) for h in result.items])
    session.commit()
    return result


def allowed_actions(session: Session, *, actor: Actor, handover: Handover, referral: Referral) -> list[str]:
    """The steps the task's status allows, when this actor works on the task."""
    referrer_side = Party.REFERRER in parties_of(session, actor=actor, referral=referral)
    if not may_work_on(actor, handover, referrer_side=referrer_side):
        return []
    return [str(action) for (status, action) in TRANSITIONS if status == handover.status]


def get_handover(session: Session, *, actor: Actor, handover_id: str) -> HandoverView:
    handover, referral = _load(session, actor=actor, handover_id=handover_id)
    actions = allowed_actions(session, actor=actor, handover=handover, referral=referral)
    record_access(session, actor=actor, action="read_handover", referrals=[referral])
    session.commit()
    view = _view(session, handover)
    view.actions = actions
    return view


def _apply(handover: Handover, action: HandoverAction, data: dict[str, Any], *, actor: Actor,
           session: Session, rules: ServiceRules) -> dict[str, Any]:
    if action is HandoverAction.ACKNOWLEDGE:
        handover.acknowledged_at, handover.acknowledged_by_user_id = rules.now(), actor.user_id
        return {}
    if action is HandoverAction.ASSIGN:
        assignee = data.get("assignee_user_id")
        if assignee:
            user = session.get(User, assignee)
            if user is None or user.organisation_id != actor.organisation_id:
                raise InvalidData("Assign to a person in your own organisation.",
                                  errors={"assignee_user_id": ["No such person in your organisation."]})
        handover.assignee_user_id, handover.assigned_service = assignee, data.get("service")
        return {"assignee_user_id": assignee, "service": data.get("service")}
    if action is HandoverAction.PLAN:
        if data["first_contact_on"] < (handover.created_at.astimezone(rules.timezone).date()):
            raise InvalidData("The first contact cannot be before the task was created.",
                              errors={"first_contact_on": ["Before the task was created."]})
        handover.first_contact_on, handover.plan = data["first_contact_on"], data["plan"]
        return {"first_contact_on": data["first_contact_on"].isoformat(), "plan": data["plan"]}
    handover.outcome, handover.closed_at = data["outcome"], rules.now()
    return {"outcome": data["outcome"]}


def act_on_handover(session: Session, rules: ServiceRules, *, actor: Actor, handover_id: str,
                    action: HandoverAction, data: dict[str, Any], if_match: str | None) -> HandoverView:
    """One step of the task in one transaction: 404, 403, 412, 409 or 422, or the new state."""
    handover, referral = _load(session, actor=actor, handover_id=handover_id)
    referrer_side = Party.REFERRER in parties_of(session, actor=actor, referral=referral)
    if not may_work_on(actor, handover, referrer_side=referrer_side):
        raise Forbidden("Only the service the task is addressed to may work on it.")
    if if_match_fails(handover_etag(handover), if_match):
        raise PreconditionFailed("The task has changed since you read it. Fetch it again.")
    from_status = HandoverStatus(handover.status)
    to_status = next_handover_status(status=from_status, action=action)
    claim_row_version(session, Handover, handover)
    event_data = _apply(handover, action, data, actor=actor, session=session, rules=rules)
    handover.status, handover.updated_at = to_status, rules.now()
    session.add(HandoverEvent(handover_id=handover.id, action=action, from_status=from_status, to_status=to_status,
                              actor_id=actor.user_id, at=rules.now(), data=event_data))
    record_access(session, actor=actor, action=f"handover_{action}", referrals=[referral])
    session.commit()
    return _view(session, handover)

