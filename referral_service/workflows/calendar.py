"""Norwegian working days for statutory referral deadlines.

Counting is done in constant time per year spanned, never one day at a time: whole weeks give the weekdays,
and a sorted table per year of the holidays that fall on a weekday (bisect) takes those away. The sweep and
the dashboard count spans of years for every task, so a day-by-day count would cost millions of look-ups.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from functools import cache

import holidays

_SATURDAY, _SUNDAY = 5, 6
_WEEK = 7


@cache
def _norwegian_holidays(year: int) -> holidays.HolidayBase:
    """Public holidays for one year, with Norwegian names."""
    # expand=False keeps the shared cached object from growing when looked up with another year's date.
    return holidays.Norway(years=year, language="no", expand=False)


@cache
def _holidays_on_weekdays(year: int, days_a_week: int) -> tuple[int, ...]:
    """Day numbers (date ordinals), sorted, of the year's holidays that fall on a day the week counts."""
    return tuple(sorted(day.toordinal() for day in _norwegian_holidays(year)
                        if day.weekday() < days_a_week))


class WorkingDayCalendar:
    """Counts working days, skipping weekends and Norwegian public holidays."""

    def __init__(self, *, saturday_is_working_day: bool = False) -> None:
        self.saturday_is_working_day = saturday_is_working_day
        #: Monday to Friday, or to Saturday: weekday() below this number is a day the week counts.
        self._days_a_week = 6 if saturday_is_working_day else 5

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
            return start if self.is_working_day(start) else self.add_working_days(start, 1)
        if days > 0:
            # Step over weekdays, then again over as many weekdays as there were holidays in the span just
            # covered, until a span has none: the last day reached is then a working day, the one wanted.
            first, day = start, self._weekday_after(start, days)
            while skipped := self._holidays_between(first, day):
                first, day = day, self._weekday_after(day, skipped)
            return day
        day, last = self._weekday_before(start, -days), start
        while skipped := self._holidays_between(day, last, last_excluded=True):
            day, last = self._weekday_before(day, skipped), day
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negated when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        weekdays = self._weekdays_up_to(end.toordinal()) - self._weekdays_up_to(start.toordinal())
        return weekdays - self._holidays_between(start, end)

    # --- weekdays by whole weeks ------------------------------------------------------------------------------
    # Day numbers are date ordinals minus one, so that day number 0 (1 January of year 1) is a Monday and
    # `number % 7` is the weekday.

    def _weekdays_up_to(self, ordinal: int) -> int:
        """How many counted weekdays there are from day number 0 to this day, both included."""
        number = ordinal - 1
        return (number // _WEEK) * self._days_a_week + min(number % _WEEK + 1, self._days_a_week)

    def _nth_weekday(self, count: int) -> date:
        """The `count`-th counted weekday from day number 0 (the inverse of `_weekdays_up_to`)."""
        weeks, into_week = divmod(count - 1, self._days_a_week)
        return date.fromordinal(weeks * _WEEK + into_week + 1)

    def _weekday_after(self, start: date, count: int) -> date:
        """The `count`-th counted weekday after `start` (count > 0), holidays not considered."""
        return self._nth_weekday(self._weekdays_up_to(start.toordinal()) + count)

    def _weekday_before(self, start: date, count: int) -> date:
        """The `count`-th counted weekday before `start` (count > 0), holidays not considered."""
        return self._nth_weekday(self._weekdays_up_to(start.toordinal() - 1) - count + 1)

    # --- holidays by year tables ------------------------------------------------------------------------------

    def _holidays_between(self, first: date, last: date, *, last_excluded: bool = False) -> int:
        """Holidays on counted weekdays in (first, last], or in [first, last) when `last_excluded`."""
        low, high = first.toordinal(), last.toordinal()
        if last_excluded:
            low, high = low - 1, high - 1
        count = 0
        for year in range(first.year, last.year + 1):
            table = _holidays_on_weekdays(year, self._days_a_week)
            start = bisect_right(table, low) if year == first.year else 0
            end = bisect_right(table, high) if year == last.year else len(table)
            count += end - start
        return count


@cache
def default_calendar() -> WorkingDayCalendar:
    """Shared calendar where Saturday is not a working day."""
    return WorkingDayCalendar()
