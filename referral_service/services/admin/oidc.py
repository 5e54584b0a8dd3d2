"""Signing in staff through an OpenID Connect provider, end to end (families: services/family/sign_in.py): the code
the provider sent back is exchanged, the ID token checked, and the person found among the existing, active users by
the configured field (HPR number or e-mail). The provider never creates a user or gives roles; an unknown or
deactivated person is refused alike.

Each sign-in and each refusal is logged with the provider and a reason code: never a token, a claim or a number.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from referral_service.clock import Clock
from referral_service.domain.oidc_state import UsedOidcState
from referral_service.domain.organisation import Organisation, User
from referral_service.security import oidc_client
from referral_service.security.oidc import (
    OidcProvider,
    PendingSignIn,
    SignInRefused,
    claimed_value,
    take_pending,
    validated_id_token,
)
from referral_service.services.unit_of_work import SqlUnitOfWork

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


def finish_sign_in(session: Session, *, used_states: SqlUnitOfWork, provider: OidcProvider,
                   pending: dict[str, dict[str, str]], callback: dict[str, str], clock: Clock, policy: OidcPolicy,
                   redirect_uri: str) -> tuple[User, str]:
    """The user the provider's answer names, and the page they were on their way to ("" for none). `pending` is
    the session's started sign-ins (the state is removed from it whatever happens: it is good once); `callback`
    the query the provider sent the browser back with; `used_states` a unit of work that records the state as
    used in the database too (the browser's cookie could be saved and played again)."""
    try:
        user = _signed_in_user(session, used_states=used_states, provider=provider, pending=pending,
                               callback=callback, clock=clock, policy=policy, redirect_uri=redirect_uri)
    except SignInRefused as refused:
        log.warning("oidc sign-in refused", extra={"provider": provider.key, "reason": refused.reason})
        raise
    log.info("oidc sign-in", extra={"provider": provider.key, "user_id": user[0].id})
    return user


def _signed_in_user(session: Session, *, used_states: SqlUnitOfWork, provider: OidcProvider,
                    pending: dict[str, dict[str, str]], callback: dict[str, str], clock: Clock, policy: OidcPolicy,
                    redirect_uri: str) -> tuple[User, str]:
    claims, next_page = checked_claims(used_states=used_states, provider=provider, pending=pending,
                                       callback=callback, clock=clock, policy=policy, redirect_uri=redirect_uri)
    return user_for_claims(session, provider=provider, claims=claims), next_page


def checked_claims(*, used_states: SqlUnitOfWork, provider: OidcProvider, pending: dict[str, dict[str, str]],
                   callback: dict[str, str], clock: Clock, policy: OidcPolicy,
                   redirect_uri: str) -> tuple[dict[str, Any], str]:
    """The claims of the ID token the provider's answer carries, after every check (the state once and for this
    provider, the code exchanged with the PKCE verifier, the token's signature, issuer, audience, times and nonce),
    and the page the person was on their way to. Staff and families sign in through this alike."""
    started = take_pending(pending, provider=provider, state=callback.get("state"), now=clock.now(),
                           within=policy.sign_in_within)
    use_state(used_states, started.state, now=clock.now(), within=policy.sign_in_within)
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
    return claims, started.next_page


def use_state(uow: SqlUnitOfWork, state: str, *, now: datetime, within: timedelta) -> None:
    """Record a started sign-in's state as used (its hash), in its own transaction before the code is exchanged;
    refused (`state_unknown_or_used`, as for a state the session no longer holds) when it was used before. Hashes
    older than a sign-in's life go: such a state is refused as expired anyway (its start is in the signed cookie)."""
    state_hash = hashlib.sha256(state.encode()).hexdigest()
    try:
        with uow:
            if uow.session.get(UsedOidcState, state_hash) is not None:
                raise SignInRefused("state_unknown_or_used")
            uow.session.exec(delete(UsedOidcState).where(col(UsedOidcState.used_at) < now - within))
            uow.add(UsedOidcState(state_hash=state_hash, used_at=now))
            uow.commit()
    except IntegrityError:  # another request took the same state back at the same moment
        raise SignInRefused("state_unknown_or_used") from None


def user_for_claims(session: Session, *, provider: OidcProvider, claims: dict[str, Any]) -> User:
    """The active user the ID token's claims name, if this provider may sign them in: a user of an organisation on
    its allow-list, never an administrator or auditor unless it says so. Refused alike otherwise (the reason codes
    differ in the log only)."""
    if provider.for_families:  # a family member is never a staff user (web/views/oidc.py offers staff's only)
        raise SignInRefused("provider_for_families")
    value = claimed_value(provider, claims)
    if value is None:
        raise SignInRefused("unknown_subject")
    if provider.user_field == "hpr_number":
        condition = User.hpr_number == value
    else:
        condition = User.email == value.lower()
    row = session.exec(select(User, Organisation).join(Organisation, col(Organisation.id) == User.organisation_id)
                       .where(condition, col(User.active).is_(True))).first()
    if row is None:
        raise SignInRefused("unknown_subject")
    user, organisation = row
    refused = provider.may_sign_in(organisation_id=organisation.id, organisation_kind=organisation.kind,
                                   roles=list(user.roles))
    if refused:
        raise SignInRefused(refused)
    return user
