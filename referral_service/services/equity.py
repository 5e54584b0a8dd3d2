"""Oversikt's equity table (likeverd): referrals received in the period with an interpreter need (by language),
with the pårørende reason, and with the child welfare service as a partner; how many were rejected and accepted.

Aggregates only, counted under the dashboard's statistics scope, with the equity table's small-number
suppression (`workflows.statistics.suppress_table`): counts below the threshold (a setting) are shown as "<5",
and so is any total that would let a hidden count be worked out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import ReasonCode, ReferralAction
from referral_service.domain.languages import INTERPRETER_LANGUAGES
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.workflows.statistics import Figure, suppress_table, suppressed_count, suppressed_share

#: The rows that are not languages; a language's row is "interpreter:<code>".
INTERPRETER, PARENT_ILLNESS, CHILD_WELFARE_PARTNER = "interpreter", "parent_illness", "child_welfare_partner"
START_ACTIONS = (ReferralAction.SUBMIT, ReferralAction.RECEIVE_FORWARDED)
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


def _language_row(code: str) -> str:
    return f"{INTERPRETER}:{code}"


def _counts(session: Session, clock: Clock, *, referrals_in_scope, start, end) -> dict[str, dict[str, int]]:
    """Each group's received, rejected, accepted and undecided referrals."""
    received = session.execute(
        select(Referral.id, Referral.interpreter_needed, Referral.interpreter_language, Referral.reasons,
               Referral.child_welfare_org_id)
        .join(ReferralEvent, ReferralEvent.referral_id == Referral.id)
        .where(ReferralEvent.action.in_(START_ACTIONS), ReferralEvent.at >= start, ReferralEvent.at < end,
               referrals_in_scope)).all()
    ids = {row[0] for row in received}
    outcomes: dict[str, str] = dict(session.execute(
        select(ReferralEvent.referral_id, ReferralEvent.action)
        .where(ReferralEvent.action.in_((ReferralAction.ACCEPT, ReferralAction.REJECT)),
               ReferralEvent.referral_id.in_(ids))).all()) if ids else {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for name in (INTERPRETER, PARENT_ILLNESS, CHILD_WELFARE_PARTNER):
        counts[name] = dict.fromkeys(COUNTS, 0)
    seen: set[str] = set()
    for referral_id, interpreter_needed, language, reasons, child_welfare_org_id in received:
        if referral_id in seen:
            continue
        seen.add(referral_id)
        outcome = {ReferralAction.ACCEPT: "accepted", ReferralAction.REJECT: "rejected"}.get(
            outcomes.get(referral_id), "undecided")
        groups = []
        if interpreter_needed:
            groups += [INTERPRETER, _language_row(language or "")]
        if ReasonCode.PARENT_ILLNESS in (reasons or []):
            groups.append(PARENT_ILLNESS)
        if child_welfare_org_id:
            groups.append(CHILD_WELFARE_PARTNER)
        for group in groups:
            counts[group]["received"] += 1
            counts[group][outcome] += 1
    return dict(counts)


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


def equity_table(session: Session, clock: Clock, *, referrals_in_scope, start, end, threshold: int) -> EquityTable:
    """The equity table for referrals received in [start, end) within the scope's referrals clause."""
    counts = _counts(session, clock, referrals_in_scope=referrals_in_scope, start=start, end=end)
    languages = [code for code in INTERPRETER_LANGUAGES if _language_row(code) in counts]
    hidden = suppress_table(counts, threshold=threshold, row_total="received",
                            row_parts=("rejected", "accepted", "undecided"), unpublished=frozenset({"undecided"}),
                            column_groups=((INTERPRETER, tuple(_language_row(code) for code in languages)),))
    return EquityTable(
        threshold=threshold,
        interpreter=_row(INTERPRETER, None, counts[INTERPRETER], hidden, threshold),
        languages=[_row(_language_row(code), code, counts[_language_row(code)], hidden, threshold)
                   for code in languages],
        parent_illness=_row(PARENT_ILLNESS, None, counts[PARENT_ILLNESS], hidden, threshold),
        child_welfare_partner=_row(CHILD_WELFARE_PARTNER, None, counts[CHILD_WELFARE_PARTNER], hidden, threshold),
    )
