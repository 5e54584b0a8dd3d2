"""The referral (henvisning), its events, consent, the people around the child and co-referrers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, utcnow


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_clinic_status_due", "clinic_id", "status", "assessment_due"),
        Index("ix_referral_referrer_org_created", "referrer_org_id", "created_at"),
        # The sweep: discharges planned soon, and discharges still waiting for their epikrise.
        Index("ix_referral_status_planned_discharge", "status", "planned_discharge_on"),
        Index("ix_referral_status_epikrise", "status", "epikrise_pending"),
        # BUP's lists newest first, in full or by status (with received_on, the clinic's list is counted in the index
        # alone); the child welfare partner's list.
        Index("ix_referral_clinic_created", "clinic_id", "created_at"),
        Index("ix_referral_clinic_status_created", "clinic_id", "status", "created_at", "received_on"),
        Index("ix_referral_child_welfare_org_created", "child_welfare_org_id", "created_at"),
        # BUP's Inntak, a page of each section (services/referrals/intake_queue.py): the waiting ones, urgent first,
        # by assessment deadline; the accepted ones by start-of-care deadline.
        Index("ix_referral_clinic_status_urgency_due", "clinic_id", "status", "urgency", "assessment_due"),
        Index("ix_referral_clinic_status_care_start", "clinic_id", "status", "care_start_due"),
        # The sweep's growing-up pass: the referrals still open of the young people turning 17½ or 18, and those
        # received lately (of someone already that old), each read from an index alone.
        Index("ix_referral_child_status", "child_id", "status", "id"),
        Index("ix_referral_status_received", "status", "received_on", "child_id", "id"),
        # The municipality's consent check on each of its tasks, answered from the index, not the (wide) row.
        Index("ix_referral_id_shared_with_municipality", "id", "shared_with_municipality"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    child_id: str = Field(foreign_key="child.id", index=True, max_length=36)
    # The child as this referral describes it. The child row is shared by every referral of the
    # child; one organisation's referral must not change what another's says (or where it goes).
    child_given_name: str = Field(default="", max_length=200)
    child_family_name: str = Field(default="", max_length=200)
    child_home_municipality: str = Field(default="", max_length=4, index=True)
    child_guardians: list[JSONObject] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="draft", max_length=32, index=True)
    referrer_user_id: str = Field(foreign_key="app_user.id", max_length=36)
    referrer_org_id: str = Field(foreign_key="organisation.id", max_length=36)
    referrer_kind: str = Field(max_length=32)
    submitted_by_user_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=36)
    clinic_id: str = Field(foreign_key="organisation.id", max_length=36)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    description: str = Field(default="", max_length=10_000)
    urgency: str = Field(default="normal", max_length=16)
    measures_tried: str = Field(default="", max_length=10_000)
    child_view: str = Field(default="", max_length=10_000)
    attachments: list[JSONObject] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # The consent in force, kept beside the referral so that every list can filter on it.
    shared_with_municipality: bool = False
    shared_with_school: bool = False
    shared_with_child_welfare: bool = False
    received_on: date | None = None
    assessment_due: date | None = Field(default=None, index=True)
    care_start_due: date | None = None
    priority: str | None = Field(default=None, max_length=32)
    first_appointment_on: date | None = None
    #: The day BUP plans to discharge the child (the handover opens DISCHARGE_HANDOVER_LEAD_WORKING_DAYS before).
    planned_discharge_on: date | None = None
    #: Discharged without an epikrise: BUP is reminded each working day until it records it as sent.
    epikrise_pending: bool = False
    #: The child (or the family) needs an interpreter at BUP, in this language (domain/languages.py).
    interpreter_needed: bool = False
    interpreter_language: str | None = Field(default=None, max_length=8)
    #: The child welfare service (barnevern) as a partner on the referral, and on what basis
    #: (enums.ChildWelfareBasis): it hears BUP's decisions that hand the child back, and BUP sees a priority flag.
    child_welfare_org_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)
    child_welfare_basis: str | None = Field(default=None, max_length=16)
    forwarded_from_id: str | None = Field(default=None, foreign_key="referral.id", max_length=36)
    forwarded_to_id: str | None = Field(default=None, foreign_key="referral.id", max_length=36)
    #: Set when this referral ended as a duplicate: the referral of the same child it became part of.
    merged_into_id: str | None = Field(default=None, foreign_key="referral.id", max_length=36)
    #: The written form of the letters to the family: "nb" (bokmål) or "nn" (nynorsk).
    letter_language: str = Field(default="nb", max_length=2)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReferralEvent(SQLModel, table=True):
    """One transition of a referral: who did what, when, with which data."""

    __tablename__ = "referral_event"
    __table_args__ = (
        Index("ix_referral_event_referral_at", "referral_id", "at"),
        Index("ix_referral_event_action_at", "action", "at"),  # dashboard scans
        Index("ix_referral_event_handover_trigger_at", "at", postgresql_where=text("handover_trigger IS NOT NULL"),
              sqlite_where=text("handover_trigger IS NOT NULL")),  # the reconciler's scan
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", max_length=36)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    actor_id: str = Field(foreign_key="app_user.id", max_length=36)
    actor_org_id: str = Field(foreign_key="organisation.id", max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    data: JSONObject = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    #: Set by the lifecycle's decision when this event hands the child back; read by the worker, the
    #: reconciler, the dashboard and the pages, which never work it out again.
    handover_trigger: str | None = Field(default=None, max_length=32)


class Consent(SQLModel, table=True):
    """A consent record; the newest one not superseded is in force."""

    __tablename__ = "consent"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    given_by: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    share_with: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    recorded_on: date | None = None
    withhold_from_guardians: bool = False
    recorded_by_user_id: str = Field(foreign_key="app_user.id", max_length=36)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MunicipalContact(SQLModel, table=True):
    """Someone in the municipality already around the child (laget rundt barnet)."""

    __tablename__ = "municipal_contact"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    role: str = Field(max_length=100)
    name: str = Field(max_length=200)
    organisation_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)


class CoReferrer(SQLModel, table=True):
    """An organisation taking part in a referral as medhenviser."""

    __tablename__ = "co_referrer"
    __table_args__ = (UniqueConstraint("referral_id", "organisation_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    invited_by_user_id: str = Field(foreign_key="app_user.id", max_length=36)
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IdempotencyRecord(SQLModel, table=True):
    """The first result of a referral creation, keyed by the caller's Idempotency-Key."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", max_length=36)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    referral_id: str = Field(foreign_key="referral.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
