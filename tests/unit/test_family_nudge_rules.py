"""workflows/family_nudges.py: when the family's unanswered "Vi har ikke hørt noe" reaches the owner's lead (the day
after the answer was due, counting Norwegian working days), never when answered or already told, and who leads an
owner of each kind."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.domain.enums import Role
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.family_nudges import acting_role, answer_due, lead_is_due, lead_role

CALENDAR = WorkingDayCalendar()


def due(raised_on: date, today: date, *, answered: bool = False, lead_alerted: bool = False, days: int = 2) -> bool:
    return lead_is_due(raised_on=raised_on, today=today, answered=answered, lead_alerted=lead_alerted,
                       answer_working_days=days, calendar=CALENDAR)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 17), False),  # Tuesday
    (date(2026, 11, 18), False),  # Wednesday: the answer is due today
    (date(2026, 11, 19), True),   # Thursday
])
def test_two_working_days_after_a_monday(today, expected):
    assert due(date(2026, 11, 16), today) is expected


def test_a_weekend_is_not_counted():
    friday = date(2026, 11, 20)
    assert answer_due(raised_on=friday, answer_working_days=2, calendar=CALENDAR) == date(2026, 11, 24)
    assert not due(friday, date(2026, 11, 24)) and due(friday, date(2026, 11, 25))


def test_easter_is_not_counted():
    # Wednesday before Easter 2026; Maundy Thursday, Good Friday and Easter Monday are holidays.
    assert answer_due(raised_on=date(2026, 4, 1), answer_working_days=2, calendar=CALENDAR) == date(2026, 4, 8)


def test_an_answered_call_or_one_already_escalated_is_never_due():
    assert not due(date(2026, 11, 16), date(2026, 12, 16), answered=True)
    assert not due(date(2026, 11, 16), date(2026, 12, 16), lead_alerted=True)


def test_who_acts_and_who_leads_for_each_kind_of_owner():
    assert (acting_role("municipality"), lead_role("municipality")) == (Role.MUNICIPAL_COORDINATOR,
                                                                         Role.MUNICIPAL_LEAD)
    assert (acting_role("bup_clinic"), lead_role("bup_clinic")) == (Role.BUP_INTAKE, Role.BUP_INTAKE)
    assert (acting_role("gp_office"), lead_role("gp_office")) == (Role.REFERRER, Role.REFERRER_LEAD)
