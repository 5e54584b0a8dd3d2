"""The family page's sign-in (ID-porten): a session kept on the server (services/family/sessions.py) whose random id
rides in the same signed, HttpOnly cookie as the staff's, under its own key. A family member is never a staff user:
`family_viewer()` and `web_actor()` never answer for the same key, and signing in as one ends the other.

Idle time and the longest life follow the staff's settings (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, redirect, request, session

from referral_service.api.context import db_session, deps
from referral_service.domain.web_session import LOGGED_OUT
from referral_service.security import csrf
from referral_service.services.admin.web_sessions import hash_session_id
from referral_service.services.family.access import FamilyViewer
from referral_service.services.family.sessions import (
    end_family_session,
    find_family_session,
    start_family_session,
    touch_family_session,
)
from referral_service.web.session_auth import session_policy

#: The cookie's key for the family session's id.
FAMILY_SESSION_ID = "familie_okt"
#: Where a family member signs in (web/views/family_sign_in.py).
FAMILY_SIGN_IN_PATH = "/familie/logg-inn"


def sign_in_family(national_id_indexes: tuple[str, ...]) -> None:
    """Start a fresh family session for the person with these blind indexes (a new id guards against fixation)."""
    session_id = start_family_session(deps().unit_of_work(), deps().clock, national_id_indexes=national_id_indexes)
    session.clear()
    session.permanent = True
    session[FAMILY_SESSION_ID] = session_id
    session[csrf.FIELD] = secrets.token_urlsafe(32)
    g.pop("family_viewer", None)


def sign_out_family() -> None:
    session_id = session.get(FAMILY_SESSION_ID)
    if session_id:
        end_family_session(deps().unit_of_work(), id_hash=hash_session_id(session_id), at=deps().clock.now(),
                           reason=LOGGED_OUT)
    session.clear()
    g.pop("family_viewer", None)


def family_viewer() -> FamilyViewer | None:
    """The signed-in family member, or None (and the browser's key dropped) when the session is not good."""
    if "family_viewer" not in g:
        g.family_viewer = None
        session_id = session.get(FAMILY_SESSION_ID)
        found = find_family_session(db_session(), session_id) if session_id else None
        policy, now = session_policy(), deps().clock.now()
        if found is not None:
            reason = policy.why_over(found, now)  # the same fields as a WebSession
            if reason is None:
                if policy.needs_refresh(found, now):
                    touch_family_session(deps().unit_of_work(), id_hash=found.id_hash, at=now)
                g.family_viewer = FamilyViewer(person_id=found.person_id,
                                               national_id_indexes=tuple(found.national_id_indexes))
            elif found.ended_at is None:
                end_family_session(deps().unit_of_work(), id_hash=found.id_hash, at=now, reason=reason)
        if g.family_viewer is None and session_id:
            session.pop(FAMILY_SESSION_ID, None)
    viewer: FamilyViewer | None = g.family_viewer
    return viewer


def family_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """A family page: without a good family session, to the family's sign-in page."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if family_viewer() is None:
            return redirect(request.script_root + FAMILY_SIGN_IN_PATH)
        return view(*args, **kwargs)
    return wrapped
