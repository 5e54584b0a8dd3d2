"""Signing in on the family page with ID-porten: the page with a button per families provider, the start, the
provider's answer, and signing out. The checks are in services/family/sign_in.py; the session in
web/family_session.py. Staff providers never sign anyone in here (and families providers never sign in staff:
web/views/oidc.py offers staff's only)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session, url_for

from referral_service.api.context import deps
from referral_service.security.oidc import OidcProvider, SignInRefused
from referral_service.services.admin.oidc import start_sign_in
from referral_service.services.family.sign_in import finish_family_sign_in
from referral_service.web.blueprint import web
from referral_service.web.family_session import family_viewer, sign_in_family, sign_out_family
from referral_service.web.views.oidc import EXTENSION, OidcSetup, remember_started

#: The session's started family sign-ins by state (apart from staff's, though the state names its provider too).
PENDING = "familie_oidc_pending"


def _setup() -> OidcSetup:
    setup: OidcSetup = current_app.extensions[EXTENSION]
    return setup


def family_providers() -> list[OidcProvider]:
    return [provider for provider in _setup().providers.values() if provider.for_families]


def _provider_or_404(key: str) -> OidcProvider:
    provider = _setup().providers.get(key)
    if provider is None or not provider.for_families:
        abort(404)
    return provider


def _redirect_uri(provider: OidcProvider) -> str:
    """The address registered at the provider: the public base address, not whatever host the request named."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for("web.family_sign_in_callback",
                                                                        provider_key=provider.key)


@web.get("/familie/logg-inn")
def family_sign_in():
    if family_viewer() is not None:
        return redirect(url_for("web.family_cases_page"))
    return render_template("family/sign_in.html", providers=family_providers())


@web.get("/familie/logg-inn/<provider_key>")
def family_sign_in_start(provider_key: str):
    """A link, not a form (the Content-Security-Policy's form-action 'self' would stop a form's redirect)."""
    provider = _provider_or_404(provider_key)
    try:
        pending, address = start_sign_in(provider, clock=deps().clock, policy=_setup().policy,
                                         redirect_uri=_redirect_uri(provider))
    except SignInRefused:
        return render_template("family/sign_in_refused.html", provider=provider), 502
    remember_started(PENDING, pending)
    return redirect(address)


@web.get("/familie/logg-inn/<provider_key>/tilbake")
def family_sign_in_callback(provider_key: str):
    provider = _provider_or_404(provider_key)
    pending = dict(session.get(PENDING, {}))
    try:
        indexes, _next_page = finish_family_sign_in(
            used_states=deps().unit_of_work(), vault=deps().identity.vault, provider=provider, pending=pending,
            callback=request.args.to_dict(), clock=deps().clock, policy=_setup().policy,
            redirect_uri=_redirect_uri(provider))
    except SignInRefused:
        return render_template("family/sign_in_refused.html", provider=provider), 400
    finally:
        session[PENDING] = pending  # the state is used up, whatever the outcome
    sign_in_family(indexes)  # a fresh session: the other started sign-ins go with the old one
    return redirect(url_for("web.family_cases_page"))


@web.post("/familie/logg-ut")
def family_sign_out():
    sign_out_family()
    return redirect(url_for("web.family_sign_in"))
