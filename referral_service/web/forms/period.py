"""Oversikt's period (fields `fra` and `til`), read in Norwegian."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from referral_service.errors import InvalidData
from referral_service.services.dashboard import Period, default_period
from referral_service.web.forms.dates import typed_date

#: Dates outside these years are typing errors, not periods anyone asks for.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
NOT_A_DATE = "Skriv en gyldig dato, for eksempel 01.01.2026."
ENDS_BEFORE_IT_STARTS = "Til-datoen kan ikke være før fra-datoen."


def asked_period(args: Mapping[str, str], *, today: date) -> Period:
    """The period the user asked for; a missing date takes its default. 422 with field errors if invalid."""
    default = default_period(today)
    errors: dict[str, list[str]] = {}
    days: dict[str, date] = {}
    for name, fallback in (("fra", default.first), ("til", default.last)):
        text = (args.get(name) or "").strip()
        if not text:
            days[name] = fallback
        elif (day := typed_date(text)) is not None and EARLIEST <= day <= LATEST:
            days[name] = day
        else:
            errors[name] = [NOT_A_DATE]
    if not errors and days["fra"] > days["til"]:
        errors["til"] = [ENDS_BEFORE_IT_STARTS]
    if errors:
        raise InvalidData("The period is not valid.", errors=errors)
    return Period(days["fra"], days["til"])
