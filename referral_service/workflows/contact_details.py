"""What a phone number and a contact-hours text the family is given may look like (issue 14): the one rule the
administration pages, the API, the command line and a user's own form all apply."""

from __future__ import annotations

import re

from referral_service.errors import Reason

#: Digits, spaces and plus signs, at most 30 characters (the columns' length).
PHONE = re.compile(r"^[0-9+ ]{1,30}$")
MAX_HOURS = 200
#: Reasons' codes (the pages word them: web/views/admin_forms.py).
PHONE_INVALID, HOURS_TOO_LONG = "phone_invalid", "hours_too_long"


def cleaned(value: str | None) -> str | None:
    """Spaces at the ends are not kept; an empty value is none (it clears what was there)."""
    value = (value or "").strip()
    return value or None


def contact_errors(*, phone: str | None, hours: str | None, hours_field: str) -> dict[str, list[Reason]]:
    """Why a phone or an hours text is refused, by field; empty when both are good (or empty)."""
    errors: dict[str, list[Reason]] = {}
    if phone and (not PHONE.match(phone) or not any(c.isdigit() for c in phone)):
        errors["phone"] = [Reason(PHONE_INVALID, "Digits, spaces and + only, at most 30 characters.")]
    if hours and len(hours) > MAX_HOURS:
        errors[hours_field] = [Reason(HOURS_TOO_LONG, f"At most {MAX_HOURS} characters.")]
    return errors
