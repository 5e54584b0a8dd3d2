"""Varsler: the alert inbox, unread first."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.services.alerts import inbox as alert_service
from referral_service.services.pagination import Counting, PageRequest
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, web_actor


@web.get("/varsler")
@login_required
def alerts():
    page = alert_service.list_alerts(db_session(), actor=web_actor(),
                                     wanted=PageRequest(per_page=100, count=Counting.BOUNDED))
    children = alert_service.children_in(unit_of_work(), actor=web_actor(), alerts=page.items)
    return render_template("alerts.html", page=page, children=children)


@web.post("/varsler/<alert_id>/lest")
@login_required
def read_alert(alert_id: str):
    alert_service.mark_read(unit_of_work(), deps().clock, actor=web_actor(), alert_id=alert_id)
    return redirect(url_for("web.alerts"))
