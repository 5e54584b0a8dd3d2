""""Vi har ikke hørt noe": when the family's call reaches the owner's lead, and who acts and who leads for each kind
of owner that has no handover task to ask (routing.py answers for a task's owner).

The owner of the child's case (workflows/responsible_now.py) is alerted at once. Unanswered, the family's call is
due an answer `answer_working_days` working days after it was made; from the next day the owner's lead is told,
once. An answered call is never escalated.
"""

from __future__ import annotations

from datetime import date

from referral_service.domain.enums import OrganisationKind, Role
from referral_service.workflows.calendar import WorkingDayCalendar

#: Who acts for an owner without a handover task, by the owner's kind: BUP's intake, a referring service's referrers.
ACTING_ROLE = {OrganisationKind.BUP_CLINIC: Role.BUP_INTAKE, OrganisationKind.ADULT_MENTAL_HEALTH: Role.BUP_INTAKE,
               OrganisationKind.MUNICIPALITY: Role.MUNICIPAL_COORDINATOR}
#: The top of the ladder for such an owner. A clinic has no lead in the service: its escalations (assessment breach,
#: turning 18) go to its intake, and so does this one. Any other kind is a referring service: its lead.
LEAD_ROLE = {OrganisationKind.BUP_CLINIC: Role.BUP_INTAKE, OrganisationKind.ADULT_MENTAL_HEALTH: Role.BUP_INTAKE,
             OrganisationKind.MUNICIPALITY: Role.MUNICIPAL_LEAD}

#: The alert kinds (notify/alert_texts.py words them).
NUDGE_RAISED = "family_nudge"
NUDGE_UNANSWERED = "family_nudge_unanswered"


def acting_role(kind: str) -> Role:
    """Who acts for an owner of this kind (any kind not listed refers children: its referrers)."""
    return next((role for known, role in ACTING_ROLE.items() if known.value == kind), Role.REFERRER)


def lead_role(kind: str) -> Role:
    """The top of the ladder for an owner of this kind (a referring service's lead when not listed)."""
    return next((role for known, role in LEAD_ROLE.items() if known.value == kind), Role.REFERRER_LEAD)


def answer_due(*, raised_on: date, answer_working_days: int, calendar: WorkingDayCalendar) -> date:
    """The last day the owner has to get in touch before the lead is told."""
    return calendar.add_working_days(raised_on, answer_working_days)


def lead_is_due(*, raised_on: date, today: date, answered: bool, lead_alerted: bool, answer_working_days: int,
                calendar: WorkingDayCalendar) -> bool:
    """The owner's lead is told once, the day after the answer was due, if nobody has answered the family."""
    if answered or lead_alerted:
        return False
    return today > answer_due(raised_on=raised_on, answer_working_days=answer_working_days, calendar=calendar)


def owner_key(nudge_id: str, organisation_id: str | None = None) -> str:
    """The alerts to the owner, once per call (and once more for each new owner the call was passed on to)."""
    return f"family_nudge:{nudge_id}:owner" + (f":{organisation_id}" if organisation_id else "")


def alert_keys_of(nudge_id: str) -> str:
    """The beginning every alert key of one call shares (owner's, new owners', lead's)."""
    return f"family_nudge:{nudge_id}:"


def lead_key(nudge_id: str) -> str:
    """The alerts to the owner's lead, once per call."""
    return f"family_nudge:{nudge_id}:lead"
