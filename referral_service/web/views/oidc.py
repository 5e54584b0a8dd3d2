"""Logging in through an identity provider (HelseID, the municipality's Entra ID): start the sign-in, and take the
person back from the provider. The checks are in services/admin/oidc.py and security/oidc.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState

from referral_service.api.context import db_session, deps
from referral_service.security.oidc import (
    PERSON_REFUSALS,
    OidcProvider,
    PendingSignIn,
    SignInRefused,
    providers_from_setting,
)
from referral_service.services.admin.oidc import OidcPolicy, finish_sign_in, start_sign_in
from referral_service.web.blueprint import web
from referral_service.web.kept_forms import page_after_sign_in
from referral_service.web.session_auth import sign_in, web_actor
from referral_service.web.views.auth import _safe_next as safe_next

#: The session's started sign-ins by state; a few at most (another tab may have started one too).
PENDING = "oidc_pending"
MAX_PENDING = 3
EXTENSION = "oidc"


@dataclass(frozen=True)
class OidcSetup:
    providers: dict[str, OidcProvider]
    policy: OidcPolicy


@web.record_once
def _read_providers(state: BlueprintSetupState) -> None:
    """Read the providers when the app is built, so that a malformed setting stops the start, not a sign-in."""
    config = state.app.config
    state.app.extensions[EXTENSION] = OidcSetup(
        providers=providers_from_setting(config.get("OIDC_PROVIDERS")),
        policy=OidcPolicy(sign_in_within=timedelta(minutes=int(config.get("OIDC_SIGN_IN_MINUTES", 10))),
                          leeway_seconds=int(config.get("OIDC_CLOCK_LEEWAY_SECONDS", 60)),
                          timeout_seconds=float(config.get("OIDC_HTTP_TIMEOUT_SECONDS", 10.0))))


def _setup() -> OidcSetup:
    setup: OidcSetup = current_app.extensions[EXTENSION]
    return setup


def staff_providers() -> list[OidcProvider]:
    """The providers staff may log in with, for the login page's buttons (families' sign in on /familie/logg-inn:
    web/views/family_sign_in.py)."""
    return [provider for provider in _setup().providers.values() if provider.allowed_for == "staff"]


def _provider_or_404(key: str) -> OidcProvider:
    provider = _setup().providers.get(key)
    if provider is None or provider.allowed_for != "staff":
        abort(404)
    return provider


def _redirect_uri(provider: OidcProvider) -> str:
    """The address registered at the provider: the public base address, not whatever host the request named."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("web.oidc_callback", provider_key=provider.key)


@web.get("/logg-inn/<provider_key>")
def oidc_start(provider_key: str):
    """A link, not a form: the page's Content-Security-Policy (form-action 'self') would stop a form's redirect to
    the provider. Starting a sign-in changes nothing but this browser's own session."""
    provider = _provider_or_404(provider_key)
    if web_actor() is not None:
        return redirect(url_for("web.start"))
    try:
        pending, address = start_sign_in(provider, clock=deps().clock, policy=_setup().policy,
                                         redirect_uri=_redirect_uri(provider),
                                         next_page=safe_next(request.args.get("next")) or "")
    except SignInRefused:
        return render_template("oidc_refused.html", provider=provider, unknown_person=False), 502
    remember_started(PENDING, pending)
    return redirect(address)


def remember_started(key: str, pending: PendingSignIn) -> None:
    """Keep a started sign-in in the browser's session under `key`, with the few started before it (another tab)."""
    started = dict(list(session.get(key, {}).items())[-(MAX_PENDING - 1):])
    started[pending.state] = pending.as_dict()
    session[key] = started


@web.get("/logg-inn/<provider_key>/tilbake")
def oidc_callback(provider_key: str):
    provider = _provider_or_404(provider_key)
    pending = dict(session.get(PENDING, {}))
    try:
        user, next_page = finish_sign_in(db_session(), used_states=deps().unit_of_work(), provider=provider,
                                         pending=pending, callback=request.args.to_dict(), clock=deps().clock,
                                         policy=_setup().policy, redirect_uri=_redirect_uri(provider))
    except SignInRefused as refused:
        # Unknown, or not this provider's to sign in: the same page, which says nothing about who exists.
        unknown_person = refused.reason in PERSON_REFUSALS
        return render_template("oidc_refused.html", provider=provider, unknown_person=unknown_person), \
            403 if unknown_person else 400
    finally:
        session[PENDING] = pending  # the state is used up, whatever the outcome
    sign_in(user)  # a fresh session: the other started sign-ins go with the old one
    # As after a password: a form the session ended under first, then where they were going.
    return redirect(page_after_sign_in(user.id) or safe_next(next_page) or url_for("web.start"))


@web.app_context_processor
def _sign_in_providers() -> dict:
    """The login page's buttons (templates/login.html): a function, so other pages never compute it."""
    return {"sign_in_providers": staff_providers}
