"""Dates as people type them: dd.mm.åååå where a browser has no date picker, ISO where it has one."""

from __future__ import annotations

import re
from datetime import date

_TYPED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def iso_date(text: str) -> str:
    """dd.mm.åååå as ISO for a schema to load; anything else is left as it is, for the schema to refuse."""
    match = _TYPED.fullmatch(text)
    if not match:
        return text
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


def typed_date(text: str) -> date | None:
    """A date typed as ISO or dd.mm.åååå; None when it is neither, or no real date."""
    try:
        return date.fromisoformat(iso_date(text.strip()))
    except ValueError:
        return None
