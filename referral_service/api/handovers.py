"""Handover tasks (tilbakehenvisninger): list, read, and the four actions."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, problems, register_action
from referral_service.api.paging import list_answer, page_request
from referral_service.schemas import handovers as s
from referral_service.services.handovers import tasks as handovers
from referral_service.workflows.handover_lifecycle import HandoverAction

blp = Blueprint("handovers", __name__, description="Handover tasks (tilbakehenvisninger)")
authenticated(blp)

def handover_payload(view: handovers.HandoverView) -> dict:
    return {**view.handover.model_dump(), "events": [e.model_dump() for e in view.events],
            "withhold_from_guardians": view.withhold_from_guardians,
            "epikrise_missing": view.handover.content.get("epikrise_sent") is False}


@blp.route("/handovers", methods=["GET"])
@blp.arguments(s.HandoverListArgs, location="query")
@blp.response(200, s.HandoverPage)
@problems(blp, 401)
def list_handovers(args: dict):
    actor = current_actor()
    page = handovers.list_handovers(unit_of_work(), deps().clock, actor=actor, wanted=page_request(args, actor=actor),
                                    **args)
    return list_answer(page, actor=actor, present=lambda h: {**h.model_dump(), "events": []})


@blp.route("/handovers/<handover_id>", methods=["GET"])
@blp.response(200, s.HandoverOut)
@problems(blp, 401, 404)
def get_handover(handover_id: str):
    view = handovers.get_handover(unit_of_work(), actor=current_actor(), handover_id=handover_id)
    return handover_payload(view), {"ETag": view.etag}


def _act(action: HandoverAction):
    def act(data: dict, *, handover_id: str):
        result = handovers.act_on_handover(unit_of_work(), deps().clock, actor=current_actor(), handover_id=handover_id,
                                           action=action, data=data, if_match=if_match(), deadlines=deps().deadlines)
        return handover_payload(result), {"ETag": result.etag}

    return act


for _action, _body in s.STEP_BODIES.items():
    register_action(blp, rule=f"/handovers/<handover_id>/{_action.value}", name=f"handover_{_action.value}",
                    doc=f"{_action.value.capitalize()} the handover task.", body=_body, response=s.HandoverOut,
                    act=_act(_action))
