"""A clock the tests can set; real time until they do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

NORWAY = ZoneInfo("Europe/Oslo")


def norway_today() -> date:
    """Today's date in Norway, the date the service checks against (the machine's own clock runs on UTC:
    from 23:00 or 22:00 UTC Norway is already a day ahead)."""
    return datetime.now(NORWAY).date()


class TestClock:
    __test__ = False  # not a test class

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        #: Changes whenever the clock is set, so that cached logins made at another time are dropped.
        self.generation = 0

    def __call__(self) -> datetime:
        return self._fixed or datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("give the clock a timezone-aware moment")
        self._fixed = moment
        self.generation += 1

    def advance(self, step: timedelta) -> None:
        """Move a set clock on by a moment (seconds, not hours), keeping the logins: they last for hours."""
        if self._fixed is None:
            raise ValueError("set the clock before moving it on")
        self._fixed += step

    def reset(self) -> None:
        if self._fixed is not None:
            self.generation += 1
        self._fixed = None
