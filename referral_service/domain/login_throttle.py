"""Failed logins per e-mail address, kept whether or not the address belongs to anyone."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttle"

    #: A hash of the lower-cased e-mail address: the table names no one.
    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
