"""Handover tasks (tilbakehenvisninger): list, read, and the four actions."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, register_action
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
def list_handovers(args: dict):
    """List handover tasks.

    Those of your municipality or service, most urgent first, filtered by status or overdue; paged by number
    or by cursor (the `Link` header names the next page).
    """
    actor = current_actor()
    page = handovers.list_handovers(unit_of_work(), deps().clock, actor=actor, wanted=page_request(args, actor=actor),
                                    **args)
    return list_answer(page, actor=actor, present=lambda h: {**h.model_dump(), "events": []})


@blp.route("/handovers/<handover_id>", methods=["GET"])
@blp.response(200, s.HandoverOut)
def get_handover(handover_id: str):
    """Read one handover task.

    With its events and the content the consent allows, and its ETag for If-Match on the next step.
    """
    view = handovers.get_handover(unit_of_work(), actor=current_actor(), handover_id=handover_id)
    return handover_payload(view), {"ETag": view.etag}


def _act(action: HandoverAction):
    def act(data: dict, *, handover_id: str):
        result = handovers.act_on_handover(unit_of_work(), deps().clock, actor=current_actor(), handover_id=handover_id,
                                           action=action, data=data, if_match=if_match(), deadlines=deps().deadlines)
        return handover_payload(result), {"ETag": result.etag}

    return act


#: Each step's summary and description in the OpenAPI document.
STEP_DOCS: dict[HandoverAction, tuple[str, str]] = {
    HandoverAction.ACKNOWLEDGE: ("Acknowledge the handover task",
                                 "The municipality confirms it has received the task (open -> acknowledged)."),
    HandoverAction.ASSIGN: ("Assign the handover task",
                            "To a person (`assignee_user_id`) or a service in the municipality (-> assigned)."),
    HandoverAction.PLAN: ("Plan the first contact with the child",
                          "`first_contact_on` and the `plan` (-> follow_up_planned)."),
    HandoverAction.CLOSE: ("Close the handover task", "Says how the task ended (`outcome`; -> closed)."),
}

for _action, _body in s.STEP_BODIES.items():
    _summary, _description = STEP_DOCS[_action]
    register_action(blp, rule=f"/handovers/<handover_id>/{_action.value}", name=f"{_action.value}_handover",
                    doc=f"{_summary}.\n\n{_description} Answers the task with its new ETag.", body=_body,
                    response=s.HandoverOut, act=_act(_action))
