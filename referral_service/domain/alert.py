"""Alerts: one row per recipient, with the state of its e-mail delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, utcnow


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        # Redelivery never gives a person the same alert twice.
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_alert_user_read_created", "user_id", "read_at", "created_at"),
        # The read part of the inbox, newest first (services/alerts/inbox.py).
        Index("ix_alert_user_created", "user_id", "created_at"),
        Index("ix_alert_email_state", "email_state", "created_at"),
        # A task's unread alerts, settled as the task moves on (repositories.py `settle_alerts`).
        Index("ix_alert_handover_read", "handover_id", "read_at"),
        # A referral's unread alerts, cleared when it ends (repositories.py) and counted by the inbox's groups.
        Index("ix_alert_referral_read", "referral_id", "read_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", max_length=36)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    referral_id: str | None = Field(default=None, foreign_key="referral.id", max_length=36)
    handover_id: str | None = Field(default=None, foreign_key="handover.id", max_length=36)
    #: What the alert is about, for the channels to put in words (notify/alert_texts.py); never a child's name.
    data: JSONObject | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    #: The sentence of an alert stored before alerts carried data; empty for every newer one.
    message: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: pending -> sent | failed
    email_state: str = Field(default="pending", max_length=16)
    email_attempts: int = 0
    email_error: str | None = Field(default=None, max_length=300)
    email_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: While a transient failure is retried: the end of its window and the next attempt (for the operations page).
    email_retry_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the e-mail was given up (an administrator may send it again).
    email_failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
