"""Lifecycle tables written one row per action, looked up one entry per (status, action)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

Status = TypeVar("Status")
Action = TypeVar("Action")
Outcome = TypeVar("Outcome")


def by_status_and_action(
    rows: Mapping[Action, tuple[Iterable[Status], Outcome]],
) -> dict[tuple[Status, Action], Outcome]:
    """Each row `action: (the statuses it may be taken from, its outcome)` as one entry per such status."""
    return {(status, action): outcome for action, (statuses, outcome) in rows.items() for status in statuses}
