"""The dashboard's arithmetic and its privacy rule, as pure functions: median, percentile, share, and
small-number suppression (figures about fewer than three children are not shown).

Percentiles interpolate linearly between the two nearest ranks (Hyndman & Fan type 7), the definition of
Excel's PERSENTIL.INK / PERCENTILE.INC and numpy's default, so anyone can check a figure in a spreadsheet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: Counts of 1 or 2 children are shown as "<3", and nothing is derived from fewer than 3 children.
SUPPRESSION_THRESHOLD = 3

FigureKind = Literal["count", "percent", "days"]

HIDDEN_COUNT_TEXT = "<3"
#: Statistics Norway's symbol for "not shown for confidentiality reasons".
HIDDEN_MEASURE_TEXT = ":"
NO_DATA_TEXT = "–"


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation; None for no values."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def median(values: Sequence[float]) -> float | None:
    """The middle value, or the mean of the two middle values; None for no values."""
    return percentile(values, 50)


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` in per cent; None when there is no whole."""
    if whole <= 0:
        return None
    return 100 * part / whole


def is_small(count: int) -> bool:
    """1 or 2: few enough that the children could be recognised. Zero reveals nobody."""
    return 0 < count < SUPPRESSION_THRESHOLD


@dataclass(frozen=True)
class Figure:
    """One cell of the dashboard. A hidden figure carries no value, so it cannot leak by mistake."""

    kind: FigureKind
    value: float | None
    hidden: bool = False
    #: What a hidden count says, when its threshold is not the dashboard's ("<5" in the equity table).
    hidden_text: str = ""

    @property
    def text(self) -> str:
        """As shown on screen: "12", "4,5", "33,3 %", "<3", ":" or "–"."""
        if self.hidden:
            if self.kind == "count":
                return self.hidden_text or HIDDEN_COUNT_TEXT
            return HIDDEN_MEASURE_TEXT
        if self.value is None:
            return NO_DATA_TEXT
        return f"{self.number} %" if self.kind == "percent" else self.number

    @property
    def number(self) -> str:
        """The bare number with a decimal comma (what Excel in Norway reads), or "" if there is none."""
        if self.hidden or self.value is None:
            return ""
        if self.kind == "percent":
            return f"{self.value:.1f}".replace(".", ",")
        if float(self.value).is_integer():
            return str(int(self.value))
        return f"{self.value:.1f}".replace(".", ",")

    @property
    def csv_text(self) -> str:
        """As exported: like the screen, without the unit, and empty where there is nothing to show."""
        if self.hidden:
            return self.text
        return self.number


def count_figure(count: int) -> Figure:
    """A number of children (or referrals, or tasks), hidden when it is 1 or 2."""
    if is_small(count):
        return Figure("count", None, hidden=True)
    return Figure("count", count)


def share_figure(part: int, whole: int) -> Figure:
    """`part` of `whole` in per cent, hidden when either is about 1 or 2 children."""
    if is_small(part) or is_small(whole):
        return Figure("percent", None, hidden=True)
    value = share(part, whole)
    return Figure("percent", None if value is None else round(value, 1))


def days_figures(values: Sequence[float]) -> tuple[Figure, Figure]:
    """Median and 90th percentile of durations in days, hidden when fewer than 3 children are behind them."""
    if is_small(len(values)):
        return Figure("days", None, hidden=True), Figure("days", None, hidden=True)
    middle, p90 = median(values), percentile(values, 90)
    return (Figure("days", None if middle is None else round(middle, 1)),
            Figure("days", None if p90 is None else round(p90, 1)))


# --- the equity table's suppression ------------------------------------------------------------------------

#: The equity table's threshold: counts below it are shown as "<5" (a setting: EQUITY_SUPPRESSION_THRESHOLD).
EQUITY_SUPPRESSION_THRESHOLD = 5


@dataclass(frozen=True)
class SuppressedGroup:
    """A total and its parts after suppression: which of them may be shown."""

    total_hidden: bool
    hidden_parts: frozenset[str]


def suppress_group(*, total: int, parts: dict[str, int], threshold: int, hidden: frozenset[str] = frozenset(),
                   unpublished: frozenset[str] = frozenset(), total_hidden: bool = False) -> SuppressedGroup:
    """Small-number suppression for a total and the parts it is the sum of.

    Primary: a count from 1 to `threshold - 1` is hidden (zero reveals nobody). Secondary: when exactly one
    part is unknown to the reader while the total is shown, the total is hidden too, or the part could be
    computed back as the total minus the others. Unknown are the parts hidden here or already (`hidden`, by
    another group's rule) and the parts never published (`unpublished`, e.g. the referrals not yet decided)
    unless they are zero, which a reader could guess.
    """
    hidden_parts = frozenset(hidden | {name for name, count in parts.items()
                                       if name not in unpublished and 0 < count < threshold})
    unknown = hidden_parts | {name for name in unpublished if parts.get(name, 0)}
    return SuppressedGroup(total_hidden=total_hidden or 0 < total < threshold or len(unknown) == 1,
                           hidden_parts=hidden_parts - unpublished)


def suppressed_count(count: int, *, hidden: bool, threshold: int) -> Figure:
    """A count of the equity table: "<5" when hidden."""
    return Figure("count", None, hidden=True, hidden_text=f"<{threshold}") if hidden else Figure("count", count)


def suppressed_share(part: int, whole: int, *, hidden: bool) -> Figure:
    """A share of the equity table, hidden when its part or its whole is (either could be computed back)."""
    if hidden:
        return Figure("percent", None, hidden=True)
    value = share(part, whole)
    return Figure("percent", None if value is None else round(value, 1))
