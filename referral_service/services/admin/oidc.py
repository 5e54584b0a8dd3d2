"""Signing in through an OpenID Connect provider, end to end: the code the provider sent back is exchanged, the ID
token checked, and the person found among the existing, active users by the configured field (HPR number or
e-mail). The provider never creates a user or gives roles; an unknown or deactivated person is refused alike.

Each sign-in and each refusal is logged with the provider and a reason code: never a token, a claim or a number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.organisation import User
from referral_service.security import oidc_client
from referral_service.security.oidc import (
    OidcProvider,
    PendingSignIn,
    SignInRefused,
    claimed_value,
    take_pending,
    validated_id_token,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OidcPolicy:
    """How long a started sign-in lasts, the leeway on the ID token's times, and the wait for the provider."""

    sign_in_within: timedelta
    leeway_seconds: int
    timeout_seconds: float


def start_sign_in(provider: OidcProvider, *, clock: Clock, policy: OidcPolicy, redirect_uri: str,
                  next_page: str = "") -> tuple[PendingSignIn, str]:
    """A new sign-in (to keep in the browser's session) and the provider's address to send the browser to."""
    try:
        metadata = oidc_client.provider_metadata(provider, timeout=policy.timeout_seconds)
    except SignInRefused as refused:
        log.warning("oidc sign-in could not start", extra={"provider": provider.key, "reason": refused.reason})
        raise
    pending = PendingSignIn.start(provider, now=clock.now(), next_page=next_page)
    return pending, oidc_client.authorization_url(provider, metadata, pending, redirect_uri=redirect_uri)


def finish_sign_in(session: Session, *, provider: OidcProvider, pending: dict[str, dict[str, str]],
                   callback: dict[str, str], clock: Clock, policy: OidcPolicy,
                   redirect_uri: str) -> tuple[User, str]:
    """The user the provider's answer names, and the page they were on their way to ("" for none). `pending` is
    the session's started sign-ins (the state is removed from it whatever happens: it is good once); `callback`
    the query the provider sent the browser back with."""
    try:
        user = _signed_in_user(session, provider=provider, pending=pending, callback=callback, clock=clock,
                               policy=policy, redirect_uri=redirect_uri)
    except SignInRefused as refused:
        log.warning("oidc sign-in refused", extra={"provider": provider.key, "reason": refused.reason})
        raise
    log.info("oidc sign-in", extra={"provider": provider.key, "user_id": user[0].id})
    return user


def _signed_in_user(session: Session, *, provider: OidcProvider, pending: dict[str, dict[str, str]],
                    callback: dict[str, str], clock: Clock, policy: OidcPolicy,
                    redirect_uri: str) -> tuple[User, str]:
    started = take_pending(pending, provider=provider, state=callback.get("state"), now=clock.now(),
                           within=policy.sign_in_within)
    if callback.get("error"):
        raise SignInRefused("provider_refused")  # the person cancelled, or the provider said no
    if not callback.get("code"):
        raise SignInRefused("no_code")
    metadata = oidc_client.provider_metadata(provider, timeout=policy.timeout_seconds)
    id_token = oidc_client.exchange_code(provider, metadata, code=callback["code"],
                                         code_verifier=started.code_verifier, redirect_uri=redirect_uri,
                                         timeout=policy.timeout_seconds)
    claims = validated_id_token(id_token, provider=provider,
                                keys=oidc_client.signing_keys(metadata, timeout=policy.timeout_seconds),
                                nonce=started.nonce, now=clock.now(), leeway_seconds=policy.leeway_seconds)
    return user_for_claims(session, provider=provider, claims=claims), started.next_page


def user_for_claims(session: Session, *, provider: OidcProvider, claims: dict[str, Any]) -> User:
    """The active user the ID token's claims name; refused (`unknown_subject`) when there is none."""
    value = claimed_value(provider, claims)
    if value is None:
        raise SignInRefused("unknown_subject")
    if provider.user_field == "hpr_number":
        condition = User.hpr_number == value
    else:
        condition = User.email == value.lower()
    user = session.exec(select(User).where(condition, User.active.is_(True))).first()
    if user is None:
        raise SignInRefused("unknown_subject")
    return user
