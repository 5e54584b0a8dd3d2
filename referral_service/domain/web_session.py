"""A signed-in browser, kept on the server so that log-out, a new password and deactivation end it at once; and the
mark that an administrator reset a user's password (the user chooses a new one before anything else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime

#: Why a session ended, as `ended_reason` says it.
LOGGED_OUT = "logged_out"
IDLE = "idle"
TOO_OLD = "too_old"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DEACTIVATED = "deactivated"


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"
    #: Ending every session of a user reads only that user's open ones.
    __table_args__ = (Index("ix_web_session_user_open", "user_id", "ended_at"),)

    #: A hash of the random session id the browser holds; the id itself is never stored.
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime)
    #: Refreshed at most once a minute (no write per request), so idle time is counted to the minute.
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=32)


class PasswordReset(SQLModel, table=True):
    """An administrator gave the user a temporary password: signing in leads to choosing a new one first."""

    __tablename__ = "password_reset"

    user_id: str = Field(foreign_key="app_user.id", primary_key=True, max_length=36)
    reset_at: datetime = Field(sa_type=UTCDateTime)
    #: The administrator who did it (the command line: None).
    reset_by: str | None = Field(default=None, max_length=36)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a web session lives: idle time, and a cap however active (a shared office PC is left signed in)."""

    idle: timedelta
    max_age: timedelta
    #: last_seen_at is written no more often than this.
    refresh_every: timedelta = timedelta(minutes=1)

    def ends_at(self, web_session: WebSession) -> datetime:
        """When the session ends if nothing more is done."""
        return min(web_session.last_seen_at + self.idle, web_session.created_at + self.max_age)

    def why_over(self, web_session: WebSession, now: datetime) -> str | None:
        """Why the session is no longer good at this moment (None while it is)."""
        if web_session.ended_at is not None:
            return web_session.ended_reason or LOGGED_OUT
        if now >= web_session.created_at + self.max_age:
            return TOO_OLD
        if now >= web_session.last_seen_at + self.idle:
            return IDLE
        return None

    def needs_refresh(self, web_session: WebSession, now: datetime) -> bool:
        return now - web_session.last_seen_at >= self.refresh_every
