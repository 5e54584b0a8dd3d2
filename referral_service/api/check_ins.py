"""Check-ins after the municipal help ended (oppfølgingssamtaler): list, read, record, cancel."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, guarded_change
from referral_service.api.presenters import page_payload
from referral_service.schemas import check_ins as s
from referral_service.services.handovers import check_ins

blp = Blueprint("check_ins", __name__, description="Check-ins after the municipal help ended")
authenticated(blp)


def check_in_payload(view: check_ins.CheckInView) -> dict:
    return {**view.check_in.model_dump(), "due": view.due, "next_step": view.next_step, "actions": view.actions}


@blp.route("/check-ins", methods=["GET"])
@blp.arguments(s.CheckInListArgs, location="query")
@blp.response(200, s.CheckInPage)
def list_check_ins(args: dict):
    """List the check-ins after the municipal help ended.

    Those of tasks you work on, with when each is due and what comes next.
    """
    page = check_ins.list_check_ins(unit_of_work(), deps().clock, actor=current_actor(), **args)
    return page_payload(page, check_in_payload)


@blp.route("/check-ins/<check_in_id>", methods=["GET"])
@blp.response(200, s.CheckInOut)
def get_check_in(check_in_id: str):
    """Read one check-in.

    With its ETag, for If-Match on the next change.
    """
    view = check_ins.get_check_in(unit_of_work(), deps().clock, actor=current_actor(), check_in_id=check_in_id)
    return check_in_payload(view), {"ETag": view.etag}


@guarded_change(blp, "/check-ins/<check_in_id>/record", method="POST", body=s.RecordCheckInIn,
                response=s.CheckInOut)
def record_check_in(data: dict, check_in_id: str):
    """Record how the check-in went.

    Send If-Match with the check-in's ETag.
    """
    view = check_ins.record_check_in(unit_of_work(), deps().clock, actor=current_actor(), check_in_id=check_in_id,
                                     if_match=if_match(), **data)
    return check_in_payload(view), {"ETag": view.etag}


@guarded_change(blp, "/check-ins/<check_in_id>/cancel", method="POST", body=s.CancelCheckInIn,
                response=s.CheckInOut)
def cancel_check_in(data: dict, check_in_id: str):
    """Call the check-in off.

    Saying why; send If-Match with the check-in's ETag.
    """
    view = check_ins.cancel_check_in(unit_of_work(), deps().clock, actor=current_actor(), check_in_id=check_in_id,
                                     if_match=if_match(), **data)
    return check_in_payload(view), {"ETag": view.etag}
