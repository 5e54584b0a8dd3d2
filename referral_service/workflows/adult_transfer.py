"""Growing up: the 18th birthday and the transfer from BUP to adult mental health services (DPS).

The age rules live here only: from when BUP may transfer a young person to DPS, when BUP is told that a
young person with an open referral has turned 18, and which referrals count as open at BUP. The municipal
coordinator stays on the case to 25 (DESIGN.md rule 8): a transfer changes no handover and keeps the
people around the young person on the new referral.
"""

from __future__ import annotations

from datetime import date

from referral_service.domain.enums import OrganisationKind
from referral_service.workflows.escalation import Mark
from referral_service.workflows.referral_lifecycle import OPEN_AT_BUP

#: The age at which a young person leaves BUP (psykisk helsevern for barn og unge) for adult services.
ADULT_AGE = 18
#: BUP may transfer to DPS from 17 years and 6 months: the transfer is planned before the birthday.
TRANSFER_FROM_MONTHS = 17 * 12 + 6

TURNING_18 = "turning_18"
TURNING_18_SOON = "turning_18_soon"


def _months_after(day: date, months: int) -> date:
    """The same day of the month `months` later; a day the month lacks (29 February) counts from the 1st after."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    try:
        return date(year, month, day.day)
    except ValueError:
        return date(year + month // 12, month % 12 + 1, 1)


def adult_on(birth_date: date) -> date:
    """The 18th birthday (a 29 February birthday counts from 1 March, as `national_id.age_on` does)."""
    return _months_after(birth_date, ADULT_AGE * 12)


def transfer_possible_from(birth_date: date) -> date:
    """The first day BUP may transfer this young person to DPS."""
    return _months_after(birth_date, TRANSFER_FROM_MONTHS)


def transfer_refusal(*, clinic_kind: str, birth_date: date, today: date) -> str | None:
    """Why this referral cannot be transferred to DPS now (an English sentence), or None when it can."""
    if clinic_kind != OrganisationKind.BUP_CLINIC:
        return "Only a BUP clinic transfers a young person to adult mental health services."
    if today < transfer_possible_from(birth_date):
        return (f"A transfer to adult mental health services is possible from {TRANSFER_FROM_MONTHS // 12} years "
                f"and {TRANSFER_FROM_MONTHS % 12} months of age.")
    return None


def _months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier, or that month's last day when it is shorter."""
    year, month = divmod(day.month - 1 - months, 12)
    year, month = day.year + year, month + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date.resolution).day
    return date(year, month, min(day.day, last))


def adult_if_born_on_or_before(today: date) -> date:
    """The latest birth date of someone who is 18 today (for a query over many children)."""
    return _months_before(today, ADULT_AGE * 12)


def transferable_if_born_on_or_before(today: date) -> date:
    """The latest birth date of someone BUP may transfer today (for a query over many children)."""
    return _months_before(today, TRANSFER_FROM_MONTHS)


def growing_up_marks(*, referral_id: str, birth_date: date, status: str, today: date) -> list[Mark]:
    """BUP's reminders while a referral is open at BUP, each once per referral: a heads-up from 17 years and 6
    months that the young person turns 18 soon, and the alert when they have turned 18 (due: the birthday)."""
    birthday = adult_on(birth_date)
    if status not in OPEN_AT_BUP:
        return []
    if today >= birthday:
        return [Mark(f"referral:{referral_id}:{TURNING_18}", TURNING_18, 0, birthday)]
    if today >= transfer_possible_from(birth_date):
        return [Mark(f"referral:{referral_id}:{TURNING_18_SOON}", TURNING_18_SOON, 0, birthday)]
    return []
