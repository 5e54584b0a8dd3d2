"""DESIGN.md rules 2 and 3: warnings, breaches (fristbrudd) and escalations by Norwegian working days,
each under a stable key so that a sweep run any number of times raises it once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.escalation import (
    assessment_marks,
    care_start_marks,
    escalation_level,
    handover_marks,
)

CALENDAR = WorkingDayCalendar()

THURSDAY = date(2026, 11, 19)
FRIDAY, SATURDAY, SUNDAY, MONDAY = (THURSDAY + timedelta(days=n) for n in range(1, 5))

EASTER_EVE_DUE = date(2026, 4, 1)  # Wednesday before Maundy Thursday


def marks_for_handover(today: date, *, acknowledged: bool = False, first_contact_planned: bool = False,
                       acknowledge_due: date = THURSDAY, first_contact_due: date = date(2026, 12, 3),
                       handover_id: str = "h1"):
    return handover_marks(handover_id=handover_id, acknowledged=acknowledged,
                          first_contact_planned=first_contact_planned, acknowledge_due=acknowledge_due,
                          first_contact_due=first_contact_due, today=today, calendar=CALENDAR)


def assessment(today: date, due: date, referral_id: str = "r1"):
    return assessment_marks(referral_id=referral_id, assessment_due=due, today=today, warning_days=2,
                            calendar=CALENDAR)


# --- escalation levels --------------------------------------------------------------------------------------

@pytest.mark.parametrize("today", [THURSDAY - timedelta(days=3), THURSDAY - timedelta(days=1), THURSDAY])
def test_nothing_is_escalated_until_the_due_date_has_passed(today):
    assert escalation_level(due=THURSDAY, today=today, calendar=CALENDAR) == 0


def test_the_first_working_day_after_the_due_date_is_level_1():
    assert escalation_level(due=THURSDAY, today=FRIDAY, calendar=CALENDAR) == 1


@pytest.mark.parametrize("today", [SATURDAY, SUNDAY])
def test_a_weekend_does_not_raise_the_level(today):
    assert escalation_level(due=THURSDAY, today=today, calendar=CALENDAR) == 1


def test_the_next_working_day_after_a_weekend_is_level_2():
    assert escalation_level(due=THURSDAY, today=MONDAY, calendar=CALENDAR) == 2


@pytest.mark.parametrize("holiday", [date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 4), date(2026, 4, 5),
                                     date(2026, 4, 6)])
def test_easter_holidays_do_not_escalate(holiday):
    # Maundy Thursday, Good Friday, the weekend and Easter Monday
    assert escalation_level(due=EASTER_EVE_DUE, today=holiday, calendar=CALENDAR) == 0


def test_the_first_working_day_after_easter_is_level_1():
    assert escalation_level(due=EASTER_EVE_DUE, today=date(2026, 4, 7), calendar=CALENDAR) == 1
    assert escalation_level(due=EASTER_EVE_DUE, today=date(2026, 4, 8), calendar=CALENDAR) == 2


# --- handover escalation marks -----------------------------------------------------------------------------

def test_an_unacknowledged_handover_past_its_due_date_is_escalated_at_its_level():
    [mark] = marks_for_handover(FRIDAY)
    assert (mark.kind, mark.level, mark.due) == ("handover_unacknowledged", 1, THURSDAY)


def test_an_unacknowledged_handover_before_its_due_date_has_no_mark():
    assert marks_for_handover(THURSDAY) == []


def test_the_escalation_key_is_the_same_however_often_it_is_computed():
    assert marks_for_handover(FRIDAY) == marks_for_handover(FRIDAY)
    # Over the weekend the level stays, and so does the key: no new alert on Saturday or Sunday.
    assert {m.key for m in marks_for_handover(SATURDAY)} == {m.key for m in marks_for_handover(FRIDAY)}
    assert {m.key for m in marks_for_handover(SUNDAY)} == {m.key for m in marks_for_handover(FRIDAY)}


def test_each_new_level_has_its_own_key():
    [friday] = marks_for_handover(FRIDAY)
    [monday] = marks_for_handover(MONDAY)
    assert monday.level == 2 and monday.key != friday.key


def test_escalation_keys_name_the_handover():
    [one] = marks_for_handover(FRIDAY, handover_id="h1")
    [other] = marks_for_handover(FRIDAY, handover_id="h2")
    assert one.key != other.key and "h1" in one.key and "h2" in other.key


def test_an_acknowledged_handover_is_not_escalated_for_acknowledgement():
    assert marks_for_handover(MONDAY, acknowledged=True) == []


def test_a_handover_without_a_planned_first_contact_is_escalated_after_its_first_contact_due_date():
    first_contact_due = date(2026, 12, 3)  # Thursday
    [mark] = marks_for_handover(date(2026, 12, 4), acknowledged=True, first_contact_due=first_contact_due)
    assert (mark.kind, mark.level, mark.due) == ("handover_no_first_contact", 1, first_contact_due)


def test_a_planned_first_contact_stops_that_escalation():
    assert marks_for_handover(date(2026, 12, 7), acknowledged=True, first_contact_planned=True) == []


def test_a_handover_nobody_took_is_escalated_for_both_reasons():
    kinds = {m.kind for m in marks_for_handover(date(2026, 12, 4))}
    assert kinds == {"handover_unacknowledged", "handover_no_first_contact"}


# --- assessment deadline: warning, then breach ----------------------------------------------------------------

ASSESSMENT_DUE = date(2026, 11, 27)  # Friday; two working days before it is Wednesday 25 Nov


def test_no_warning_more_than_two_working_days_before_the_assessment_deadline():
    assert assessment(date(2026, 11, 24), ASSESSMENT_DUE) == []


@pytest.mark.parametrize("today", [date(2026, 11, 25), date(2026, 11, 26), ASSESSMENT_DUE])
def test_bup_is_warned_from_two_working_days_before_the_assessment_deadline(today):
    [mark] = assessment(today, ASSESSMENT_DUE)
    assert (mark.kind, mark.due) == ("assessment_warning", ASSESSMENT_DUE)


def test_the_warning_counts_working_days_back_over_a_weekend():
    monday_due = date(2026, 11, 30)
    assert assessment(date(2026, 11, 25), monday_due) == []  # Wednesday: three working days before
    assert [m.kind for m in assessment(date(2026, 11, 26), monday_due)] == ["assessment_warning"]  # Thursday
    assert [m.kind for m in assessment(date(2026, 11, 28), monday_due)] == ["assessment_warning"]  # Saturday


@pytest.mark.parametrize("today", [date(2026, 11, 28), date(2026, 11, 30), date(2027, 1, 4)])
def test_a_passed_assessment_deadline_is_a_breach(today):
    [mark] = assessment(today, ASSESSMENT_DUE)
    assert (mark.kind, mark.due) == ("assessment_breach", ASSESSMENT_DUE)


def test_assessment_keys_are_stable_and_differ_between_warning_and_breach():
    warning, again = assessment(date(2026, 11, 25), ASSESSMENT_DUE), assessment(date(2026, 11, 26), ASSESSMENT_DUE)
    breach = assessment(date(2026, 11, 30), ASSESSMENT_DUE)
    assert warning[0].key == again[0].key
    assert breach[0].key != warning[0].key
    assert "r1" in warning[0].key and "r1" in breach[0].key


# --- start of care -----------------------------------------------------------------------------------------

def test_no_care_start_breach_on_or_before_the_deadline():
    assert care_start_marks(referral_id="r1", care_start_due=ASSESSMENT_DUE, today=ASSESSMENT_DUE) == []


def test_a_passed_start_of_care_deadline_is_a_breach_with_a_stable_key():
    [mark] = care_start_marks(referral_id="r1", care_start_due=ASSESSMENT_DUE, today=date(2026, 11, 28))
    [later] = care_start_marks(referral_id="r1", care_start_due=ASSESSMENT_DUE, today=date(2026, 12, 28))
    assert (mark.kind, mark.due) == ("care_start_breach", ASSESSMENT_DUE)
    assert later.key == mark.key
