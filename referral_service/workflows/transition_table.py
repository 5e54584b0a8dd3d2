"""Lifecycle tables written one row per action, looked up one entry per (status, action)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

Status = TypeVar("Status")
Action = TypeVar("Action")
Outcome = TypeVar("Outcome")


Row = tuple[Iterable[Status], Outcome]


def by_status_and_action(
    rows: Mapping[Action, Row[Status, Outcome] | list[Row[Status, Outcome]]],
) -> dict[tuple[Status, Action], Outcome]:
    """Each row `action: (the statuses it may be taken from, its outcome)` as one entry per such status; an
    action whose outcome differs by status has a list of such rows."""
    return {(status, action): outcome for action, spec in rows.items()
            for statuses, outcome in (spec if isinstance(spec, list) else [spec]) for status in statuses}
