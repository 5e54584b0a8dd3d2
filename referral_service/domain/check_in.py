"""The check-in (oppfølgingssamtale) a coordinator holds with the family some months after the help ended."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from referral_service.domain.enums import CheckInOutcome, CheckInStatus, HandoverAddressee
from referral_service.domain.types import UTCDateTime, new_id, stored_enum, utcnow


class CheckIn(SQLModel, table=True):
    __tablename__ = "check_in"
    __table_args__ = (
        Index("ix_check_in_status_due_on", "status", "due_on"),
        #: The check-ins list: an owner's check-ins of one status in the list's order (check_in_list.py).
        Index("ix_check_in_owner_status_due", "owner_org_id", "status", "due_on", "created_at", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: One check-in per closed handover: a constraint, so a repeated close never schedules a second.
    handover_id: str = Field(foreign_key="handover.id", unique=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    #: The organisation that owned the handover when it closed; its people hold the check-in.
    owner_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)
    #: The task's addressee and municipality when it closed (a closed task is never rerouted or moved), and whether
    #: the referral is shared with the municipality now (kept in step by drafts.record_consent): the need-to-know
    #: of the check-ins list on the check-in's own row, so its count reads only check-ins (handover_visibility.py).
    addressed_to: HandoverAddressee | None = Field(default=None, sa_type=stored_enum(HandoverAddressee, 16))
    municipality_org_id: str | None = Field(default=None, max_length=36)
    shared_with_municipality: bool = False
    #: The coordinator who holds it; None: the owner organisation's coordinators together.
    coordinator_user_id: str | None = Field(default=None, foreign_key="app_user.id", index=True, max_length=36)
    due_on: date
    status: CheckInStatus = Field(default=CheckInStatus.PLANNED, sa_type=stored_enum(CheckInStatus, 16))
    outcome: str | None = Field(default=None, max_length=10_000)
    outcome_code: CheckInOutcome | None = Field(default=None, sa_type=stored_enum(CheckInOutcome, 24))
    cancel_reason: str | None = Field(default=None, max_length=2_000)
    done_by_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_level: int = 0
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
