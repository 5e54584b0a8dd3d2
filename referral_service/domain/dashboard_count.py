"""Oversikt's counts, kept as the events happen (services/dashboard_counts.py), so the page reads a few
thousand rows for a year of the whole country instead of every event since the start."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class DashboardCount(SQLModel, table=True):
    """How many of one thing (a measure and its value) one statistics scope had on one day, month or year.

    `day` is the block's first day: the day itself, the 1st of the month or the 1st of January. A duration's
    value is "calendar days/working days", so its median in either kind of days comes from these counts.
    """

    __tablename__ = "dashboard_count"

    #: Whose figures (services/dashboard_counts.py `scope_keys`): "n", "c:<clinic>", "r:<referrer organisation>",
    #: "m:<municipality number>" or "mo:<municipality organisation>".
    scope: str = Field(primary_key=True, max_length=40)
    grain: str = Field(primary_key=True, max_length=8)
    day: date = Field(primary_key=True)
    measure: str = Field(primary_key=True, max_length=64)
    value: str = Field(primary_key=True, max_length=100)
    count: int = 0
