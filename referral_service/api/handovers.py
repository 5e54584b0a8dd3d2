"""Handover tasks (tilbakehenvisninger): list, read, and the four actions."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema

from referral_service.api.context import current_actor, db_session, if_match, rules
from referral_service.api.docs import authenticated, problems
from referral_service.api.presenters import page_payload
from referral_service.schemas import handovers as s
from referral_service.services import handovers
from referral_service.workflows.handover_lifecycle import HandoverAction

blp = Blueprint("handovers", __name__, description="Handover tasks (tilbakehenvisninger)")
authenticated(blp)

IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"}}


def handover_payload(view: handovers.HandoverView) -> dict:
    return {**view.handover.model_dump(), "events": [e.model_dump() for e in view.events]}


@blp.route("/handovers", methods=["GET"])
@blp.arguments(s.HandoverListArgs, location="query")
@blp.response(200, s.HandoverPage)
@problems(blp, 401)
def list_handovers(args: dict):
    page = handovers.list_handovers(db_session(), rules(), actor=current_actor(), **args)
    return page_payload(page, lambda h: {**h.model_dump(), "events": []})


@blp.route("/handovers/<handover_id>", methods=["GET"])
@blp.response(200, s.HandoverOut)
@problems(blp, 401, 404)
def get_handover(handover_id: str):
    view = handovers.get_handover(db_session(), actor=current_actor(), handover_id=handover_id)
    return handover_payload(view), {"ETag": view.etag}


BODIES: dict[HandoverAction, type[Schema] | None] = {
    HandoverAction.ACKNOWLEDGE: None,
    HandoverAction.ASSIGN: s.AssignIn,
    HandoverAction.PLAN: s.PlanIn,
    HandoverAction.CLOSE: s.CloseIn,
}


def _register(action: HandoverAction, body: type[Schema] | None) -> None:
    def view(*args, handover_id: str):
        result = handovers.act_on_handover(db_session(), rules(), actor=current_actor(), handover_id=handover_id,
                                           action=action, data=args[0] if args else {}, if_match=if_match())
        return handover_payload(result), {"ETag": result.etag}

    view.__name__ = f"handover_{action.value}"
    view.__doc__ = f"{action.value.capitalize()} the handover task."
    decorated = problems(blp, 400, 401, 403, 404, 409, 412, 413, 422)(view)
    decorated = blp.doc(parameters=[IF_MATCH])(decorated)
    decorated = blp.response(200, s.HandoverOut)(decorated)
    if body is not None:
        decorated = blp.arguments(body)(decorated)
    blp.route(f"/handovers/<handover_id>/{action.value}", methods=["POST"])(decorated)


for _action, _body in BODIES.items():
    _register(_action, _body)
