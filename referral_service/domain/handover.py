"""The handover task (tilbakehenvisning) and the marks that make deadlines and escalations happen once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from referral_service.domain.enums import (
    HandoverAddressee,
    HandoverOutcome,
    HandoverStatus,
    HandoverTrigger,
    OwnerReason,
)
from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, stored_enum, utcnow


class Handover(SQLModel, table=True):
    __tablename__ = "handover"
    __table_args__ = (
        Index("ix_handover_municipality_status", "municipality_number", "status", "acknowledge_due"),
        # The sweep's overdue tasks, one index per deadline, and the tasks of a holder who has left.
        Index("ix_handover_status_acknowledge_due", "status", "acknowledge_due"),
        Index("ix_handover_status_first_contact_due", "status", "first_contact_due"),
        Index("ix_handover_assignee_status", "assignee_user_id", "status"),
        # The lists (services/handovers/task_list.py): a municipality's or an owner's tasks by status, in due order;
        # with the referral's id, so a page's rows and the list's count are found in the index alone.
        Index("ix_handover_municipality_org_status_due", "municipality_org_id", "addressed_to", "status",
              "acknowledge_due", "created_at", "referral_id"),
        Index("ix_handover_owner_status_due", "owner_org_id", "addressed_to", "status", "acknowledge_due",
              "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: A referral has one current task; a move to another municipality closes it as transferred and opens the
    #: next (`transferred_from_id`), so a referral's tasks form a chain and the current one has no successor.
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    # At most one handover per triggering event: a constraint, not a check-then-insert.
    trigger_event_id: str = Field(foreign_key="referral_event.id", unique=True, max_length=36)
    trigger: HandoverTrigger = Field(sa_type=stored_enum(HandoverTrigger, 16))
    municipality_number: str = Field(max_length=4)
    municipality_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)
    #: "municipality" when the home municipality owns the task; otherwise "referrer" (a referring organisation).
    addressed_to: HandoverAddressee = Field(sa_type=stored_enum(HandoverAddressee, 16))
    #: The organisation that owns the follow-up (workflows/handover_owner.py); None only while nobody can act.
    owner_org_id: str | None = Field(default=None, foreign_key="organisation.id", index=True, max_length=36)
    owner_reason: OwnerReason | None = Field(default=None, sa_type=stored_enum(OwnerReason, 32))
    status: HandoverStatus = Field(default=HandoverStatus.OPEN, sa_type=stored_enum(HandoverStatus, 24), index=True)
    acknowledge_due: date
    first_contact_due: date
    escalation_level: int = 0
    content: JSONObject = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    assignee_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    assigned_service: str | None = Field(default=None, max_length=200)
    first_contact_on: date | None = None
    plan: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=10_000)
    outcome_code: HandoverOutcome | None = Field(default=None, sa_type=stored_enum(HandoverOutcome, 24))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The task this one continues after the family moved (at most one successor per task: a constraint).
    transferred_from_id: str | None = Field(default=None, foreign_key="handover.id", unique=True, max_length=36)
    #: The task that continues this one in the new home municipality; set when this one closes as transferred.
    transferred_to_id: str | None = Field(default=None, foreign_key="handover.id", max_length=36)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HandoverEvent(SQLModel, table=True):
    """One step of a handover task: who did what, when."""

    __tablename__ = "handover_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    handover_id: str = Field(foreign_key="handover.id", index=True, max_length=36)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str = Field(max_length=24)
    actor_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    data: JSONObject = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class DeadlineMark(SQLModel, table=True):
    """A warning, breach (fristbrudd) or escalation, recorded once under its stable key."""

    __tablename__ = "deadline_mark"
    __table_args__ = (
        # "Already marked": a referral's mark of a kind, and a task's escalation of a kind on a day.
        Index("ix_deadline_mark_referral_kind", "referral_id", "kind"),
        Index("ix_deadline_mark_handover_kind_at", "handover_id", "kind", "at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40, index=True)
    referral_id: str | None = Field(default=None, foreign_key="referral.id", index=True, max_length=36)
    handover_id: str | None = Field(default=None, foreign_key="handover.id", index=True, max_length=36)
    level: int = 0
    due: date | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RepairReport(SQLModel, table=True):
    """What one reconciler run found and repaired."""

    __tablename__ = "repair_report"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    missing_handovers: int = 0
    stuck_messages: int = 0


class ReconcilerCheckpoint(SQLModel, table=True):
    """How far the reconciler has checked that every event which hands a child back has its handover.

    The next run reads only the events from there (less the grace, for transactions still open then), so it
    reads the last minutes of events, not every event ever. An event it could not repair holds the mark back.
    """

    __tablename__ = "reconciler_checkpoint"

    name: str = Field(primary_key=True, max_length=40)
    checked_until: datetime = Field(sa_type=UTCDateTime)
