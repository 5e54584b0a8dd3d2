"""The access log: one append-only row per read or write of a child's data, chained by keyed hashes.

Each row carries the hash of the row before it; the head row holds the newest sequence number
and hash, so changing, deleting or truncating any row breaks the chain where it happened.
Rows are chained with an HMAC keyed by AUDIT_KEY, a secret kept outside the database (`mac_version` 2):
someone who can write the database and read the code still cannot compute a row's hash. Rows written
before the keyed chain (`mac_version` 1, an unkeyed sha256) are verified the old way, and only as the
log's first rows, up to the cut-over that verification seals.
A checkpoint vouches, with a signature only the service can make, that the chain up to its row
was verified intact: later verifications start there instead of at the first row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id, utcnow

GENESIS_HASH = "0" * 64
#: How a row's hash is made: 1 an unkeyed sha256 (rows from before the keyed chain), 2 an HMAC keyed by AUDIT_KEY.
LEGACY_MAC, KEYED_MAC = 1, 2
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
    #: The id a denied attempt asked for (a referral's or a handover task's), which may not exist.
    requested_id: str | None = Field(default=None, max_length=36)
    mac_version: int = Field(default=KEYED_MAC, sa_column_kwargs={"server_default": "1"})


def keyed_digest(key: bytes, content: list[object]) -> str:
    """The keyed hash of a row's content (`KEYED_MAC`): the row as `row_digest` lists it, then `requested_id`."""
    return hmac.new(key, _COMPACT_JSON.encode(content).encode(), hashlib.sha256).hexdigest()


def row_digest(*, seq: int, at: datetime, user_id: str, organisation_id: str, role: str, action: str,
               referral_id: str | None, child_id: str | None, basis: str, prev_hash: str) -> str:
    """The unkeyed hash of a row (`LEGACY_MAC`): its content and the hash of the row before it. Anyone can compute
    it; only rows from before the keyed chain are verified with it."""
    return content_digest([seq, at.isoformat(), user_id, organisation_id, role, action, referral_id, child_id, basis,
                           prev_hash])


def content_digest(content: list[object]) -> str:
    """The hash of a row's content, listed in the order `row_digest` names it (for a walk of millions)."""
    return hashlib.sha256(_COMPACT_JSON.encode(content).encode()).hexdigest()


def entry_digest(entry: AccessLogEntry) -> str:
    """The unkeyed hash of a stored row (what someone with the code but not AUDIT_KEY can compute)."""
    return row_digest(seq=entry.seq, at=entry.at, user_id=entry.user_id, organisation_id=entry.organisation_id,
                      role=entry.role, action=entry.action, referral_id=entry.referral_id,
                      child_id=entry.child_id, basis=entry.basis, prev_hash=entry.prev_hash)


class AccessLogHead(SQLModel, table=True):
    """The newest link of the chain; one row, locked by every writer of the log."""

    __tablename__ = "access_log_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
    #: The signed anchor where verification starts (access_log_verification.Anchor): the first row kept after
    #: pruning and the hash it links to, and the last row chained unkeyed; `anchor_mac` None: never sealed.
    first_seq: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    first_prev_hash: str = Field(default=GENESIS_HASH, max_length=64,
                                 sa_column_kwargs={"server_default": GENESIS_HASH})
    legacy_until: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    anchor_mac: str | None = Field(default=None, max_length=64)


class AccessLogCheckpoint(SQLModel, table=True):
    """The chain verified intact up to row `seq`, whose hash was `entry_hash`; `signature` is an HMAC of both
    keyed from the service's secret, so someone with only database access cannot move or forge it."""

    __tablename__ = "access_log_checkpoint"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    entry_hash: str = Field(max_length=64)
    signature: str = Field(max_length=64)
    sealed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
