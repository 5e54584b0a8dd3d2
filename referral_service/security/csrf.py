"""CSRF protection for the server-rendered forms: a per-session token in every form, checked on POST."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session
from werkzeug.exceptions import BadRequest

FIELD = "csrf_token"


class FormExpired(BadRequest):
    """The form's token is missing or belongs to another session (an expired or forged form)."""

    description = "The form has expired; load the page again."


def csrf_token() -> str:
    """The session's token, made on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    token: str = session[FIELD]
    return token


def check_csrf() -> None:
    """Refuse a state-changing form post whose token is missing or not the session's."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    sent = request.form.get(FIELD, "")
    expected = session.get(FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise FormExpired()
