"""Logging in with e-mail and password, and resolving bearer tokens to actors."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as columns
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.login_throttle import LoginThrottle, SignInAddress
from referral_service.domain.organisation import ApiToken, Organisation, User
from referral_service.domain.web_session import PasswordReset
from referral_service.errors import Forbidden, RateLimited, Unauthenticated
from referral_service.security.actor import Actor
from referral_service.security.passwords import verify_password
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.role_fit import roles_for_kind

#: The same words whatever went wrong, so the answer never tells whether the e-mail exists.
LOGIN_FAILED = "The e-mail address or password is wrong."
MUST_CHOOSE_PASSWORD = ("An administrator reset this password: choose a new one in the web interface (/passord) "
                        "before asking for a token.")
LOCKED = "Too many failed log-ins. Wait a while and try again."


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed log-ins lock an e-mail address, for how long, and how long a bearer token lasts (settings)."""

    max_failed_logins: int
    lockout_minutes: int
    token_lifetime_minutes: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_while_locked(throttle: LoginThrottle, clock: Clock) -> None:
    if throttle.locked_until and throttle.locked_until > clock.now():
        wait = int((throttle.locked_until - clock.now()).total_seconds()) + 1
        raise RateLimited(LOCKED, headers={"Retry-After": str(wait)})


#: Failures from one network address, over every e-mail address (password spraying), slow that address down from
#: this many times the per-account limit: from then on it may try once more only after a wait that doubles (1, 2,
#: 4 … seconds, at most ADDRESS_MAX_DELAY). During the wait an account is refused (429) before its password is
#: looked at, so no guess is checked; but an account that signed in from this address within KNOWN_ADDRESS_DAYS
#: (a colleague at the office behind the municipality's shared address) is never slowed down. So one person
#: mistyping, or someone guessing, behind a shared address (NAT) locks no colleague out, and a new colleague waits
#: at most a minute; guessing stays bounded per address, besides the lock per account.
ADDRESS_LIMIT_FACTOR = 5
ADDRESS_MAX_DELAY = timedelta(seconds=60)
KNOWN_ADDRESS_DAYS = 30
SLOWED = "Too many failed log-ins from this address. Wait a while and try again."


def _throttle(session: Session, name: str) -> LoginThrottle:
    key = hashlib.sha256(name.encode()).hexdigest()
    return session.get(LoginThrottle, key) or LoginThrottle(key=key)


def _email_throttle(session: Session, email: str) -> LoginThrottle:
    return _throttle(session, email.strip().lower())


def _count_failure(throttle: LoginThrottle, *, clock: Clock, logins: LoginPolicy, limit: int) -> None:
    window = timedelta(minutes=logins.lockout_minutes)
    if throttle.last_failure_at and clock.now() - throttle.last_failure_at > window:
        throttle.failures = 0  # old failures are forgiven
    throttle.failures += 1
    throttle.last_failure_at = clock.now()
    if throttle.failures >= limit:
        throttle.failures = 0
        throttle.locked_until = clock.now() + window


def _count_address_failure(throttle: LoginThrottle, *, clock: Clock, logins: LoginPolicy) -> None:
    """One more wrong password from this address; past the free ones it must wait 1, 2, 4 … seconds (at most
    ADDRESS_MAX_DELAY) before anyone but a known colleague is heard from there again."""
    window = timedelta(minutes=logins.lockout_minutes)
    if throttle.last_failure_at and clock.now() - throttle.last_failure_at > window:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = clock.now()
    beyond = throttle.failures - logins.max_failed_logins * ADDRESS_LIMIT_FACTOR
    if beyond >= 0:
        throttle.locked_until = clock.now() + min(timedelta(seconds=2 ** min(beyond, 20)), ADDRESS_MAX_DELAY)


def _address_key(email: str, client_address: str) -> str:
    return hashlib.sha256(f"signed-in:{email}|{client_address}".encode()).hexdigest()


def _known_here(session: Session, *, clock: Clock, email: str, client_address: str) -> bool:
    """The account signed in from this address lately (a colleague at the office)."""
    known = session.get(SignInAddress, _address_key(email, client_address))
    return known is not None and clock.now() - known.last_signed_in_at <= timedelta(days=KNOWN_ADDRESS_DAYS)


def _refuse_while_address_slowed(throttle: LoginThrottle | None, clock: Clock) -> None:
    if throttle is not None and throttle.locked_until and throttle.locked_until > clock.now():
        wait = int((throttle.locked_until - clock.now()).total_seconds()) + 1
        raise RateLimited(SLOWED, headers={"Retry-After": str(wait)})


def count_password_failure(uow: SqlUnitOfWork, *, clock: Clock, logins: LoginPolicy, email: str) -> None:
    """A wrong password given for a signed-in user's account (changing the password) counts like a failed log-in,
    so that form is no way around the lockout; committed, and 429 once the account is locked."""
    throttle = _email_throttle(uow.session, email)
    _count_failure(throttle, clock=clock, logins=logins, limit=logins.max_failed_logins)
    uow.session.add(throttle)
    uow.commit()
    _refuse_while_locked(throttle, clock)


def forget_failures(session: Session, *, email: str) -> None:
    """An administrator gave the account a new password: its failed log-ins no longer count."""
    throttle = session.get(LoginThrottle, hashlib.sha256(email.strip().lower().encode()).hexdigest())
    if throttle is not None:
        session.delete(throttle)


