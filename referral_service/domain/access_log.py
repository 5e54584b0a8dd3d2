"""The access log: one append-only row per read or write of a child's data, chained by hashes.

Each row carries the hash of the row before it; the head row holds the newest sequence number
and hash, so changing, deleting or truncating any row breaks the chain where it happened.
A checkpoint vouches, with a signature only the service can make, that the chain up to its row
was verified intact: later verifications start there instead of at the first row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id, utcnow

GENESIS_HASH = "0" * 64
#: What `json.dumps(content, separators=(",", ":"))` does, without building an encoder for every row.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


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


def row_digest(*, seq: int, at: datetime, user_id: str, organisation_id: str, role: str, action: str,
               referral_id: str | None, child_id: str | None, basis: str, prev_hash: str) -> str:
    """The hash of a row: its content and the hash of the row before it."""
    return content_digest([seq, at.isoformat(), user_id, organisation_id, role, action, referral_id, child_id, basis,
                           prev_hash])


def content_digest(content: list[object]) -> str:
    """The hash of a row's content, listed in the order `row_digest` names it (for a walk of millions)."""
    return hashlib.sha256(_COMPACT_JSON.encode(content).encode()).hexdigest()


def entry_digest(entry: AccessLogEntry) -> str:
    """The hash of a stored row."""
    return row_digest(seq=entry.seq, at=entry.at, user_id=entry.user_id, organisation_id=entry.organisation_id,
                      role=entry.role, action=entry.action, referral_id=entry.referral_id,
                      child_id=entry.child_id, basis=entry.basis, prev_hash=entry.prev_hash)


class AccessLogHead(SQLModel, table=True):
    """The newest link of the chain; one row, locked by every writer of the log."""

    __tablename__ = "access_log_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)


class AccessLogCheckpoint(SQLModel, table=True):
    """The chain verified intact up to row `seq`, whose hash was `entry_hash`; `signature` is an HMAC of both
    keyed from the service's secret, so someone with only database access cannot move or forge it."""

    __tablename__ = "access_log_checkpoint"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    entry_hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)
    sealed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
