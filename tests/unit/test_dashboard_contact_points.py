"""The contact-person points (services/dashboard_contacts.py) give, for every period, the figures replayed
from the steps: children held, changes, and children with two or more changes, counted as Oversikt counts them
(the earlier holders being those of the tasks still open when the period begins)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from referral_service.services.dashboard_contacts import CHANGES, HELD, TWO_OR_MORE, Task, child_points
from referral_service.services.dashboard_facts import CountingRules
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.contact_person import contact_changes

OSLO = ZoneInfo("Europe/Oslo")
RULES = CountingRules(calendar=WorkingDayCalendar(), timezone=OSLO)
DAY0 = date(2025, 12, 20)
DAYS = 24


def moment(day: int, hour: int) -> datetime:
    return datetime.combine(DAY0 + timedelta(days=day), time(hour), OSLO).astimezone(UTC)


def replayed(children: list[list[Task]], first: date, last: date) -> tuple[int, int, int]:
    """The figures the way the service counted them from the events, before it kept them."""
    start = datetime.combine(first, time.min, OSLO)
    end = datetime.combine(last + timedelta(days=1), time.min, OSLO)
    held = changes = several = 0
    for tasks in children:
        alive = [t for t in tasks if t.closed_at is None or t.closed_at >= start]
        steps = sorted(((at, step_id, person) for t in alive for at, step_id, person in t.steps if at < end),
                       key=lambda step: (step[0], step[1]))
        if any(person for _at, _id, person in steps):
            held += 1
            n = sum(1 for at in contact_changes((at, person) for at, _id, person in steps) if start <= at < end)
            changes += n
            several += n >= 2
    return held, changes, several


def kept(children: list[list[Task]], first: date, last: date) -> tuple[int, int, int]:
    totals: dict[str, int] = defaultdict(int)
    for tasks in children:
        for (_scope, measure, x, y), n in child_points(tasks, RULES).items():
            if x >= first and y <= last:
                totals[measure] += n
    return totals[HELD], totals[CHANGES], totals[TWO_OR_MORE]


@st.composite
def a_child(draw) -> list[Task]:
    tasks = []
    for n in range(draw(st.integers(1, 3))):
        opened = draw(st.integers(0, DAYS - 2))
        steps = [(moment(day, hour), f"{n}-{i}", person) for i, (day, hour, person) in enumerate(draw(st.lists(
            st.tuples(st.integers(opened, DAYS - 1), st.sampled_from([0, 9, 23]),
                      st.sampled_from(["kari", "ola", "per", None])), max_size=4)))]
        closed = draw(st.one_of(st.none(), st.integers(max([opened, *(int((at.astimezone(OSLO).date() - DAY0).days)
                                                                         for at, _i, _p in steps)]), DAYS - 1)))
        tasks.append(Task(["n"], None if closed is None else moment(closed, 23), steps))
    return tasks


@settings(max_examples=60, deadline=None)
@given(children=st.lists(a_child(), min_size=1, max_size=3))
def test_the_points_give_the_replayed_figures_for_every_period(children):
    for a in range(DAYS):
        for b in range(a, DAYS):
            first, last = DAY0 + timedelta(days=a), DAY0 + timedelta(days=b)
            assert kept(children, first, last) == replayed(children, first, last), (first, last)


def test_a_task_passed_from_one_person_to_another_is_one_change_for_one_child():
    task = Task(["n"], None, [(moment(1, 9), "a", "kari"), (moment(3, 9), "b", "ola")])
    assert kept([[task]], DAY0, DAY0 + timedelta(days=5)) == (1, 1, 0)
    assert kept([[task]], DAY0 + timedelta(days=4), DAY0 + timedelta(days=5)) == (1, 0, 0)
