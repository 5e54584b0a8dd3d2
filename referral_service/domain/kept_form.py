"""A form posted after its session ended, kept until its user signs in again (web/kept_forms.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime, new_id


class KeptForm(SQLModel, table=True):
    __tablename__ = "kept_form"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: The user the form was shown to; only they get it back, after signing in.
    user_id: str = Field(foreign_key="app_user.id", max_length=36, index=True)
    #: Where it was posted (a path of the web pages, never with a query string).
    path: str = Field(max_length=500)
    #: The posted fields, encrypted: they may hold an identity number and health information.
    fields_ciphertext: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
