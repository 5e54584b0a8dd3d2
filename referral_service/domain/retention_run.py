"""What one retention sweep deleted or anonymised (services/retention): one row per kind of record per run."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id


class RetentionRun(SQLModel, table=True):
    __tablename__ = "retention_run"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: When the sweep ran (the service's clock; `retention sweep --at` moves it outside production).
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    #: Which kind of record (services/retention/policy.py KINDS), e.g. "case", "alert", "outbox".
    kind: str = Field(max_length=32)
    #: How many were deleted or anonymised; a run that found nothing due records 0, so the auditor sees it ran.
    count: int = 0
    #: Records that ended (or were made) before this moment were due.
    cut_off: datetime = Field(sa_type=UTCDateTime)
