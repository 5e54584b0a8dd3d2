"""The access log: one append-only row per read or write of a child's data, chained by hashes.

Each row carries the hash of the row before it; the head row holds the newest sequence number
and hash, so changing, deleting or truncating any row breaks the chain where it happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id, utcnow

GENESIS_HASH = "0" * 64


class AccessLogEntry(SQLModel, table=True):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_referral_at", "referral_id", "at"),
        Index("ix_access_log_user_at", "user_id", "at"),
        Index("ix_access_log_child_at", "child_id", "at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: str = Field(max_length=36)
    organisation_id: str = Field(max_length=36)
    role: str = Field(max_length=32)
    action: str = Field(max_length=64)
    referral_id: str | None = Field(default=None, max_length=36)
    child_id: str | None = Field(default=None, max_length=36)
    basis: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AccessLogHead(SQLModel, table=True):
    """The newest link of the chain; one row, locked by every writer of the log."""

    __tablename__ = "access_log_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
