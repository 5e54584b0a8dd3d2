"""Oversikt: the figures Barneombudet and Ukom ask for."""

from __future__ import annotations

from flask import render_template

from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required


@web.get("/oversikt")
@login_required
def dashboard():
    return render_template("dashboard.html")
