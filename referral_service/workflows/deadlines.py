"""How long the deadlines are, in Norwegian working days, and the calendar they are counted on.

The numbers are settings (REFERRAL_ASSESSMENT_WORKING_DAYS, …); a municipality's own handover deadlines, where
it has set them, come before these (services/handovers/creation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.check_ins import CheckInPolicy


@dataclass(frozen=True)
class DeadlinePolicy:
    calendar: WorkingDayCalendar
    #: From receipt to BUP's assessment.
    assessment_working_days: int
    #: How long before the assessment deadline BUP is warned.
    assessment_warning_working_days: int
    #: From the handover's creation to its acknowledgement, and to its planned first contact.
    handover_acknowledge_days: int
    handover_first_contact_days: int
    #: How many working days before a planned discharge the municipality's handover opens.
    discharge_handover_lead_days: int = 10
    #: A child waiting for BUP this many working days with no municipal contact named raises an alert.
    waiting_without_municipal_contact_days: int = 15
    #: How many months back a child's earlier referrals and rejections count as repeats.
    repeat_window_months: int = 24
    #: The check-in after the municipal help ended: calendar months after the close, and the grace before it
    #: escalates to the lead.
    check_in_after_months: int = 3
    check_in_escalate_after_working_days: int = 5
    #: "Vi har ikke hørt noe" unanswered this many working days after the family pressed it: the owner's lead is told.
    family_nudge_answer_working_days: int = 2

    @property
    def check_ins(self) -> CheckInPolicy:
        return CheckInPolicy(calendar=self.calendar, after_months=self.check_in_after_months,
                             escalate_after_working_days=self.check_in_escalate_after_working_days)
