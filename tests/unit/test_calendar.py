"""Tests for the Norwegian working-day calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_service.workflows.calendar import WorkingDayCalendar, default_calendar

CALENDAR = WorkingDayCalendar()
SATURDAY_CALENDAR = WorkingDayCalendar(saturday_is_working_day=True)

HOLIDAYS_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 2),
    date(2026, 4, 3),
    date(2026, 4, 5),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 5, 17),
    date(2026, 5, 24),
    date(2026, 5, 25),
    date(2026, 12, 25),
    date(2026, 12, 26),
}


def test_holidays_2026() -> None:
    days = (date(2026, 1, 1) + timedelta(days=n) for n in range(365))
    assert {day for day in days if CALENDAR.holiday_name(day) is not None} == HOLIDAYS_2026


@pytest.mark.parametrize("day", [date(2026, 12, 24), date(2026, 12, 31), date(2026, 4, 1), date(2026, 5, 13)])
def test_eves_and_days_before_holidays_are_working_days(day: date) -> None:
    assert CALENDAR.is_working_day(day)
    assert CALENDAR.holiday_name(day) is None


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Submitted the Tuesday before Easter: Maundy Thursday, Good Friday and Easter Monday are skipped.
        (date(2026, 3, 31), 10, date(2026, 4, 17)),
        (date(2026, 5, 12), 2, date(2026, 5, 15)),  # Ascension Thursday 14 May
        (date(2026, 5, 22), 1, date(2026, 5, 26)),  # Whit Monday 25 May
        (date(2027, 5, 14), 1, date(2027, 5, 18)),  # 17 May 2027 is a Monday (and Whit Monday)
        (date(2026, 12, 23), 3, date(2026, 12, 29)),  # 24 Dec counts, 25 Dec and the weekend do not
        (date(2026, 12, 30), 1, date(2026, 12, 31)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # 1 Jan 2027 is a Friday
        (date(2027, 3, 24), 1, date(2027, 3, 30)),  # Easter 2027: 25, 26 and 29 March
        (date(2027, 3, 24), 2, date(2027, 3, 31)),
    ],
)
def test_add_working_days_across_holidays(start: date, days: int, expected: date) -> None:
    assert CALENDAR.add_working_days(start, days) == expected


def test_easter_2027() -> None:
    assert CALENDAR.holiday_name(date(2027, 3, 28)) == "Første påskedag"
    assert not any(CALENDAR.is_working_day(date(2027, 3, day)) for day in (25, 26, 29))
    assert CALENDAR.is_working_day(date(2027, 3, 24))


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday -> Monday
        (date(2026, 11, 22), 1, date(2026, 11, 23)),  # Sunday -> Monday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),
        (date(2026, 11, 16), 10, date(2026, 11, 30)),
    ],
)
def test_weekends_are_skipped(start: date, days: int, expected: date) -> None:
    assert CALENDAR.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 23)),
        (date(2026, 11, 21), date(2026, 11, 23)),
        (date(2026, 4, 2), date(2026, 4, 7)),
    ],
)
def test_zero_days_gives_start_or_next_working_day(start: date, expected: date) -> None:
    assert CALENDAR.add_working_days(start, 0) == expected


def test_saturday_as_working_day_changes_the_count() -> None:
    assert SATURDAY_CALENDAR.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 21)
    assert SATURDAY_CALENDAR.add_working_days(date(2026, 3, 31), 10) == date(2026, 4, 15)
    # Boxing Day 2026 and 1 May 2027 are Saturdays and stay holidays.
    assert SATURDAY_CALENDAR.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert not SATURDAY_CALENDAR.is_working_day(date(2027, 5, 1))
    assert not SATURDAY_CALENDAR.is_working_day(date(2026, 11, 22))
    assert SATURDAY_CALENDAR.working_days_between(date(2026, 11, 16), date(2026, 11, 23)) == 6
    assert CALENDAR.working_days_between(date(2026, 11, 16), date(2026, 11, 23)) == 5


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 4, 17), -10, date(2026, 3, 31)),
        (date(2026, 4, 7), -2, date(2026, 3, 31)),
        (date(2026, 5, 18), -2, date(2026, 5, 13)),  # two working days before a Monday deadline
        (date(2027, 1, 4), -1, date(2026, 12, 31)),
        (date(2026, 11, 22), -1, date(2026, 11, 20)),
    ],
)
def test_negative_days_go_backwards(start: date, days: int, expected: date) -> None:
    assert CALENDAR.add_working_days(start, days) == expected


def test_working_days_between() -> None:
    assert CALENDAR.working_days_between(date(2026, 3, 31), date(2026, 4, 17)) == 10
    assert CALENDAR.working_days_between(date(2026, 4, 17), date(2026, 3, 31)) == -10
    assert CALENDAR.working_days_between(date(2026, 4, 17), date(2026, 4, 17)) == 0
    assert CALENDAR.working_days_between(date(2026, 4, 2), date(2026, 4, 6)) == 0


def test_holiday_name_is_norwegian() -> None:
    assert CALENDAR.holiday_name(date(2026, 5, 17)) == "Grunnlovsdag"
    assert CALENDAR.holiday_name(date(2026, 12, 25)) == "Første juledag"
    assert "Grunnlovsdag" in (CALENDAR.holiday_name(date(2027, 5, 17)) or "")
    assert CALENDAR.holiday_name(date(2026, 11, 22)) is None  # an ordinary Sunday


def test_default_calendar_is_shared_and_skips_saturday() -> None:
    assert default_calendar() is default_calendar()
    assert not default_calendar().is_working_day(date(2026, 11, 21))


days_in_range = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))


@given(
    start=days_in_range,
    days=st.integers(min_value=-400, max_value=400),
    saturday_is_working_day=st.booleans(),
)
def test_working_days_between_inverts_add_working_days(
    start: date, days: int, saturday_is_working_day: bool
) -> None:
    calendar = WorkingDayCalendar(saturday_is_working_day=saturday_is_working_day)
    working_day = calendar.add_working_days(start, 0)
    result = calendar.add_working_days(working_day, days)
    assert calendar.is_working_day(result)
    assert calendar.working_days_between(working_day, result) == days


@given(start=days_in_range, end=days_in_range)
def test_working_days_between_is_antisymmetric(start: date, end: date) -> None:
    assert CALENDAR.working_days_between(start, end) == -CALENDAR.working_days_between(end, start)


# --- the day-by-day definition, kept as the oracle for the constant-time counting ---------------------------

def counted_one_day_at_a_time(calendar: WorkingDayCalendar, start: date, end: date) -> int:
    """Working days d with start < d <= end (negated when end is before start), looked at one by one."""
    if end < start:
        return -counted_one_day_at_a_time(calendar, end, start)
    return sum(calendar.is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def walked_one_day_at_a_time(calendar: WorkingDayCalendar, start: date, days: int) -> date:
    """`days` working days from start, walking a day at a time (zero: start or the next working day)."""
    day, step = start, timedelta(days=1 if days >= 0 else -1)
    if days == 0:
        while not calendar.is_working_day(day):
            day += step
        return day
    remaining = abs(days)
    while remaining:
        day += step
        remaining -= calendar.is_working_day(day)
    return day


def holidays_between(first_year: int, last_year: int) -> list[date]:
    days = (date(first_year, 1, 1) + timedelta(days=n) for n in range((date(last_year, 12, 31) -
                                                                       date(first_year, 1, 1)).days + 1))
    return [day for day in days if CALENDAR.holiday_name(day) is not None]


#: Holidays and the days either side of them: where a count that is off by one shows.
AROUND_HOLIDAYS = [day + timedelta(days=shift) for day in holidays_between(1995, 2055) for shift in (-1, 0, 1)]
any_day = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
edge_day = st.sampled_from(AROUND_HOLIDAYS)
some_day = st.one_of(any_day, edge_day)
calendars = st.sampled_from([CALENDAR, SATURDAY_CALENDAR])


@given(calendar=calendars, start=some_day, end=some_day)
def test_working_days_between_agrees_with_counting_each_day_over_decades(calendar, start, end) -> None:
    assert calendar.working_days_between(start, end) == counted_one_day_at_a_time(calendar, start, end)


@given(calendar=calendars, start=some_day, days=st.integers(min_value=-7_000, max_value=7_000))
def test_add_working_days_agrees_with_walking_each_day_over_decades(calendar, start, days) -> None:
    assert calendar.add_working_days(start, days) == walked_one_day_at_a_time(calendar, start, days)


@given(calendar=calendars, start=edge_day, days=st.integers(min_value=-15, max_value=15))
def test_short_spans_from_a_holiday_agree_with_walking_each_day(calendar, start, days) -> None:
    assert calendar.add_working_days(start, days) == walked_one_day_at_a_time(calendar, start, days)


def test_a_span_of_thirty_years_has_the_working_days_of_its_years() -> None:
    start, end = date(2000, 12, 31), date(2030, 12, 31)
    assert CALENDAR.working_days_between(start, end) == counted_one_day_at_a_time(CALENDAR, start, end)
    assert CALENDAR.add_working_days(start, CALENDAR.working_days_between(start, end)) == date(2030, 12, 31)


@given(calendar=calendars, day=some_day, lead=st.integers(min_value=1, max_value=30),
       offset=st.integers(min_value=-60, max_value=60))
def test_a_day_is_within_a_lead_of_working_days_exactly_when_the_lead_from_today_reaches_it(
        calendar, day, lead, offset) -> None:
    # What lets the sweep find the planned discharges whose handover opens by today with one date bound.
    today = day + timedelta(days=offset)
    assert (calendar.add_working_days(day, -lead) <= today) == (day <= calendar.add_working_days(today, lead))
