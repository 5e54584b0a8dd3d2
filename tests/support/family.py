"""Signing in on the family page in integration tests without a browser: the session ID-porten's sign-in would
start (services/family/sessions.py), put in the test client's cookie. The browser tests sign in through a real
OpenID Connect provider instead (tests/e2e)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from referral_service.bootstrap import dependencies
from referral_service.security import csrf
from referral_service.services.family.sessions import start_family_session
from referral_service.web.family_session import FAMILY_SESSION_ID

CSRF_TOKEN = "familie-test-csrf"


def family_client(app: Flask, national_id: str) -> FlaskClient:
    """A fresh test client signed in on the family page as the person with this identity number; its forms post
    with `data={"csrf_token": CSRF_TOKEN, ...}`."""
    deps = dependencies(app)
    indexes = tuple(deps.identity.vault.blind_indexes(national_id))
    session_id = start_family_session(deps.unit_of_work(), deps.clock, national_id_indexes=indexes)
    client = app.test_client()
    with client.session_transaction() as session:
        session[FAMILY_SESSION_ID] = session_id
        session[csrf.FIELD] = CSRF_TOKEN
        session.permanent = True
    return client