def refuse_while_account_locked(session: Session, *, clock: Clock, email: str) -> None:
    """429 while the account is locked by failed log-ins."""
    _refuse_while_locked(_email_throttle(session, email), clock)


def check_credentials(uow: SqlUnitOfWork, *, clock: Clock, logins: LoginPolicy, email: str, password: str,
                      client_address: str | None = None) -> User:
    """The user for valid credentials; failures count per e-mail address, known or not (locking it for a while),
    and per network address (slowing it down). The answer is the same whether or not the e-mail address exists.
    """
    with uow:
        user = _verified_user(uow, clock=clock, logins=logins, email=email, password=password,
                              client_address=client_address)
        uow.commit()
    return user


def _verified_user(uow: SqlUnitOfWork, *, clock: Clock, logins: LoginPolicy, email: str, password: str,
                   client_address: str | None) -> User:
    """The user, or 401/429 after the failure has been counted and committed. The account's own lock stops it; a
    slowed-down address stops it, before the password is looked at, unless the account signed in from there lately."""
    session = uow.session
    email = email.strip().lower()
    by_email = _throttle(session, email)
    _refuse_while_locked(by_email, clock)
    by_address = _throttle(session, f"address:{client_address}") if client_address else None
    if client_address and not _known_here(session, clock=clock, email=email, client_address=client_address):
        _refuse_while_address_slowed(by_address, clock)
    user = session.exec(select(User).where(User.email == email)).first()
    if verify_password(user.password_hash if user else None, password) and user and user.active:
        if by_email in session:
            session.delete(by_email)  # a success starts the count for this e-mail again
        if client_address:
            known = session.get(SignInAddress, _address_key(email, client_address))
            session.add(known or SignInAddress(key=_address_key(email, client_address), last_signed_in_at=clock.now()))
            if known is not None:
                known.last_signed_in_at = clock.now()
        return user
    _count_failure(by_email, clock=clock, logins=logins, limit=logins.max_failed_logins)
    session.add(by_email)
    if by_address is not None:
        _count_address_failure(by_address, clock=clock, logins=logins)
        session.add(by_address)
    uow.commit()
    _refuse_while_locked(by_email, clock)
    _refuse_while_address_slowed(by_address, clock)
    raise Unauthenticated(LOGIN_FAILED)


def issue_token(uow: SqlUnitOfWork, *, clock: Clock, logins: LoginPolicy, email: str, password: str,
                client_address: str | None = None) -> tuple[str, datetime]:
    """A new bearer token for valid credentials."""
    with uow:
        user = _verified_user(uow, clock=clock, logins=logins, email=email, password=password,
                              client_address=client_address)
        if uow.session.get(PasswordReset, user.id) is not None:
            # The temporary password an administrator saw opens nothing but the choice of a new one (on /passord).
            raise Forbidden(MUST_CHOOSE_PASSWORD)
        token = secrets.token_urlsafe(32)
        expires_at = clock.now() + timedelta(minutes=logins.token_lifetime_minutes)
        uow.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
        uow.commit()
    return token, expires_at


def revoke_token(uow: SqlUnitOfWork, clock: Clock, token: str) -> None:
    """Log out: the token stops working at once."""
    with uow:
        session = uow.session
        api_token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
        if api_token is not None and api_token.revoked_at is None:
            api_token.revoked_at = clock.now()
            uow.commit()


#: The token check every API request makes: one look-up of the token's hash (a unique index) that brings the user
#: and the organisation with it, as plain columns; built once, since building a statement costs more than running it.
_TOKEN_HOLDER = (
    columns(ApiToken.revoked_at, ApiToken.expires_at, User.active, User.id, User.roles, User.profession, User.name,
            Organisation.id, Organisation.kind, Organisation.municipality_number)
    .join_from(ApiToken, User, User.id == ApiToken.user_id)
    .join(Organisation, Organisation.id == User.organisation_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def actor_for_token(session: Session, clock: Clock, token: str) -> Actor:
    """The actor behind a bearer token, or 401."""
    # On the session's connection, in its transaction, without the ORM's bookkeeping (no entities come back).
    row = session.connection().execute(_TOKEN_HOLDER, {"token_hash": hash_token(token)}).first()
    if row is None:
        raise Unauthenticated("The token is not valid.")
    revoked_at, expires_at, active, user_id, roles, profession, name, org_id, org_kind, municipality_number = row
    if revoked_at is not None or expires_at <= clock.now() or not active:
        raise Unauthenticated("The token has expired or been revoked.")
    return Actor(user_id=user_id, organisation_id=org_id, organisation_kind=org_kind,
                 municipality_number=municipality_number, roles=_fitting(org_kind, roles),
                 profession=profession, name=name)


def _fitting(kind: str, roles: list[str]) -> frozenset[str]:
    """Only the roles that fit the organisation's kind (workflows/role_fit.py): a role given before the rule
    existed, or written into the database past the administration, opens nothing."""
    allowed = roles_for_kind(kind)
    return frozenset(role for role in roles if role in allowed)


def actor_for_user(user: User, organisation: Organisation) -> Actor:
    return Actor(
        user_id=user.id,
        organisation_id=organisation.id,
        organisation_kind=organisation.kind,
        municipality_number=organisation.municipality_number,
        roles=_fitting(organisation.kind, user.roles),
        profession=user.profession,
        name=user.name,
    )
