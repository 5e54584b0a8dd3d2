"""Changes of a child's contact person, and the per-child figure (workflows/contact_person.py, statistics.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral_service.workflows.contact_person import contact_changes
from referral_service.workflows.statistics import mean_figure

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_first_person_to_hold_the_task_is_no_change():
    assert contact_changes([(at(0), "kari")]) == []


def test_each_new_person_after_another_is_one_change():
    assert contact_changes([(at(0), "kari"), (at(5), "ola"), (at(9), "kari")]) == [at(5), at(9)]


def test_the_same_person_again_is_no_change():
    assert contact_changes([(at(0), "kari"), (at(5), "kari")]) == []


def test_a_task_back_in_the_queue_changes_nothing_until_the_next_person_takes_it():
    assert contact_changes([(at(0), "kari"), (at(1), None), (at(2), "ola")]) == [at(2)]
    assert contact_changes([(at(0), "kari"), (at(1), None), (at(2), "kari")]) == []


def test_steps_are_counted_in_time_order_across_the_childs_tasks():
    assert contact_changes([(at(9), "per"), (at(0), "kari"), (at(5), "ola")]) == [at(5), at(9)]


def test_the_figure_per_child_has_one_decimal_and_hides_one_or_two_children():
    assert mean_figure(5, 3).text == "1,7"
    assert mean_figure(3, 2).hidden and mean_figure(3, 2).text == ":"
    assert mean_figure(0, 0).text == "–"
