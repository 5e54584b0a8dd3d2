"""Oversikt's equity table (likeverd): referrals received in the period with an interpreter need (by language),
with the pårørende reason, and with the child welfare service as a partner; how many were rejected and accepted.

Aggregates only, counted under the dashboard's statistics scope, with the equity table's small-number
suppression (`workflows.statistics.suppress_table`): counts below the threshold (a setting) are shown as "<5",
and so is any total that would let a hidden count be worked out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from referral_service.domain.languages import INTERPRETER_LANGUAGES
from referral_service.services.dashboard_facts import (
    CHILD_WELFARE_PARTNER,
    EQUITY,
    INTERPRETER,
    PARENT_ILLNESS,
    language_group,
)
from referral_service.workflows.statistics import Figure, suppress_table, suppressed_count, suppressed_share

COUNTS = ("received", "rejected", "accepted", "undecided")


@dataclass(frozen=True)
class EquityRow:
    code: str
    #: The interpreter language's ISO 639-1 code, for a language's row.
    language: str | None
    received: Figure
    rejected: Figure
    accepted: Figure
    rejected_share: Figure
    accepted_share: Figure


@dataclass(frozen=True)
class EquityTable:
    threshold: int
    interpreter: EquityRow
    languages: list[EquityRow]
    parent_illness: EquityRow
    child_welfare_partner: EquityRow

    @property
    def rows(self) -> list[EquityRow]:
        return [self.interpreter, *self.languages, self.parent_illness, self.child_welfare_partner]


def _counts(totals: dict[str, Counter]) -> dict[str, dict[str, int]]:
    """Each group's received, rejected, accepted and undecided referrals, from the kept counts
    (services/dashboard_facts.py: each received referral counts once in each of its groups, by its outcome)."""
    counts = {name: dict.fromkeys(COUNTS, 0) for name in (INTERPRETER, PARENT_ILLNESS, CHILD_WELFARE_PARTNER)}
    for measure, outcomes in totals.items():
        if not measure.startswith(EQUITY) or not sum(outcomes.values()):
            continue
        cells = counts.setdefault(measure.removeprefix(EQUITY), dict.fromkeys(COUNTS, 0))
        for outcome, n in outcomes.items():
            cells[outcome] += n
            cells["received"] += n
    return counts


def _row(code: str, language: str | None, cells: dict[str, int], hidden: frozenset, threshold: int) -> EquityRow:
    def is_hidden(column: str) -> bool:
        return (code, column) in hidden

    def count(column: str) -> Figure:
        return suppressed_count(cells[column], hidden=is_hidden(column), threshold=threshold)

    def share(column: str) -> Figure:
        return suppressed_share(cells[column], cells["received"],
                                hidden=is_hidden(column) or is_hidden("received"))

    return EquityRow(code, language, count("received"), count("rejected"), count("accepted"),
                     share("rejected"), share("accepted"))


def equity_table(totals: dict[str, Counter], *, threshold: int) -> EquityTable:
    """The equity table for the referrals received in the period, from the scope's counts (by measure)."""
    counts = _counts(totals)
    languages = [code for code in INTERPRETER_LANGUAGES if language_group(code) in counts]
    hidden = suppress_table(counts, threshold=threshold, row_total="received",
                            row_parts=("rejected", "accepted", "undecided"), unpublished=frozenset({"undecided"}),
                            column_groups=((INTERPRETER, tuple(language_group(code) for code in languages)),))
    return EquityTable(
        threshold=threshold,
        interpreter=_row(INTERPRETER, None, counts[INTERPRETER], hidden, threshold),
        languages=[_row(language_group(code), code, counts[language_group(code)], hidden, threshold)
                   for code in languages],
        parent_illness=_row(PARENT_ILLNESS, None, counts[PARENT_ILLNESS], hidden, threshold),
        child_welfare_partner=_row(CHILD_WELFARE_PARTNER, None, counts[CHILD_WELFARE_PARTNER], hidden, threshold),
    )
