"""POST /api/v1/referrals/{id}/<action>: one operation per lifecycle action."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, register_action
from referral_service.api.presenters import referral_payload
from referral_service.domain.enums import ReferralAction
from referral_service.schemas import referrals as s
from referral_service.services.referrals.actions import take_action

blp = Blueprint("referral_actions", __name__, description="Referral lifecycle actions")
authenticated(blp)

def _act(action: ReferralAction):
    def act(data: dict, *, referral_id: str):
        result = take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                             municipalities=deps().municipalities,
                             actor=current_actor(), referral_id=referral_id, action=action, data=data,
                             if_match=if_match())
        return referral_payload(result), {"ETag": result.etag}

    return act


for _action, _body in s.ACTION_BODIES.items():
    register_action(blp, rule=f"/referrals/<referral_id>/{_action.value}",
                    name="referral_" + _action.value.replace("-", "_"),
                    doc=f"{_action.value.replace('-', ' ').capitalize()} the referral.",
                    # An instance: given the class, webargs would build the schema (and its nested ones) per request.
                    body=_body() if _body else None, response=s.ReferralOut, act=_act(_action))
