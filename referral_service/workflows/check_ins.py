"""The check-in after the municipal help ends: when it is due, when it is due today, when it escalates,
and what each outcome leads to. Pure functions of dates, with stable keys so each alert happens once."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date

from referral_service.domain.enums import CheckInOutcome, HandoverOutcome
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.escalation import Mark

CHECK_IN_DUE = "check_in_due"
CHECK_IN_OVERDUE = "check_in_overdue"
#: The alerts a recorded (or cancelled) check-in settles.
CHECK_IN_ALERTS = frozenset({CHECK_IN_DUE, CHECK_IN_OVERDUE})

#: The next step each outcome leads to, as a code the pages put in words.
NEXT_STEP = {
    CheckInOutcome.DOING_WELL: "none",
    CheckInOutcome.NEEDS_HELP_AGAIN: "offer_help_or_refer_again",
    CheckInOutcome.NOT_REACHED: "contact_family_again",
}


@dataclass(frozen=True)
class CheckInPolicy:
    """How long after the help ended the check-in is due, and how long it may wait before it escalates."""

    calendar: WorkingDayCalendar
    after_months: int = 3
    escalate_after_working_days: int = 5


def schedules_check_in(outcome_code: HandoverOutcome | str | None) -> bool:
    """Only a task closed because the municipal help has ended leads to a check-in."""
    return outcome_code == HandoverOutcome.HELP_ENDED


def add_months(day: date, count: int) -> date:
    """The same day `count` calendar months later; the month's last day when it is shorter (31 Jan -> 28 Feb)."""
    month_index = day.month - 1 + count
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, months.monthrange(year, month)[1]))


def check_in_due_on(*, closed_on: date, policy: CheckInPolicy) -> date:
    """`after_months` calendar months after the close, moved on to the next working day if it is not one."""
    return policy.calendar.add_working_days(add_months(closed_on, policy.after_months), 0)


def is_due(*, due_on: date, today: date) -> bool:
    return today >= due_on


def check_in_marks(*, check_in_id: str, due_on: date, today: date, policy: CheckInPolicy) -> list[Mark]:
    """On the due date the coordinator is told, once; each working day beyond the grace period after it
    escalates one level more."""
    if not is_due(due_on=due_on, today=today):
        return []
    marks = [Mark(f"check_in:{check_in_id}:due", CHECK_IN_DUE, 0, due_on)]
    late = policy.calendar.working_days_between(due_on, today) - policy.escalate_after_working_days
    if late > 0:
        marks.append(Mark(f"check_in:{check_in_id}:overdue:{late}", CHECK_IN_OVERDUE, late, due_on))
    return marks
