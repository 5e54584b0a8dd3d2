"""Logging in with e-mail and password, and resolving bearer tokens to actors."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from referral_service.domain.organisation import ApiToken, Organisation, User
from referral_service.errors import Unauthenticated
from referral_service.security.actor import Actor
from referral_service.security.passwords import verify_password
from referral_service.services.rules import ServiceRules

#: The same words whatever went wrong, so the answer never tells whether the e-mail exists.
LOGIN_FAILED = "The e-mail address or password is wrong."


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, rules: ServiceRules, *, email: str, password: str) -> tuple[str, datetime]:
    """A new bearer token for valid credentials; commits."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if not verify_password(user.password_hash if user else None, password) or not user or not user.active:
        raise Unauthenticated(LOGIN_FAILED)
    token = secrets.token_urlsafe(32)
    expires_at = rules.now() + timedelta(minutes=rules.token_lifetime_minutes)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), expires_at=expires_at))
    session.commit()
    return token, expires_at


def actor_for_token(session: Session, rules: ServiceRules, token: str) -> Actor:
    """The actor behind a bearer token, or 401."""
    row = session.exec(
        select(ApiToken, User, Organisation)
        .join(User, User.id == ApiToken.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(ApiToken.token_hash == _hash_token(token))
    ).first()
    if row is None:
        raise Unauthenticated("The token is not valid.")
    api_token, user, organisation = row
    if api_token.revoked_at is not None or api_token.expires_at <= rules.now() or not user.active:
        raise Unauthenticated("The token has expired or been revoked.")
    return actor_for_user(user, organisation)


def actor_for_user(user: User, organisation: Organisation) -> Actor:
    return Actor(
        user_id=user.id,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        municipality_number=organisation.municipality_number,
        roles=frozenset(user.roles),
        profession=user.profession,
        name=user.name,
    )
