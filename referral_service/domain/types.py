"""Column types and small helpers shared by the tables."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, DateTime
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    """A new opaque id."""
    return str(uuid.uuid4())


def time_ordered_id(at: datetime) -> str:
    """A new opaque id that sorts by time, as UUID version 7 lays it out (RFC 9562): the milliseconds since 1970,
    then random bits. For the rows of a table that only grows (the access log): each new row lands at the end of
    the primary key's index, in pages already in memory, not on a random page of an index of millions of rows."""
    millis = int(at.timestamp() * 1000)
    bits = (millis & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10)) & (2**80 - 1)
    bits = bits & ~(0xF << 76) | 0x7 << 76  # version 7
    bits = bits & ~(0x3 << 62) | 0x2 << 62  # the RFC's variant
    return str(uuid.UUID(int=bits))


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON
#: What a JSON column holds: an object, keyed by strings.
JSONObject = dict[str, Any]


def stored_enum(enum: type[StrEnum], length: int) -> sa.Enum:
    """A column that stores the enum's values as plain text (no database enum type) and reads back members."""
    return sa.Enum(enum, native_enum=False, create_constraint=False, length=length,
                   values_callable=lambda members: [m.value for m in members])
