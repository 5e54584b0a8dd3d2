"""Norwegian working days for statutory referral deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6


@cache
def _norwegian_holidays(year: int) -> holidays.HolidayBase:
    """Public holidays for one year, with Norwegian names."""
    # expand=False keeps the shared cached object from growing when looked up with another year's date.
    return holidays.Norway(years=year, language="no", expand=False)


class WorkingDayCalendar:
    """Counts working days, skipping weekends and Norwegian public holidays."""

    def __init__(self, *, saturday_is_working_day: bool = False) -> None:
        self.saturday_is_working_day = saturday_is_working_day

    def holiday_name(self, day: date) -> str | None:
        """Norwegian name of the public holiday on this day, if any."""
        return _norwegian_holidays(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        """Whether the day is neither a weekend day nor a public holiday."""
        weekday = day.weekday()
        if weekday == _SUNDAY or (weekday == _SATURDAY and not self.saturday_is_working_day):
            return False
        return day not in _norwegian_holidays(day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The day that is `days` working days after `start` (before, if negative); start is not counted."""
        if days == 0:
            day = start
            while not self.is_working_day(day):
                day += _ONE_DAY
            return day
        step = _ONE_DAY if days > 0 else -_ONE_DAY
        day, remaining = start, abs(days)
        while remaining:
            day += step
            remaining -= self.is_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negated when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + _ONE_DAY * n) for n in range(1, (end - start).days + 1))


@cache
def default_calendar() -> WorkingDayCalendar:
    """Shared calendar where Saturday is not a working day."""
    return WorkingDayCalendar()
