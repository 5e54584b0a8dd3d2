"""Repeat referrals: how many times a child was referred, and rejected, in the window before this referral.

Re-referred children are granted care in most cases (Norwegian studies: about 80 %), so a repeat is a signal
BUP must see. The window is a setting (REFERRAL_REPEAT_REFERRAL_WINDOW_MONTHS, default 24 months).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from referral_service.domain.enums import ReferralStatus


@dataclass(frozen=True)
class Episode:
    """What the count needs of one referral of the child."""

    id: str
    status: str
    #: The day BUP received it (or, for one never received, the day it was written).
    began_on: date
    created_at: datetime
    #: Set when the referral went on to another clinic: the next referral carries the same episode.
    forwarded_to_id: str | None = None


@dataclass(frozen=True)
class RepeatCount:
    earlier_referrals: int
    earlier_rejections: int
    window_months: int

    @property
    def rejected_before(self) -> bool:
        return self.earlier_rejections > 0


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when that month is shorter)."""
    year, month = divmod(day.year * 12 + (day.month - 1) - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def counts_as_earlier(episode: Episode, *, anchor: Episode, window_months: int) -> bool:
    """An earlier, separate referral of the child inside the window: not a draft, not this one, and not a link of
    a forward chain (a forwarded referral goes on as the next one, which is counted instead)."""
    return (episode.id != anchor.id
            and episode.status != ReferralStatus.DRAFT
            and episode.forwarded_to_id is None
            and episode.created_at < anchor.created_at
            and months_before(anchor.began_on, window_months) <= episode.began_on <= anchor.began_on)


def count_repeats(*, anchor: Episode, others: Iterable[Episode], window_months: int) -> RepeatCount:
    earlier = [e for e in others if counts_as_earlier(e, anchor=anchor, window_months=window_months)]
    return RepeatCount(earlier_referrals=len(earlier),
                       earlier_rejections=sum(1 for e in earlier if e.status == ReferralStatus.REJECTED),
                       window_months=window_months)


#: A rejection that brings the child's rejections in the window to this many alerts the lead who owns the
#: follow-up (the municipality's lead with consent; otherwise the referring organisation's).
REJECTIONS_THAT_ALERT_THE_LEAD = 2


def alerts_the_lead(rejections_in_window: int) -> bool:
    """The second rejection in the window (and any after it) is a signal the lead must see."""
    return rejections_in_window >= REJECTIONS_THAT_ALERT_THE_LEAD
