"""Passwords after sign-up: the user changes their own, an administrator resets one to a temporary password.

Either way every other sign-in of the user ends at once (web sessions and API tokens): whoever knew the old
password is out. A reset also marks that the user chooses a new password before anything else; the temporary
password is shown once to the administrator and is never stored or logged in the clear.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.organisation import User
from referral_service.domain.web_session import PASSWORD_CHANGED, PASSWORD_RESET, PasswordReset
from referral_service.errors import InvalidData, NotFound
from referral_service.security.actor import Actor
from referral_service.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from referral_service.services.admin import events
from referral_service.services.admin.auth import (
    LoginPolicy,
    count_password_failure,
    forget_failures,
    refuse_while_account_locked,
)
from referral_service.services.admin.directory import require_admin
from referral_service.services.admin.web_sessions import end_user_sessions
from referral_service.services.unit_of_work import SqlUnitOfWork

#: Letters and digits a person can read aloud and type without mistaking one for another (no 0/O, 1/l/I).
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 16


def new_password_problems(*, current: str, new: str) -> dict[str, list[str]]:
    """What is wrong with a new password (security/passwords.py's rule), field by field; empty when it is fine."""
    if len(new) < MIN_PASSWORD_LENGTH:
        return {"new_password": [f"At least {MIN_PASSWORD_LENGTH} characters."]}
    if new == current:
        return {"new_password": ["Choose a password other than the one you have."]}
    return {}


def must_choose_password(session: Session, *, user_id: str) -> bool:
    """Whether an administrator reset the user's password and the user has not chosen a new one yet."""
    return session.get(PasswordReset, user_id) is not None


def change_password(uow: SqlUnitOfWork, *, clock: Clock, logins: LoginPolicy, user_id: str, current_password: str,
                    new_password: str, keep_token_hash: str | None = None) -> None:
    """The user's new password, given the current one; ends the user's other sign-ins (the caller renews its own
    web session; an API call keeps its token). A wrong current password counts like a failed log-in (422, or 429
    once the account is locked), so this is no way around the lockout."""
    with uow:
        session = uow.session
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise NotFound("No such user.")
        refuse_while_account_locked(session, clock=clock, email=user.email)
        if not verify_password(user.password_hash, current_password):
            count_password_failure(uow, clock=clock, logins=logins, email=user.email)
            raise InvalidData("The current password is wrong.",
                              errors={"current_password": ["The current password is wrong."]})
        problems = new_password_problems(current=current_password, new=new_password)
        if problems:
            raise InvalidData("The new password cannot be used.", errors=problems)
        user.password_hash = hash_password(new_password)
        reset = session.get(PasswordReset, user.id)
        if reset is not None:
            session.delete(reset)
        end_user_sessions(session, user_id=user.id, at=clock.now(), reason=PASSWORD_CHANGED,
                          keep_token_hash=keep_token_hash)
        uow.commit()


def reset_password(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor | None, user_id: str) -> str:
    """A random temporary password for the user (the answer: show it once, never log it); every sign-in of the
    user ends, and the next one leads to choosing a new password. `actor` None is the command line (the operator
    on the server); otherwise an administrator, who sees no child data here either."""
    with uow:
        if actor is not None:
            require_admin(actor)
        session = uow.session
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        temporary = "".join(secrets.choice(_READABLE) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        user.password_hash = hash_password(temporary)
        reset = session.get(PasswordReset, user.id) or PasswordReset(user_id=user.id, reset_at=clock.now())
        reset.reset_at, reset.reset_by = clock.now(), actor.user_id if actor is not None else None
        session.add(reset)
        forget_failures(session, email=user.email)
        end_user_sessions(session, user_id=user.id, at=clock.now(), reason=PASSWORD_RESET)
        # Who reset whose password stays on record after the user has chosen a new one (never the password).
        events.record(session, clock=clock, actor=actor, action=events.PASSWORD_RESET, target_kind="user",
                      target_id=user.id)
        uow.commit()
    return temporary
