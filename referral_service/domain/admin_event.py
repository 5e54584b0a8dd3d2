"""The administration log: who changed the directory (users, roles, grants, organisations), when, and how.

It holds no child data: only the ids and the before/after of directory records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id


class AdminEvent(SQLModel, table=True):
    """One change an administrator (or the command line: actor None) made to the directory."""

    __tablename__ = "admin_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    #: None when the change came from the command line (create-admin, grants add), which has no signed-in user.
    actor_user_id: str | None = Field(default=None, max_length=36, index=True)
    action: str = Field(max_length=40)
    #: What was changed: "user", "organisation" or "referral_right_grant", and its id.
    target_kind: str = Field(max_length=40)
    target_id: str = Field(max_length=36, index=True)
    before: JSONObject | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    after: JSONObject | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
