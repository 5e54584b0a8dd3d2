"""Changes of a child's contact person, counted from the steps that gave the child's tasks to people, as a pure
rule: each time a person takes over after another person held the child's task (across all the child's tasks,
in time order). A task back in the queue, held by nobody, is no change until the next person takes it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

#: One step: when, and the person who holds the task after it (None: nobody, it is in the queue).
HolderStep = tuple[datetime, str | None]


def contact_changes(steps: Iterable[HolderStep]) -> list[datetime]:
    """When the child's contact person changed, in time order."""
    changes, holder = [], None
    for at, person in sorted(steps, key=lambda step: step[0]):
        if person is None:
            continue
        if holder is not None and person != holder:
            changes.append(at)
        holder = person
    return changes
