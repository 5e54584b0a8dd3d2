"""Who may refer (henvisningsrett): configuration, not code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ReferrerPolicy:
    """The professions that always may refer, and those that may where their municipality grants it (settings)."""

    always: tuple[str, ...]
    conditional: tuple[str, ...]


@dataclass(frozen=True)
class GrantPeriod:
    """A municipality's right for one profession to refer, from a date, until an optional date."""

    profession: str
    valid_from: date
    valid_to: date | None


def may_refer(*, profession: str, on: date, always: Iterable[str], conditional: Iterable[str],
              grants: Iterable[GrantPeriod]) -> bool:
    """Whether a user of this profession may submit a referral on this date."""
    if profession in set(always):
        return True
    if profession not in set(conditional):
        return False
    return any(
        g.profession == profession and g.valid_from <= on and (g.valid_to is None or on <= g.valid_to)
        for g in grants
    )
