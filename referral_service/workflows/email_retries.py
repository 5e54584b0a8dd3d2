"""When a transiently failed alert e-mail is tried again, and when its delivery is given up.

A delivery is retried for a window counted from its first failure, with exponential backoff (base * 2^n, at most
max) and a jitter, so e-mails that failed together (a mail server that was down) do not all come back at once.
The last attempt falls on the window's end; when that one fails too, the e-mail is failed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: 2^n beyond this is far past any sensible maximum; kept small so the number never overflows.
_MAX_DOUBLINGS = 30


@dataclass(frozen=True)
class EmailRetryPolicy:
    base_seconds: float
    max_seconds: float
    window: timedelta
    #: The fraction (0..1) each delay may be shortened or lengthened by, at random.
    jitter: float = 0.2
    draw: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    @classmethod
    def from_settings(cls, config: Any) -> EmailRetryPolicy:
        return cls(base_seconds=float(config.EMAIL_RETRY_BASE_SECONDS),
                   max_seconds=float(config.EMAIL_RETRY_MAX_SECONDS),
                   window=timedelta(hours=float(config.EMAIL_RETRY_WINDOW_HOURS)),
                   jitter=min(max(float(config.EMAIL_RETRY_JITTER), 0.0), 1.0))

    def retry_until(self, first_failure: datetime) -> datetime:
        """The end of the window of a delivery that first failed at this moment."""
        return first_failure + self.window

    def delay(self, failures: int) -> timedelta:
        """The wait after the n-th failure (1 for the first), before the jitter."""
        doublings = min(max(failures - 1, 0), _MAX_DOUBLINGS)
        return timedelta(seconds=min(self.base_seconds * 2**doublings, self.max_seconds))

    def next_attempt(self, *, failures: int, now: datetime, until: datetime) -> datetime | None:
        """When to try again after the n-th failure at `now`; None when the window is over (give up)."""
        if now >= until:
            return None
        spread = 1 + self.jitter * (2 * self.draw() - 1)
        return min(now + self.delay(failures) * spread, until)
