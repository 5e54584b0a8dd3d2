"""The dashboard's arithmetic and its privacy rule, as pure functions: median, percentile, share, and
small-number suppression (figures about fewer than three children are not shown).

Percentiles interpolate linearly between the two nearest ranks (Hyndman & Fan type 7), the definition of
Excel's PERSENTIL.INK / PERCENTILE.INC and numpy's default, so anyone can check a figure in a spreadsheet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

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


def percentile_of_counts(counts: Mapping[float, int], p: float) -> float | None:
    """`percentile` of the values a histogram holds (value -> how many), without listing them one by one."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    total = sum(n for n in counts.values() if n > 0)
    if not total:
        return None
    rank = (total - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    found: dict[int, float] = {}
    seen = 0
    for value in sorted(v for v, n in counts.items() if n > 0):
        seen += counts[value]
        for position in (below, above):
            if position not in found and position < seen:
                found[position] = value
        if above in found:
            break
    return found[below] + (found[above] - found[below]) * (rank - below)


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


def days_figures_of_counts(counts: Mapping[float, int]) -> tuple[Figure, Figure]:
    """`days_figures` of the durations a histogram holds (days -> how many children)."""
    if is_small(sum(counts.values())):
        return Figure("days", None, hidden=True), Figure("days", None, hidden=True)
    middle, p90 = percentile_of_counts(counts, 50), percentile_of_counts(counts, 90)
    return (Figure("days", None if middle is None else round(middle, 1)),
            Figure("days", None if p90 is None else round(p90, 1)))


# --- the equity table's suppression ------------------------------------------------------------------------

#: The equity table's threshold: counts below it are shown as "<5" (a setting: EQUITY_SUPPRESSION_THRESHOLD).
EQUITY_SUPPRESSION_THRESHOLD = 5


#: What names a part: a code, or a (row, column) cell of a table.
Part = TypeVar("Part", str, tuple[str, str])


@dataclass(frozen=True)
class SuppressedGroup(Generic[Part]):
    """A total and its parts after suppression: which of them may be shown."""

    total_hidden: bool
    hidden_parts: frozenset[Part]


def suppress_group(*, total: int, parts: dict[Part, int], threshold: int, hidden: frozenset[Part] = frozenset(),
                   unpublished: frozenset[Part] = frozenset(), total_hidden: bool = False) -> SuppressedGroup[Part]:
    """Small-number suppression for a total and the parts it is the sum of: the equity table's one rule.

    Primary: a count from 1 to `threshold - 1` is hidden (zero reveals nobody). Secondary: when exactly one
    part is unknown to the reader while the total is shown, the total is hidden too, or the part could be
    computed back as the total minus the others (harmless only for an unpublished part of `threshold` or
    more); and a hidden total whose parts are all known gets its smallest part hidden, or the total could
    be added up again. Unknown are the parts hidden here or already
    (`hidden`, by another group's rule) and the parts never published (`unpublished`, e.g. the referrals not
    yet decided) unless they are zero, which a reader could guess.
    """
    hidden_parts = set(hidden | {name for name, count in parts.items()
                                 if name not in unpublished and 0 < count < threshold})
    unknown = hidden_parts | {name for name in unpublished if parts.get(name, 0)}
    # The one unknown part could be worked out; that matters unless it is an unpublished figure big enough to show.
    revealing = len(unknown) == 1 and not any(name in unpublished and parts[name] >= threshold for name in unknown)
    total_hidden = total_hidden or 0 < total < threshold or revealing
    if total_hidden and total > 0 and not unknown:
        smallest = min((name for name in parts if name not in unpublished and parts[name] > 0),
                       key=lambda name: (parts[name], name))
        hidden_parts.add(smallest)
    return SuppressedGroup(total_hidden=total_hidden, hidden_parts=frozenset(hidden_parts - unpublished))


Cell = tuple[str, str]


def suppress_table(counts: dict[str, dict[str, int]], *, threshold: int, row_total: str, row_parts: tuple[str, ...],
                   unpublished: frozenset[str] = frozenset(),
                   column_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> frozenset[Cell]:
    """The (row, column) cells of a table to hide: `suppress_group` applied to each row (its total and parts)
    and to each column group (a total row and the rows that add up to it), again until nothing more is hidden,
    since hiding a cell in one group can make it the one unknown part of another."""
    hidden: set[Cell] = set()
    groups: list[tuple[Cell, list[Cell]]] = [
        ((row, row_total), [(row, column) for column in row_parts]) for row in counts]
    groups += [((total_row, column), [(row, column) for row in rows]) for total_row, rows in column_groups
               for column in (row_total, *row_parts) if column not in unpublished]
    changed = True
    while changed:
        changed = False
        for total_cell, part_cells in groups:
            group = suppress_group(
                total=counts[total_cell[0]][total_cell[1]],
                parts={cell: counts[cell[0]][cell[1]] for cell in part_cells},
                threshold=threshold, hidden=frozenset(cell for cell in part_cells if cell in hidden),
                unpublished=frozenset(cell for cell in part_cells if cell[1] in unpublished),
                total_hidden=total_cell in hidden)
            found = set(group.hidden_parts) | ({total_cell} if group.total_hidden else set())
            if not found <= hidden:
                hidden |= found
                changed = True
    return frozenset(hidden)


def suppressed_count(count: int, *, hidden: bool, threshold: int) -> Figure:
    """A count of the equity table: "<5" when hidden for being small, ":" when hidden so that a small one
    cannot be worked out from it (saying "<5" of it would be untrue)."""
    if not hidden:
        return Figure("count", count)
    return Figure("count", None, hidden=True, hidden_text=f"<{threshold}" if count < threshold else HIDDEN_MEASURE_TEXT)


def suppressed_share(part: int, whole: int, *, hidden: bool) -> Figure:
    """A share of the equity table, hidden when its part or its whole is (either could be computed back)."""
    if hidden:
        return Figure("percent", None, hidden=True)
    value = share(part, whole)
    return Figure("percent", None if value is None else round(value, 1))


def mean_figure(total: int, count: int) -> Figure:
    """`total` per child over `count` children, one decimal; hidden when it is about 1 or 2 children."""
    if is_small(count):
        return Figure("mean", None, hidden=True)
    return Figure("mean", None if count <= 0 else round(total / count, 1))
