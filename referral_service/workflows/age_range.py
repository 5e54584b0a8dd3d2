"""Who the service is for: children and young people from birth up to and including 25 years, on the day the
service acts (a draft made at 25 may be 26 by the time it is sent)."""

from __future__ import annotations

from datetime import date

from referral_service.domain.national_id import age_on
from referral_service.workflows.gaps import Gap

#: The youngest and the oldest age (completed years) the service covers.
YOUNGEST_AGE = 0
OLDEST_AGE = 25


def age_refusal(birth_date: date, on: date) -> Gap | None:
    """Why a child with this birth date is outside the service on this day (None when it is within)."""
    if birth_date > on:
        return Gap.BIRTH_DATE_IN_FUTURE
    if not YOUNGEST_AGE <= age_on(birth_date, on) <= OLDEST_AGE:
        return Gap.AGE_OUTSIDE_SERVICE
    return None


def age_for_rules(birth_date: date, on: date) -> int:
    """The age the other rules (consent, completeness) judge by: completed years, 0 before the birth (which
    `age_refusal` refuses on its own)."""
    return 0 if birth_date > on else age_on(birth_date, on)
