"""Web sessions kept on the server: started at sign-in, checked on every signed-in request, and ended by log-out,
by running out, or for every browser of a user at once (a new password, a reset, deactivation).

The browser holds only a random session id; the table holds its hash, so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.organisation import ApiToken, Organisation, User
from referral_service.domain.web_session import WebSession
from referral_service.services.unit_of_work import SqlUnitOfWork


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_web_session(uow: SqlUnitOfWork, clock: Clock, *, user_id: str) -> str:
    """A new session for the user; the answer is the id for the browser's cookie (never stored)."""
    session_id = secrets.token_urlsafe(32)
    with uow:
        now = clock.now()
        uow.add(WebSession(id_hash=hash_session_id(session_id), user_id=user_id, created_at=now, last_seen_at=now))
        uow.commit()
    return session_id


def find_web_session(session: Session, session_id: str) -> tuple[WebSession, User, Organisation] | None:
    """The session behind a browser's id, with its user and their organisation (whether or not it is still good:
    the caller's policy says)."""
    row = session.exec(select(WebSession, User, Organisation)
                       .join(User, col(User.id) == WebSession.user_id)
                       .join(Organisation, col(Organisation.id) == User.organisation_id)
                       .where(WebSession.id_hash == hash_session_id(session_id))).first()
    if row is None:
        return None
    session.expunge(row[0])  # the caller may mark it seen; the request's reading session must not write it back
    return row[0], row[1], row[2]


def touch_web_session(uow: SqlUnitOfWork, *, id_hash: str, at: datetime) -> None:
    """The user was here: idle time counts from now. A session ended meanwhile stays ended."""
    with uow:
        uow.session.execute(update(WebSession).where(col(WebSession.id_hash) == id_hash,
                                                     col(WebSession.ended_at).is_(None))
                            .values(last_seen_at=at))
        uow.commit()


def end_web_session(uow: SqlUnitOfWork, *, id_hash: str, at: datetime, reason: str) -> None:
    """End one session (log-out, or found run out); one already ended keeps its first reason."""
    with uow:
        uow.session.execute(update(WebSession).where(col(WebSession.id_hash) == id_hash,
                                                     col(WebSession.ended_at).is_(None))
                            .values(ended_at=at, ended_reason=reason))
        uow.commit()


def end_user_sessions(session: Session, *, user_id: str, at: datetime, reason: str,
                      keep_token_hash: str | None = None) -> int:
    """End every web session of the user and revoke their API tokens, in the caller's transaction; the answer is
    how many sign-ins (sessions and tokens) ended. `keep_token_hash` spares the token of the API call that asked
    (a user changing their password through the API stays signed in on that token)."""
    ended = session.execute(update(WebSession).where(col(WebSession.user_id) == user_id,
                                                     col(WebSession.ended_at).is_(None))
                            .values(ended_at=at, ended_reason=reason)).rowcount
    tokens = update(ApiToken).where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
    if keep_token_hash is not None:
        tokens = tokens.where(col(ApiToken.token_hash) != keep_token_hash)
    revoked = session.execute(tokens.values(revoked_at=at)).rowcount
    return int(ended or 0) + int(revoked or 0)
