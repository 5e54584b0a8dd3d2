"""The caller's alert inbox, and the operations view for administrators."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, deps, unit_of_work
from referral_service.api.docs import authenticated, problems
from referral_service.api.paging import list_answer, page_request
from referral_service.schemas import alert_emails
from referral_service.schemas import handovers as s
from referral_service.services.admin import operations
from referral_service.services.alerts import email_resend
from referral_service.services.alerts import inbox as alerts

blp = Blueprint("alerts", __name__, description="Alerts and operations")
authenticated(blp)


@blp.route("/alerts", methods=["GET"])
@blp.arguments(s.AlertListArgs, location="query")
@blp.response(200, s.AlertPage)
def list_alerts(args: dict):
    """List your alerts.

    Newest first, with the count of unread ones; paged by number or by cursor (the `Link` header names the
    next page). An alert's message names no child.
    """
    actor = current_actor()
    page = alerts.list_alerts(db_session(), actor=actor, wanted=page_request(args, actor=actor), **args)
    body, status, headers = list_answer(page, actor=actor)
    return {**body, "unread": alerts.unread_count(db_session(), actor=actor)}, status, headers


@blp.route("/alerts/<alert_id>/read", methods=["POST"])
@blp.response(200, s.AlertOut)
def read_alert(alert_id: str):
    """Mark one of your alerts as read.

    Another user's alert answers 404.
    """
    return alerts.mark_read(unit_of_work(), deps().clock, actor=current_actor(), alert_id=alert_id)


@blp.route("/admin/operations", methods=["GET"])
@blp.response(200, s.OperationsOut)
@problems(blp, 403)
def get_operations_status():
    """Read the operations status (administrators).

    The outbox backlog, alert deliveries and sweeps, for people who run the service.
    """
    return operations.operations_status(db_session(), deps().clock, actor=current_actor())


@blp.route("/admin/alerts/failed", methods=["GET"])
@blp.response(200, alert_emails.FailedEmailsOut)
@problems(blp, 401, 403)
def failed_alert_emails():
    """The alert e-mails given up after their retry window (or refused for good), newest first."""
    return {"items": email_resend.failed_emails(db_session(), actor=current_actor())}


@blp.route("/admin/alerts/<alert_id>/resend", methods=["POST"])
@blp.response(202, alert_emails.ResendOut)
@problems(blp, 401, 403, 404, 409)
def resend_alert_email(alert_id: str):
    """Send a failed alert's e-mail again (through the outbox, with a new retry window)."""
    alert = email_resend.resend_email(unit_of_work(), deps().clock, actor=current_actor(), alert_id=alert_id)
    return {"alert_id": alert.id, "email_state": alert.email_state}
