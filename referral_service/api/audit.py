"""The access log for auditors."""

from __future__ import annotations

import dataclasses

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, deps
from referral_service.api.docs import authenticated, problems
from referral_service.api.presenters import page_payload
from referral_service.schemas.audit import AuditListArgs, AuditPage, VerifyArgs, VerifyOut
from referral_service.services.admin import audit

blp = Blueprint("audit", __name__, description="Access log (auditors)")
authenticated(blp)


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditListArgs, location="query")
@blp.response(200, AuditPage)
@problems(blp, 401, 403)
def list_audit(args: dict):
    return page_payload(audit.list_access_log(db_session(), actor=current_actor(), **args))


@blp.route("/audit/verify", methods=["GET"])
@blp.arguments(VerifyArgs, location="query")
@blp.response(200, VerifyOut)
@problems(blp, 401, 403)
def verify_audit(args: dict):
    result = audit.verify_access_log(deps().database, actor=current_actor(), config=deps().config, full=args["full"])
    return dataclasses.asdict(result)
