"""Oversikt's counts of children's contact persons (services/dashboard_contacts.py), kept as the steps happen, so
the figures for any period read a bounded number of rows however many children the country has."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class DashboardContactCount(SQLModel, table=True):
    """How many points of one measure one statistics scope has in one cell of (x, y) days.

    A figure for the period [first, last] is the sum of the points with x >= first and y <= last (a child's
    held spell is the point (its last day, its first day), a change the point (its day, its day); see
    services/dashboard_contacts.py). Each point is kept in its day, month and year on both axes (the country's),
    so a period reads whole years and months and only the days at its edges. `x_block` and `y_block` are the
    first days of their blocks.
    """

    __tablename__ = "dashboard_contact_count"

    #: Whose figures, as in dashboard_count: "n", "c:<clinic>", "r:<referrer organisation>", "mo:<organisation>".
    scope: str = Field(primary_key=True, max_length=40)
    x_grain: str = Field(primary_key=True, max_length=8)
    x_block: date = Field(primary_key=True)
    y_grain: str = Field(primary_key=True, max_length=8)
    y_block: date = Field(primary_key=True)
    measure: str = Field(primary_key=True, max_length=32)
    count: int = 0
