"""Deadline warnings, breaches and escalations as pure functions of dates, with stable keys.

A sweep may run any number of times, at any moment; the keys make each alert happen once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from referral_service.domain.enums import ReferralAction
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.referral_lifecycle import ASSESSMENT_DECISIONS

ASSESSMENT_WARNING = "assessment_warning"
HANDOVER_UNACKNOWLEDGED = "handover_unacknowledged"
HANDOVER_NO_FIRST_CONTACT = "handover_no_first_contact"


@dataclass(frozen=True)
class Mark:
    key: str
    kind: str
    level: int
    due: date


def assessment_breach(*, referral_id: str, due: date) -> Mark:
    return Mark(f"referral:{referral_id}:assessment_breach", "assessment_breach", 0, due)


def care_start_breach(*, referral_id: str, due: date) -> Mark:
    return Mark(f"referral:{referral_id}:care_start_breach", "care_start_breach", 0, due)


def assessment_marks(*, referral_id: str, assessment_due: date, today: date, warning_days: int,
                     calendar: WorkingDayCalendar) -> list[Mark]:
    """BUP is warned `warning_days` working days before the assessment deadline; a breach after it."""
    marks = []
    if today > assessment_due:
        marks.append(assessment_breach(referral_id=referral_id, due=assessment_due))
    elif today >= calendar.add_working_days(assessment_due, -warning_days):
        marks.append(Mark(f"referral:{referral_id}:assessment_warning", ASSESSMENT_WARNING, 0, assessment_due))
    return marks


def care_start_marks(*, referral_id: str, care_start_due: date, today: date) -> list[Mark]:
    """A passed start-of-care deadline is a fristbrudd."""
    if today > care_start_due:
        return [care_start_breach(referral_id=referral_id, due=care_start_due)]
    return []


NO_MUNICIPAL_HELPER = "waiting_without_municipal_helper"


def no_municipal_helper(*, referral_id: str, since: date) -> Mark:
    """Once per referral: the child has waited for BUP with no one named in the municipality."""
    return Mark(f"referral:{referral_id}:no_municipal_helper", NO_MUNICIPAL_HELPER, 0, since)


def epikrise_reminder(*, referral_id: str, today: date) -> Mark:
    """One reminder a working day while a discharged child's epikrise is not recorded as sent."""
    return Mark(f"referral:{referral_id}:epikrise:{today.isoformat()}", "epikrise_reminder", 0, today)


def late_decision_marks(*, referral_id: str, decided: ReferralAction, today: date, assessment_due: date | None,
                        care_start_due: date | None, first_appointment_on: date | None) -> list[Mark]:
    """A deadline missed by the decision itself is a breach even if no sweep ran in between."""
    if decided in ASSESSMENT_DECISIONS and assessment_due and today > assessment_due:
        return [assessment_breach(referral_id=referral_id, due=assessment_due)]
    if (decided is ReferralAction.START_TREATMENT and care_start_due and first_appointment_on
            and first_appointment_on > care_start_due):
        return [care_start_breach(referral_id=referral_id, due=care_start_due)]
    return []


def escalation_level(*, due: date, today: date, calendar: WorkingDayCalendar) -> int:
    """0 until the due date has passed; then 1 on the first working day after it, +1 each working day."""
    return calendar.working_days_between(due, today) if today > due else 0


def handover_marks(*, handover_id: str, acknowledged: bool, first_contact_planned: bool, acknowledge_due: date,
                   first_contact_due: date, today: date, calendar: WorkingDayCalendar) -> list[Mark]:
    """Escalations of a handover nobody has taken, or whose first contact is not planned in time."""
    marks = []
    if not acknowledged:
        level = escalation_level(due=acknowledge_due, today=today, calendar=calendar)
        if level:
            marks.append(Mark(f"handover:{handover_id}:unacknowledged:{level}", HANDOVER_UNACKNOWLEDGED,
                              level, acknowledge_due))
    if not first_contact_planned:
        level = escalation_level(due=first_contact_due, today=today, calendar=calendar)
        if level:
            marks.append(Mark(f"handover:{handover_id}:no_first_contact:{level}", HANDOVER_NO_FIRST_CONTACT,
                              level, first_contact_due))
    return marks
