"""Ny henvisning: the referral form in steps, saved as a draft at every step."""

from __future__ import annotations

from flask import render_template

from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required


@web.get("/henvisninger/ny")
@login_required
def new_referral():
    return render_template("referrals/form.html")


@web.get("/henvisninger/<referral_id>/steg/<int:step>")
@login_required
def edit_referral(referral_id: str, step: int):
    return render_template("referrals/form.html")
