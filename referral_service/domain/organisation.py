"""Organisations, their users, API tokens and referral-right grants."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONType, UTCDateTime, new_id, utcnow


class Organisation(SQLModel, table=True):
    """A municipality, BUP clinic, PPT office, school health service, GP office or child welfare."""

    __tablename__ = "organisation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200)
    municipality_number: str | None = Field(default=None, max_length=4, index=True)
    her_id: str | None = Field(default=None, max_length=20)
    # Per-municipality handover deadlines; None means the service-wide setting.
    handover_acknowledge_days: int | None = None
    handover_first_contact_days: int | None = None
    #: How the family reaches the organisation (its switchboard or service desk), and when: the family page and the
    #: letters name them when no one person holds the child's case, or that person has no phone of their own.
    phone: str | None = Field(default=None, max_length=30)
    contact_hours: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    """A person who logs in; belongs to one organisation and has roles."""

    __tablename__ = "app_user"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    profession: str = Field(default="other", max_length=32)
    # The person's number in the Health Personnel Register (HPR): HelseID's sign-in names the user by it.
    hpr_number: str | None = Field(default=None, max_length=9, unique=True, index=True)
    #: The person's work phone and when they can be reached (e.g. "hverdager 08.00–15.30"): the family is told.
    phone: str | None = Field(default=None, max_length=30)
    reachable_hours: str | None = Field(default=None, max_length=200)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token; only its hash is stored."""

    __tablename__ = "api_token"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReferralRightGrant(SQLModel, table=True):
    """A municipality's right, for a period, for one profession to refer (e.g. a national trial)."""

    __tablename__ = "referral_right_grant"
    __table_args__ = (UniqueConstraint("municipality_number", "profession", "valid_from"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    municipality_number: str = Field(max_length=4, index=True)
    profession: str = Field(max_length=32)
    valid_from: date
    valid_to: date | None = None
    basis: str = Field(default="", max_length=300)
