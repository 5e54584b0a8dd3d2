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

FigureKind = Literal["count", "percent", "days", "mean"]

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

    @property
    def text(self) -> str:
        """As shown on screen: "12", "4,5", "33,3 %", "<3", ":" or "–"."""
        if self.hidden:
            return HIDDEN_COUNT_TEXT if self.kind == "count" else HIDDEN_MEASURE_TEXT
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


def mean_figure(total: int, count: int) -> Figure:
    """`total` per child over `count` children, one decimal; hidden when it is about 1 or 2 children."""
    if is_small(count):
        return Figure("mean", None, hidden=True)
    return Figure("mean", None if count <= 0 else round(total / count, 1))
