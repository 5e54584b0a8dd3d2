"""The transactional outbox: events leave the database only through these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # The relay's query: not handed over, in order, and due (next_attempt_at read from the index entries).
        Index("ix_outbox_pending", "dispatched_at", "created_at", "next_attempt_at"),
        Index("ix_outbox_unprocessed", "processed_at", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    topic: str = Field(max_length=64)
    event_id: str | None = Field(default=None, unique=True, max_length=36)
    payload: JSONObject = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: Handed to the broker (may still be lost there: the reconciler replays what is not processed).
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Its effects are committed; set in the same transaction as those effects.
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    #: A delivery that failed for now waits until then (workflows/email_retries.py); None: at once.
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The web request (or task, `task:<id>`) that wrote it, carried to the task that handles it for the logs.
    request_id: str | None = Field(default=None, max_length=64)
