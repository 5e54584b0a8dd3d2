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


class SignInAddress(SQLModel, table=True):
    """An account that signed in from a network address lately: a colleague at the office, whom a flood of wrong
    passwords from that shared address never slows down (services/admin/auth.py)."""

    __tablename__ = "sign_in_address"

    #: A hash of the lower-cased e-mail address and the network address: the table names no one.
    key: str = Field(primary_key=True, max_length=64)
    last_signed_in_at: datetime = Field(sa_type=UTCDateTime, index=True)
