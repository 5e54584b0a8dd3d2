"""Logging in and out, the session's end on every page, and the start page that depends on the user's role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, has_request_context, jsonify, redirect, render_template, request, session, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import RateLimited, Unauthenticated
from referral_service.services.admin.auth import SLOWED, check_credentials
from referral_service.web import formatting
from referral_service.web.blueprint import web
from referral_service.web.kept_forms import KEPT, page_after_sign_in, was_kept
from referral_service.web.session_auth import (
    MUST_CHOOSE_PASSWORD,
    login_required,
    renew_session,
    session_ends_at,
    sign_in,
    sign_out,
    web_actor,
)

LOGIN_FAILED = "Feil e-post eller passord."
LOCKED = "For mange mislykkede forsøk. Vent et kvarter og prøv igjen."
#: Many recent failures from this address (a correct password of someone who signed in from here still gets in).
SLOWED_DOWN = ("Det har vært mange mislykkede innlogginger herfra. Vent et minutt og prøv igjen. Har du logget "
               "inn herfra før, slipper du å vente.")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host: browsers read "/\\host" and "/<tab>/host" as "//host", so a
    backslash, whitespace or a control character anywhere refuses it, and so does anything naming a scheme or host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch == "\\" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@web.route("/logg-inn", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if web_actor() is not None:
            return redirect(url_for("web.start"))
        return render_template("login.html", next=_safe_next(request.args.get("next")), email="",
                               notice=KEPT if was_kept() else None)
    email = request.form.get("email", "")
    try:
        user = check_credentials(unit_of_work(), clock=deps().clock, logins=deps().logins, email=email,
                                 password=request.form.get("password", ""), client_address=request.remote_addr)
    except RateLimited as refused:
        response = render_template("login.html", error=SLOWED_DOWN if refused.detail == SLOWED else LOCKED,
                                   email=email, next=_safe_next(request.form.get("next")))
        return response, 429, refused.headers or {}
    except Unauthenticated:
        return render_template("login.html", error=LOGIN_FAILED, email=email,
                               next=_safe_next(request.form.get("next"))), 401
    sign_in(user)
    if session.get(MUST_CHOOSE_PASSWORD):  # an administrator reset the password: a new one before anything else
        return redirect(url_for("web.change_password"))
    # A form the session ended under comes first: back to it, with what was typed.
    return redirect(page_after_sign_in(user.id) or _safe_next(request.form.get("next")) or url_for("web.start"))


@web.post("/logg-ut")
def logout():
    sign_out()
    return redirect(url_for("web.login"))


@web.post("/okt/forleng")
@login_required
def extend_session():
    """Forleng økten: idle time counts from now, and the answer says until when (for static/session.js)."""
    renew_session()
    return jsonify(_session_end())


@web.app_context_processor
def _session_notice() -> dict:
    """When the signed-in session ends, for the notice on every page (templates/_session_notice.html)."""
    signed_in = has_request_context() and g.get("web_enabled", True) and web_actor() is not None
    return {"session_end": _session_end() if signed_in else None}


def _session_end() -> dict[str, str | int]:
    """The session's end as the clock on the wall shows it ("14:32"), and the seconds left until then."""
    ends = session_ends_at()
    if ends is None:
        return {"ends_at": "", "seconds_left": 0}
    return {"ends_at": f"{ends.astimezone(formatting.OSLO):%H:%M}",
            "seconds_left": max(0, int((ends - deps().clock.now()).total_seconds()))}


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
