"""Which days a person may enter: every date the API and the web take has a sane range around today in Norway.

One rule for each kind of date, used by the API's schemas and so by the web's forms (which load the same
schemas). A day outside its range is refused with a `Reason` (the web says it in Norwegian by its code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from referral_service.errors import Reason
from referral_service.workflows.age_range import age_refusal


class DateKind(StrEnum):
    """What a day entered stands for, which decides how far from today it may be."""

    #: A child's birth date: within the service's ages (workflows/age_range.py), never in the future.
    BIRTH = "birth"
    #: Something that has happened and was recorded (consent given): not in the future, not absurdly long ago.
    RECORDED = "recorded"
    #: A deadline or a planned day (start of care, planned discharge, first appointment, a grant's last day):
    #: up to the horizon ahead, and back no further than the look-back (a day that has just passed is kept).
    PLANNED = "planned"


@dataclass(frozen=True)
class DateRanges:
    """Today in Norway and how far from it a day may be."""

    today: date
    #: How many days ahead a deadline or planned day may be (REFERRAL_DATE_HORIZON_DAYS).
    horizon_days: int
    #: How many days back a recorded or planned day may be (REFERRAL_DATE_LOOKBACK_DAYS).
    lookback_days: int

    @property
    def latest(self) -> date:
        return self.today + timedelta(days=self.horizon_days)

    @property
    def earliest(self) -> date:
        return self.today - timedelta(days=self.lookback_days)


def date_refusal(kind: DateKind, day: date, ranges: DateRanges) -> Reason | None:
    """Why `day` cannot be a date of this kind today (None when it can)."""
    if kind is DateKind.BIRTH:
        gap = age_refusal(day, ranges.today)
        return gap.reason if gap is not None else None
    if kind is DateKind.RECORDED and day > ranges.today:
        return Reason("date_in_future", "The date is in the future; give the day it happened.")
    if kind is DateKind.PLANNED and day > ranges.latest:
        return Reason("date_beyond_horizon",
                      f"The date is more than {ranges.horizon_days} days ahead (latest {ranges.latest.isoformat()}).")
    if day < ranges.earliest:
        return Reason("date_too_early",
                      f"The date is more than {ranges.lookback_days} days back (earliest "
                      f"{ranges.earliest.isoformat()}).")
    return None
