"""POST /api/v1/referrals/{id}/<action>: one operation per lifecycle action."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema

from referral_service.api.context import current_actor, db_session, if_match, rules
from referral_service.api.docs import authenticated, problems
from referral_service.api.presenters import referral_payload
from referral_service.domain.enums import ReferralAction
from referral_service.schemas import referrals as s
from referral_service.services.referral_actions import take_action

blp = Blueprint("referral_actions", __name__, description="Referral lifecycle actions")
authenticated(blp)

IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"}}

BODIES: dict[ReferralAction, type[Schema] | None] = {
    ReferralAction.SUBMIT: None,
    ReferralAction.REQUEST_INFORMATION: s.RequestInformationIn,
    ReferralAction.SUPPLEMENT: s.SupplementIn,
    ReferralAction.ACCEPT: s.AcceptIn,
    ReferralAction.REJECT: s.RejectIn,
    ReferralAction.FORWARD: s.ForwardIn,
    ReferralAction.START_TREATMENT: s.StartTreatmentIn,
    ReferralAction.DISCHARGE: s.DischargeIn,
    ReferralAction.WITHDRAW: s.WithdrawIn,
}


def _register(action: ReferralAction, body: type[Schema] | None) -> None:
    def view(*args, referral_id: str):
        data = args[0] if args else {}
        result = take_action(db_session(), rules(), actor=current_actor(), referral_id=referral_id,
                             action=action, data=data, if_match=if_match())
        return referral_payload(result), {"ETag": result.etag}

    view.__name__ = "referral_" + action.value.replace("-", "_")
    view.__doc__ = f"{action.value.replace('-', ' ').capitalize()} the referral."
    decorated = problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)(view)
    decorated = blp.doc(parameters=[IF_MATCH])(decorated)
    decorated = blp.response(200, s.ReferralOut)(decorated)
    if body is not None:
        decorated = blp.arguments(body)(decorated)
    blp.route(f"/referrals/<referral_id>/{action.value}", methods=["POST"])(decorated)


for _action, _body in BODIES.items():
    _register(_action, _body)
