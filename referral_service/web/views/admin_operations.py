"""Administrasjon › Drift: the background work's backlog and the failed alert e-mails, each of which the
administrator can send again (role admin). Shows no child data: an alert's kind and the recipient's organisation."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.errors import Conflict, NotFound
from referral_service.services.admin import operations
from referral_service.services.alerts import email_resend
from referral_service.web import labels
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, web_actor


@web.get("/admin/drift")
@login_required
def admin_operations():
    session, actor = db_session(), web_actor()
    return render_template("admin/operations.html",
                           status=operations.operations_status(session, deps().clock, actor=actor),
                           failed=email_resend.failed_emails(session, actor=actor), kinds=labels.ALERT_KIND,
                           kind_other=labels.ALERT_KIND_OTHER,
                           subscriptions=operations.subscriptions_in_error(session, actor=actor),
                           subscription_error=labels.subscription_error)


@web.post("/admin/drift/varsler/<alert_id>/send-pa-nytt")
@login_required
def admin_resend_alert_email(alert_id: str):
    try:
        email_resend.resend_email(unit_of_work(), deps().clock, actor=web_actor(), alert_id=alert_id)
    except NotFound:
        flash("Fant ikke varselet.", "info")
    except Conflict:
        flash("E-posten er ikke lenger feilet, så den sendes ikke på nytt.", "info")
    else:
        flash("E-posten sendes på nytt.", "ok")
    return redirect(url_for("web.admin_operations"), code=303)
