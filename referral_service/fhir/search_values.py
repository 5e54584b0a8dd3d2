"""The values of FHIR search parameters (R4 §3.1.1.4 "search"): references, tokens and dates with their prefixes.

Pure: a string in, what it means out, or `BadSearchValue` with a sentence that never repeats the value (a value in a
URL may be anything a client typed, an identity number included)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

#: FHIR's id datatype; ours are uuids.
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
#: An identity number (fødselsnummer, D-nummer, H-nummer): eleven digits, perhaps with a space after the date.
_IDENTITY_NUMBER = re.compile(r"^\d{6}\s?\d{5}$")
#: ASCII digits only (re's \d also takes other scripts' digits, which int() reads).
_DATE = re.compile(r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?(?P<year>[0-9]{4})(-(?P<month>[0-9]{2})"
                   r"(-(?P<day>[0-9]{2})(T(?P<time>[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)"
                   r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$")
#: The date prefixes this server takes.
DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le")
#: The years a date may name: nothing here changed before the service existed, and far ends overflow the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class BadSearchValue(ValueError):
    """A value this server cannot read; the message says what was expected, never what came."""


def looks_like_identity_number(value: str) -> bool:
    return bool(_IDENTITY_NUMBER.match(value.strip()))


def alternatives(raw: str) -> list[str]:
    """The values of one occurrence of a parameter: separated by commas, any of which may match."""
    return [value.strip() for value in raw.split(",") if value.strip()]


def plain_id(value: str) -> str:
    """An id as `_id` takes it."""
    if not _ID.match(value):
        raise BadSearchValue("An id is letters, digits, '-' and '.' (at most 64).")
    return value


def reference_id(value: str, *, types: tuple[str, ...]) -> tuple[str | None, str]:
    """`Type/id`, an absolute `…/Type/id`, or a bare id: the type (None when bare) and the id; the type must be one
    of `types`."""
    parts = value.rstrip("/").split("/")
    kind, found = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, parts[-1])
    if kind is not None and kind not in types:
        raise BadSearchValue(f"This parameter refers to {' or '.join(types)} resources only.")
    if not _ID.match(found):
        raise BadSearchValue("A reference names a resource by its id (letters, digits, '-' and '.').")
    return kind, found


@dataclass(frozen=True)
class DateRange:
    """What a date parameter asks for: instants `at` such that `start <= at < end` (either end open when None)."""

    start: datetime | None
    end: datetime | None


def date_range(value: str, *, zone: tzinfo) -> DateRange:
    """A date parameter's value with its prefix (eq, gt, lt, ge, le; eq when none) as a range of instants.

    A value stands for the whole of its precision (a year, a month, a day, a second); a value without a zone is in
    `zone` (the service's own)."""
    match = _DATE.match(value.strip())
    if match is None:
        raise BadSearchValue("A date is written YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone, "
                             f"after one of the prefixes {', '.join(DATE_PREFIXES)}.")
    prefix = match["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise BadSearchValue(f"This server takes the date prefixes {', '.join(DATE_PREFIXES)}.")
    start, end = _period(match, zone)
    return {"eq": DateRange(start, end), "ge": DateRange(start, None), "gt": DateRange(end, None),
            "lt": DateRange(None, start), "le": DateRange(None, end)}[prefix]


def _period(match: re.Match[str], zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants a date stands for, both ends computed (and taken to UTC, as the columns hold them) inside one
    guard: a year outside FIRST_YEAR..LAST_YEAR, a day that does not exist or a zone that cannot be reached is a
    BadSearchValue, never an error from the calendar or the database."""
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadSearchValue(f"A date lies in the years {FIRST_YEAR} to {LAST_YEAR}.")
    try:
        if match["time"]:
            clock = match["time"] + (":00" if len(match["time"]) == 5 else "")
            stamp = datetime.fromisoformat(f"{year:04d}-{month:02d}-{day:02d}T{clock}{match['zone'] or ''}")
            start = stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)
            end = start + (timedelta(seconds=1) if len(match["time"]) > 5 else timedelta(minutes=1))
        else:
            start = datetime(year, month, day, tzinfo=zone)
            if match["day"]:
                end = start + timedelta(days=1)
            elif match["month"]:
                end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
            else:
                end = datetime(year + 1, 1, 1, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise BadSearchValue("A date names a day that exists.") from error
