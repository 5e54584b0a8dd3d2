"""Logging in and out, and the start page that depends on the user's role."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import RateLimited, Unauthenticated
from referral_service.services.admin.auth import check_credentials
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, sign_in, sign_out, web_actor

LOGIN_FAILED = "Feil e-post eller passord."
LOCKED = "For mange mislykkede forsøk. Vent et kvarter og prøv igjen."


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@web.route("/logg-inn", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if web_actor() is not None:
            return redirect(url_for("web.start"))
        return render_template("login.html", next=_safe_next(request.args.get("next")), email="")
    email = request.form.get("email", "")
    try:
        user = check_credentials(unit_of_work(), clock=deps().clock, logins=deps().logins, email=email,
                                 password=request.form.get("password", ""), client_address=request.remote_addr)
    except RateLimited:
        return render_template("login.html", error=LOCKED, email=email), 429
    except Unauthenticated:
        return render_template("login.html", error=LOGIN_FAILED, email=email,
                               next=_safe_next(request.form.get("next"))), 401
    sign_in(user)
    return redirect(_safe_next(request.form.get("next")) or url_for("web.start"))


@web.post("/logg-ut")
def logout():
    sign_out()
    return redirect(url_for("web.login"))


@web.get("/")
@login_required
def start():
    """Referrers start at their referrals, BUP at the intake queue, municipalities (and a referring service's
    lead) at their tasks."""
    actor = web_actor()
    if "referrer" in actor.roles:
        return redirect(url_for("web.my_referrals"))
    if "bup_intake" in actor.roles:
        return redirect(url_for("web.intake"))
    if {"municipal_coordinator", "municipal_lead", "referrer_lead"} & set(actor.roles):
        return redirect(url_for("web.handovers"))
    return redirect(url_for("web.dashboard"))
