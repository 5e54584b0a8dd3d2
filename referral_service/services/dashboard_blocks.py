"""Oversikt's blocks of days: a period cut into whole years, whole months and single days, so the country's
counts (services/dashboard_counts.py, dashboard_contacts.py) are read a block at a time; and how both keep their
counts in step: in batches of ids, by the difference a transaction made."""

from __future__ import annotations

import calendar as month_lengths
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import Table

from referral_service.db import insert_with_on_conflict

DAY, MONTH, YEAR = "day", "month", "year"
#: Grains kept for the country: its counts are dense enough to be worth summing by month and year.
NATIONAL_GRAINS = (DAY, MONTH, YEAR)


def block_start(day: date, grain: str) -> date:
    """The first day of the block of `grain` that holds `day`."""
    if grain == YEAR:
        return day.replace(month=1, day=1)
    if grain == MONTH:
        return day.replace(day=1)
    return day


def block_end(start: date, grain: str) -> date:
    """The last day of the block starting on `start`."""
    if grain == YEAR:
        return start.replace(month=12, day=31)
    if grain == MONTH:
        return start.replace(day=month_lengths.monthrange(start.year, start.month)[1])
    return start


def period_blocks(first: date, last: date) -> list[tuple[str, date]]:
    """The whole years, whole months and single days that make up [first, last] exactly, in order."""
    blocks, day = [], first
    while day <= last:
        grain = next(g for g in NATIONAL_GRAINS[::-1] if block_start(day, g) == day and block_end(day, g) <= last)
        blocks.append((grain, day))
        day = block_end(day, grain) + timedelta(days=1)
    return blocks


#: Ids read in one statement when the kept counts are loaded or rebuilt.
BATCH = 500


def batches(ids: Iterable[str], size: int = BATCH) -> Iterator[list[str]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, size)):
        yield batch


@cache
def adding_upsert(dialect_name: str, table: Table, key: tuple[str, ...]) -> Any:
    """The statement that adds rows' `count` to the kept counts of their `key`, built once per dialect and table:
    its construction costs more than its execution on the write path."""
    statement = insert_with_on_conflict(dialect_name, table)
    return statement.on_conflict_do_update(index_elements=[table.c[name] for name in key],
                                           set_={"count": table.c["count"] + statement.excluded["count"]})


def difference_since(before: dict[str, Counter], load: Callable[[list[str]], dict[str, Counter]]) -> Counter:
    """What a transaction changed in the kept counts: the entries of the ids it touched as they are now (`load`),
    less those they had before it."""
    difference: Counter = Counter()
    for batch in batches(sorted(before)):
        for found in load(batch).values():
            difference.update(found)
    for old in before.values():
        difference.subtract(old)
    return difference
