"""CSRF protection for the server-rendered forms: a per-session token in every form, checked on POST."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def csrf_token() -> str:
    """The session's token, made on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def check_csrf() -> None:
    """Refuse a state-changing form post whose token is missing or not the session's."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    sent = request.form.get(FIELD, "")
    expected = session.get(FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="Skjemaet er utløpt. Last siden på nytt og prøv igjen.")
