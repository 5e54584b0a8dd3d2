"""Oversikt's blocks of days: a period cut into whole years, whole months and single days, so the country's
counts (services/dashboard_counts.py, dashboard_contacts.py) are read a block at a time."""

from __future__ import annotations

import calendar as month_lengths
from datetime import date, timedelta

DAY, MONTH, YEAR = "day", "month", "year"
#: Grains kept for the country: its counts are dense enough to be worth summing by month and year.
NATIONAL_GRAINS = (DAY, MONTH, YEAR)


def block_start(day: date, grain: str) -> date:
    """The first day of the block of `grain` that holds `day`."""
    if grain == YEAR:
        return day.replace(month=1, day=1)
    if grain == MONTH:
        return day.replace(day=1)
    return day


def block_end(start: date, grain: str) -> date:
    """The last day of the block starting on `start`."""
    if grain == YEAR:
        return start.replace(month=12, day=31)
    if grain == MONTH:
        return start.replace(day=month_lengths.monthrange(start.year, start.month)[1])
    return start


def period_blocks(first: date, last: date) -> list[tuple[str, date]]:
    """The whole years, whole months and single days that make up [first, last] exactly, in order."""
    blocks, day = [], first
    while day <= last:
        grain = next(g for g in NATIONAL_GRAINS[::-1] if block_start(day, g) == day and block_end(day, g) <= last)
        blocks.append((grain, day))
        day = block_end(day, grain) + timedelta(days=1)
    return blocks
