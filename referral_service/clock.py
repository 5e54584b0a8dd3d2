"""The service's clock: what time it is, and what date that is in Norway.

Real UTC time, or in tests the callable of the setting CLOCK (built once by the composition root).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo


@dataclass(frozen=True)
class Clock:
    source: Callable[[], datetime]
    timezone: tzinfo

    def now(self) -> datetime:
        return self.source()

    def today(self) -> date:
        """Today's date in Norway."""
        return self.local_date(self.now())

    def local_date(self, at: datetime) -> date:
        """The date in Norway at this moment."""
        return at.astimezone(self.timezone).date()
