"""Logging in to the web interface: a signed, HttpOnly session cookie that times out, and forms that say whose
they are (so that what was typed survives the session's end: web/kept_forms.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlmodel import select

from referral_service.api.context import db_session
from referral_service.domain.organisation import Organisation, User
from referral_service.security import csrf
from referral_service.security.actor import Actor
from referral_service.services.admin.auth import actor_for_user

SESSION_USER = "user_id"
SESSION_SINCE = "signed_in_at"
#: However active, a session ends this long after signing in (a shared office PC is left signed in).
MAX_SESSION_AGE = timedelta(hours=10)
#: Signs the user's id into a signed-in session's form token.
FORM_OWNER_SALT = "henvisning.skjemaeier"
#: A form shown near the end of the session's longest life may be posted a while after it.
FORM_OWNER_GRACE = timedelta(hours=1)


def _form_owners() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=FORM_OWNER_SALT)


def form_owner(token: str) -> str | None:
    """The user a form's CSRF token was made for at sign-in (None for a token that names no one, or one made
    longer ago than a session can last). The token proves whose form it was, never that they are signed in."""
    try:
        owner = _form_owners().loads(token, max_age=int((MAX_SESSION_AGE + FORM_OWNER_GRACE).total_seconds()))
    except BadData:
        return None
    return owner.get("bruker") if isinstance(owner, dict) else None


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new session id guards against fixation)."""
    session.clear()
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_SINCE] = datetime.now(UTC).isoformat()
    # The session's CSRF token (security/csrf.py) names its user, signed: a form posted after the session is gone
    # can be kept for that user alone. It stays unguessable (a random part) and is compared as a whole.
    session[csrf.FIELD] = _form_owners().dumps({"bruker": user.id, "n": secrets.token_urlsafe(24)})


def session_ends_at() -> datetime | None:
    """When the signed-in session ends if nothing more is done: idle time runs out, or its longest life."""
    since = session.get(SESSION_SINCE)
    if not session.get(SESSION_USER) or not since:
        return None
    idle_end = datetime.now(UTC) + current_app.permanent_session_lifetime
    return min(idle_end, datetime.fromisoformat(since) + MAX_SESSION_AGE)


def sign_out() -> None:
    session.clear()


def web_actor() -> Actor | None:
    """The signed-in user as an actor, or None."""
    if "web_actor" not in g:
        g.web_actor = None
        user_id = session.get(SESSION_USER)
        since = session.get(SESSION_SINCE)
        if user_id and (not since or datetime.now(UTC) - datetime.fromisoformat(since) > MAX_SESSION_AGE):
            session.clear()
            user_id = None
        if user_id:
            row = db_session().exec(select(User, Organisation)
                                    .join(Organisation, Organisation.id == User.organisation_id)
                                    .where(User.id == user_id, User.active.is_(True))).first()
            if row is not None:
                g.web_actor = actor_for_user(*row)
                g.web_organisation = row[1]
            else:
                session.clear()
    return g.web_actor


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
        return view(*args, **kwargs)

    return wrapped
