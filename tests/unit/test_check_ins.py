"""The check-in after the municipal help ended, as pure rules: when it is due and when it escalates."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.domain.enums import HandoverOutcome
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.check_ins import (
    CheckInPolicy,
    add_months,
    check_in_due_on,
    check_in_marks,
    schedules_check_in,
)

POLICY = CheckInPolicy(calendar=WorkingDayCalendar(), after_months=3, escalate_after_working_days=5)


@pytest.mark.parametrize(("day", "count", "expected"), [
    (date(2026, 10, 5), 3, date(2027, 1, 5)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),  # February is shorter: its last day
    (date(2027, 11, 30), 3, date(2028, 2, 29)),  # a leap year
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
])
def test_a_month_is_a_calendar_month(day, count, expected):
    assert add_months(day, count) == expected


@pytest.mark.parametrize(("closed_on", "due_on"), [
    (date(2026, 10, 5), date(2027, 1, 5)),  # a Tuesday: a working day
    (date(2026, 11, 6), date(2027, 2, 8)),  # Saturday 6 Feb moves to Monday
    (date(2026, 11, 30), date(2027, 3, 1)),  # Sunday 28 Feb moves to Monday 1 Mar
    (date(2026, 12, 25), date(2027, 3, 30)),  # Maundy Thursday 25 Mar: after Easter Monday
    (date(2027, 2, 17), date(2027, 5, 18)),  # 17 May, the national day, moves to the 18th
])
def test_the_check_in_is_due_three_months_on_or_the_next_working_day(closed_on, due_on):
    assert check_in_due_on(closed_on=closed_on, policy=POLICY) == due_on


def test_the_interval_is_a_setting():
    shorter = CheckInPolicy(calendar=WorkingDayCalendar(), after_months=1)
    assert check_in_due_on(closed_on=date(2026, 10, 5), policy=shorter) == date(2026, 11, 5)


def test_only_help_ended_schedules_a_check_in():
    assert [o.value for o in HandoverOutcome if schedules_check_in(o)] == ["help_ended"]
    assert not schedules_check_in(None)


def kinds(today: date) -> list[tuple[str, int]]:
    return [(m.kind, m.level) for m in check_in_marks(check_in_id="c1", due_on=date(2027, 2, 8), today=today,
                                                      policy=POLICY)]


def test_nothing_before_the_due_date():
    assert kinds(date(2027, 2, 7)) == []


def test_the_coordinator_is_told_from_the_due_date_under_one_key():
    assert kinds(date(2027, 2, 8)) == [("check_in_due", 0)]
    [on_the_day] = check_in_marks(check_in_id="c1", due_on=date(2027, 2, 8), today=date(2027, 2, 8), policy=POLICY)
    [later, _] = check_in_marks(check_in_id="c1", due_on=date(2027, 2, 8), today=date(2027, 2, 16), policy=POLICY)
    assert on_the_day.key == later.key


def test_it_escalates_one_level_per_working_day_after_the_grace_period():
    assert kinds(date(2027, 2, 15)) == [("check_in_due", 0)]  # five working days after: still within grace
    assert kinds(date(2027, 2, 16)) == [("check_in_due", 0), ("check_in_overdue", 1)]
    assert kinds(date(2027, 2, 20)) == [("check_in_due", 0), ("check_in_overdue", 4)]  # Saturday adds nothing
    assert kinds(date(2027, 2, 22)) == [("check_in_due", 0), ("check_in_overdue", 5)]
