"""The child: identity number kept encrypted, with a keyed blind index for look-up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from referral_service.domain.types import JSONObject, JSONType, UTCDateTime, new_id, utcnow


class Child(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (
        # The sweep's growing-up pass: the young people turning 17½ or 18, found from the index alone.
        Index("ix_child_birth_date", "birth_date", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    national_id_ciphertext: str = Field(max_length=400)
    national_id_index: str = Field(max_length=64, unique=True, index=True)
    national_id_kind: str = Field(max_length=20)
    synthetic: bool = False
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    birth_date: date
    home_municipality: str = Field(max_length=4, index=True)
    guardians: list[JSONObject] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
