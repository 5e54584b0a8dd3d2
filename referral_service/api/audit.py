"""The access log for auditors."""

from __future__ import annotations

import dataclasses

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, deps, unit_of_work
from referral_service.api.docs import authenticated, problems
from referral_service.api.presenters import page_payload
from referral_service.schemas.audit import AuditFilterArgs, AuditPage, InsightIn, InsightOut, VerifyArgs, VerifyOut
from referral_service.services.admin import audit, insight

blp = Blueprint("audit", __name__, description="Access log (auditors)")
authenticated(blp)


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditFilterArgs, location="query")
@blp.response(200, AuditPage)
@problems(blp, 403, 404)
def list_access_log(args: dict):
    """Read the access log (auditors).

    Who read or changed which referral and when, filtered by referral, child, user, organisation and time.
    Reading a child's history is itself logged.
    """
    if args.get("child_id"):  # the child's history is read: logged as an insight request is
        insight.record_history_read(unit_of_work(), actor=current_actor(), child_id=args["child_id"])
    if args.get("organisation_id") or args.get("until"):
        return filtered_audit(args)  # part F's filters (below)
    return page_payload(audit.list_access_log(db_session(), actor=current_actor(), **args))


@blp.route("/audit/verify", methods=["GET"])
@blp.arguments(VerifyArgs, location="query")
@blp.response(200, VerifyOut)
@problems(blp, 403)
def verify_access_log(args: dict):
    """Verify the access log's hash chain (auditors).

    `ok` is false when a row was changed or removed; `full` checks every row, not only since the last
    checkpoint.
    """
    result = audit.verify_access_log(deps().database, actor=current_actor(), config=deps().config, full=args["full"])
    return dataclasses.asdict(result)


# --- Issue 13, part F: the log by organisation and time, and a child's history by identity number (innsyn) -----

def filtered_audit(args: dict) -> dict:
    """GET /audit with `organisation_id` or `until`: the same page, with every filter."""
    wanted = insight.AuditFilter(**{name: args.get(name) for name in (
        "child_id", "referral_id", "user_id", "organisation_id", "since", "until")})
    return page_payload(insight.list_access_log(db_session(), actor=current_actor(), wanted=wanted, page=args["page"],
                                                per_page=args["per_page"]))


@blp.route("/audit/insight", methods=["POST"])
@blp.arguments(InsightIn)
@blp.response(200, InsightOut)
@problems(blp, 403, 404)
def answer_insight_request(body: dict):
    """Answer a family's request for insight (auditors).

    Who read or changed the child's data and when. The number is only in the body; an unknown number answers
    404 without it. This reading is itself logged (`insight_request`).
    """
    child_id = insight.child_by_number(db_session(), deps().identity.vault, body["national_id"])
    rows = insight.insight_history(unit_of_work(), actor=current_actor(), child_id=child_id)
    return {"child_id": child_id, "items": [dataclasses.asdict(row) for row in rows]}
