"""Logging in to the web interface: a signed, HttpOnly session cookie that times out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for
from sqlmodel import select

from referral_service.api.context import db_session
from referral_service.domain.organisation import Organisation, User
from referral_service.security.actor import Actor
from referral_service.services.admin.auth import actor_for_user

SESSION_USER = "user_id"
SESSION_SINCE = "signed_in_at"
#: However active, a session ends this long after signing in (a shared office PC is left signed in).
MAX_SESSION_AGE = timedelta(hours=10)


def sign_in(user: User) -> None:
    """Start a fresh session for the user (a new session id guards against fixation)."""
    session.clear()
    session.permanent = True
    session[SESSION_USER] = user.id
    session[SESSION_SINCE] = datetime.now(UTC).isoformat()


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
            return redirect(url_for("web.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapped
