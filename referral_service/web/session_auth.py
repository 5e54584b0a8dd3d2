"""Logging in to the web interface: a session kept on the server (services/admin/web_sessions.py) whose random id
rides in the signed, HttpOnly cookie, and forms that say whose they are (so that what was typed survives the
session's end: web/kept_forms.py).

Every signed-in request checks the session's row by the service's clock: ended (log-out, a new password,
deactivation), idle longer than the setting SESSION_IDLE_MINUTES, or older than SESSION_MAX_HOURS, and the user is
signed out. The cookie still carries the CSRF token, the kept search and the like; without a good row it opens
nothing, so a copy taken before log-out is worthless after it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from referral_service.api.context import db_session, deps
from referral_service.domain.organisation import User
from referral_service.domain.web_session import DEACTIVATED, LOGGED_OUT, SessionPolicy, WebSession
from referral_service.security import csrf
from referral_service.security.actor import Actor
from referral_service.services.admin.auth import actor_for_user
from referral_service.services.admin.credentials import must_choose_password
from referral_service.services.admin.web_sessions import (
    end_web_session,
    find_web_session,
    hash_session_id,
    start_web_session,
    touch_web_session,
)

#: The cookie's key for the server-side session's id.
SESSION_ID = "okt"
#: Set at sign-in after an administrator's reset: every page leads to choosing a new password first.
MUST_CHOOSE_PASSWORD = "nytt_passord"
#: However active, a session ends this long after signing in unless the setting says otherwise.
MAX_SESSION_AGE = timedelta(hours=10)
#: Signs the user's id into a signed-in session's form token.
FORM_OWNER_SALT = "henvisning.skjemaeier"
#: A form shown near the end of the session's longest life may be posted a while after it.
FORM_OWNER_GRACE = timedelta(hours=1)
#: The pages a user who must choose a new password may still open.
OPEN_WHILE_CHOOSING = frozenset({"web.change_password", "web.extend_session"})


def session_policy() -> SessionPolicy:
    """The settings SESSION_IDLE_MINUTES and SESSION_MAX_HOURS."""
    config = current_app.config
    return SessionPolicy(idle=timedelta(minutes=int(config.get("SESSION_IDLE_MINUTES", 30))),
                         max_age=timedelta(hours=float(config.get("SESSION_MAX_HOURS", 10))))


def _form_owners() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=FORM_OWNER_SALT)


def form_owner(token: str) -> str | None:
    """The user a form's CSRF token was made for at sign-in (None for a token that names no one, or one made
    longer ago than a session can last). The token proves whose form it was, never that they are signed in."""
    try:
        owner = _form_owners().loads(token, max_age=int((session_policy().max_age + FORM_OWNER_GRACE)
                                                        .total_seconds()))
    except BadData:
        return None
    return owner.get("bruker") if isinstance(owner, dict) else None


def sign_in(user: User) -> None:
    """Start a fresh session for the user: a new row and a new id (a new id guards against fixation)."""
    session_id = start_web_session(deps().unit_of_work(), deps().clock, user_id=user.id)
    session.clear()
    session.permanent = True
    session[SESSION_ID] = session_id
    # The session's CSRF token (security/csrf.py) names its user, signed: a form posted after the session is gone
    # can be kept for that user alone. It stays unguessable (a random part) and is compared as a whole.
    session[csrf.FIELD] = _form_owners().dumps({"bruker": user.id, "n": secrets.token_urlsafe(24)})
    if must_choose_password(db_session(), user_id=user.id):
        session[MUST_CHOOSE_PASSWORD] = True
    for cached in ("web_actor", "web_session", "web_organisation"):
        g.pop(cached, None)


def session_ends_at() -> datetime | None:
    """When the signed-in session ends if nothing more is done: idle time runs out, or its longest life."""
    if web_actor() is None:
        return None
    return session_policy().ends_at(g.web_session)


def renew_session() -> None:
    """Forleng økten: idle time counts from now (written at once, not at most once a minute)."""
    if web_actor() is None:
        return
    now = deps().clock.now()
    touch_web_session(deps().unit_of_work(), id_hash=g.web_session.id_hash, at=now)
    g.web_session.last_seen_at = now


def sign_out() -> None:
    """End this browser's session on the server, so a copy of the cookie opens nothing either."""
    session_id = session.get(SESSION_ID)
    if session_id:
        end_web_session(deps().unit_of_work(), id_hash=hash_session_id(session_id), at=deps().clock.now(),
                        reason=LOGGED_OUT)
    session.clear()
    for cached in ("web_actor", "web_session", "web_organisation"):
        g.pop(cached, None)


def web_actor() -> Actor | None:
    """The signed-in user as an actor, or None (and the browser's copy cleared) when the session is not good."""
    if "web_actor" not in g:
        g.web_actor = None
        session_id = session.get(SESSION_ID)
        found = find_web_session(db_session(), session_id) if session_id else None
        if found is not None and _still_good(*found[:2]):
            web_session, user, organisation = found
            g.web_actor = actor_for_user(user, organisation)
            g.web_session = web_session
            g.web_organisation = organisation
        elif session_id or "user_id" in session:
            session.clear()  # ended, run out, or a cookie from before sessions were kept on the server
    return g.web_actor


def _still_good(web_session: WebSession, user: User) -> bool:
    """Whether the session still holds now; one that has run out (or whose user is deactivated) is ended, and a
    good one is marked as seen now when the last mark is a minute old."""
    policy, now = session_policy(), deps().clock.now()
    reason = policy.why_over(web_session, now) or (None if user.active else DEACTIVATED)
    if reason is not None:
        if web_session.ended_at is None:
            end_web_session(deps().unit_of_work(), id_hash=web_session.id_hash, at=now, reason=reason)
        return False
    if policy.needs_refresh(web_session, now):
        touch_web_session(deps().unit_of_work(), id_hash=web_session.id_hash, at=now)
        web_session.last_seen_at = now
    return True


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if web_actor() is None:
            if request.method == "POST":
                from referral_service.web.kept_forms import keep_expired_post  # it asks who is signed in

                kept = keep_expired_post()
                if kept is not None:
                    return kept
            return redirect(url_for("web.login", next=request.full_path if request.method == "GET" else None))
        if session.get(MUST_CHOOSE_PASSWORD) and request.endpoint not in OPEN_WHILE_CHOOSING:
            return redirect(url_for("web.change_password"))
        return view(*args, **kwargs)

    return wrapped
