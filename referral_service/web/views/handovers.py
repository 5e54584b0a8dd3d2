"""Tilbakehenvisninger: the municipality's handover tasks, new and overdue first."""

from __future__ import annotations

from flask import render_template

from referral_service.api.context import db_session, rules
from referral_service.services import handovers as handover_service
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, web_actor


@web.get("/tilbakehenvisninger")
@login_required
def handovers():
    page = handover_service.list_handovers(db_session(), rules(), actor=web_actor(), page=1, per_page=200)
    return render_template("handovers/list.html", page=page)
