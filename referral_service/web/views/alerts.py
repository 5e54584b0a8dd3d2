"""Varsler: the alert inbox, grouped by the task each alert is about, groups with unread alerts first."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.services.alerts import groups as alert_groups
from referral_service.services.alerts import inbox as alert_service
from referral_service.web.blueprint import web
from referral_service.web.paging import numbered_page
from referral_service.web.session_auth import login_required, web_actor

#: Alerts on one page of the inbox; a group that goes on past it goes on on the next page (its count is whole).
ALERTS_PER_PAGE = 100


@web.get("/varsler")
@login_required
def alerts():
    page = alert_service.list_alerts(db_session(), actor=web_actor(), wanted=numbered_page(ALERTS_PER_PAGE))
    groups = alert_groups.group_alerts(unit_of_work(), actor=web_actor(), alerts=page.items)
    return render_template("alerts.html", page=page, groups=groups)


@web.post("/varsler/<alert_id>/lest")
@login_required
def read_alert(alert_id: str):
    alert_service.mark_read(unit_of_work(), deps().clock, actor=web_actor(), alert_id=alert_id)
    return redirect(url_for("web.alerts"), code=303)


@web.post("/varsler/gruppe/lest")
@login_required
def read_alert_group():
    """Merk alle som lest: every unread alert of one group (its key is a hidden field of the group's form)."""
    marked = alert_groups.mark_group_read(unit_of_work(), deps().clock, actor=web_actor(),
                                          key=request.form.get("gruppe", ""))
    flash(f"{marked} {'varsel' if marked == 1 else 'varsler'} merket som lest.", "ok")
    return redirect(url_for("web.alerts"), code=303)
