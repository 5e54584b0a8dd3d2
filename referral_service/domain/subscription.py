"""FHIR Subscriptions (R4 backport, rest-hook, id-only): who asked to hear of Task changes, and each notification
owed to them, kept until it is delivered or given up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id, stored_enum, utcnow


class SubscriptionStatus(StrEnum):
    """The R4 Subscription.status codes (subscription-status)."""

    REQUESTED = "requested"
    ACTIVE = "active"
    ERROR = "error"
    OFF = "off"


class NotificationState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    #: Its subscription was turned off before it went out.
    CANCELLED = "cancelled"


class FhirSubscription(SQLModel, table=True):
    __tablename__ = "fhir_subscription"
    #: The active subscriptions a Task change may concern, found by their filter (services/fhir/notifications.py).
    __table_args__ = (Index("ix_fhir_subscription_status_filter", "status", "filter_kind", "filter_value"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: The organisation that owns it: only it sees it, and it hears only of the Tasks it may see.
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    #: The user who created it: the need-to-know rule is asked as this user (their roles) for every change.
    created_by_user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    endpoint: str = Field(max_length=2000)
    #: "owner" (Task?owner=Organization/{id}), "id" (Task?_id={id}) or None (every Task the owner may see).
    filter_kind: str | None = Field(default=None, max_length=16)
    filter_value: str | None = Field(default=None, max_length=36)
    status: SubscriptionStatus = Field(default=SubscriptionStatus.ACTIVE,
                                       sa_type=stored_enum(SubscriptionStatus, 16))
    #: Why it is in `error`: the last failure of the notification that was given up.
    error: str | None = Field(default=None, max_length=500)
    #: Notifications numbered so far (events-since-subscription-start); each takes the next number.
    events_count: int = 0
    reason: str | None = Field(default=None, max_length=500)
    #: The resource's version (meta.versionId, the ETag): moves on when its status or error changes.
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SubscriptionNotification(SQLModel, table=True):
    """One Task change owed to one subscription; its outbox row carries its id to the delivering task."""

    __tablename__ = "fhir_subscription_notification"
    __table_args__ = (
        # A change is told to a subscription once: a replayed change never makes a second notification.
        UniqueConstraint("subscription_id", "change_id", name="uq_fhir_notification_change"),
        Index("ix_fhir_notification_state_created", "state", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    subscription_id: str = Field(foreign_key="fhir_subscription.id", index=True, max_length=36)
    #: The row that recorded the change: a referral event, a handover event or an escalation mark.
    change_id: str = Field(max_length=36)
    task_id: str = Field(max_length=36)
    event_number: int
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    state: NotificationState = Field(default=NotificationState.PENDING, sa_type=stored_enum(NotificationState, 16))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    retry_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
