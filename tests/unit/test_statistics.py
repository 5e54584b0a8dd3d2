"""The dashboard's arithmetic: median and 90th percentile as Excel's PERSENTIL.INK computes them, shares, and
hiding figures about fewer than 3 children."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_service.services.dashboard_counts import period_blocks
from referral_service.workflows.statistics import (
    Figure,
    count_figure,
    days_figures,
    days_figures_of_counts,
    median,
    percentile,
    percentile_of_counts,
    share,
    share_figure,
)

# --- median and percentile -----------------------------------------------------------------------------------

def test_the_median_of_no_values_is_none():
    assert median([]) is None


def test_the_median_of_one_value_is_that_value():
    assert median([7]) == 7


def test_the_median_of_an_odd_count_is_the_middle_value_whatever_the_order():
    assert median([9, 1, 4, 3, 14]) == 4


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    assert median([1, 2, 2, 3, 4, 7]) == 2.5


def test_a_percentile_of_no_values_is_none():
    assert percentile([], 90) is None


def test_any_percentile_of_one_value_is_that_value():
    assert percentile([5], 0) == 5 and percentile([5], 90) == 5 and percentile([5], 100) == 5


def test_the_90th_percentile_interpolates_between_the_nearest_ranks():
    # Ten values: rank (10 - 1) * 0.9 = 8.1, so 9 + 0.1 * (14 - 9); PERSENTIL.INK gives the same.
    assert percentile([1, 1, 2, 2, 3, 3, 4, 7, 9, 14], 90) == pytest.approx(9.5)
    assert percentile([1, 2, 5], 90) == pytest.approx(4.4)


def test_the_0th_and_100th_percentiles_are_the_smallest_and_largest_values():
    assert percentile([3, 8, 1], 0) == 1 and percentile([3, 8, 1], 100) == 8


def test_a_percentile_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


# --- shares ----------------------------------------------------------------------------------------------------

def test_a_share_is_in_per_cent():
    assert share(1, 4) == 25 and share(0, 4) == 0


def test_a_share_of_nothing_is_none():
    assert share(0, 0) is None


# --- hiding small numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("count", "text"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3"), (1250, "1250")])
def test_counts_of_one_or_two_children_are_shown_as_fewer_than_three(count, text):
    assert count_figure(count).text == text


def test_a_hidden_count_carries_no_value():
    assert count_figure(2) == Figure("count", None, hidden=True)


def test_a_share_is_shown_with_a_decimal_comma_and_a_per_cent_sign():
    assert share_figure(6, 13).text == "46,2 %"
    assert share_figure(0, 4).text == "0,0 %"


@pytest.mark.parametrize(("part", "whole"), [(1, 10), (2, 10), (1, 2)])
def test_a_share_about_one_or_two_children_is_hidden(part, whole):
    figure = share_figure(part, whole)
    assert figure.hidden and figure.value is None and figure.text == ":"


def test_a_share_of_no_referrals_says_there_is_nothing_to_show():
    assert share_figure(0, 0).text == "–" and share_figure(0, 0).csv_text == ""


def test_durations_of_fewer_than_three_children_are_hidden():
    middle, p90 = days_figures([4, 9])
    assert middle.hidden and p90.hidden and middle.text == ":"


def test_durations_of_three_children_or_more_are_shown():
    middle, p90 = days_figures([1, 2, 5])
    assert (middle.text, p90.text) == ("2", "4,4")


def test_durations_of_no_children_show_nothing():
    middle, p90 = days_figures([])
    assert middle.text == "–" and not middle.hidden


def test_the_csv_text_is_the_bare_number():
    assert share_figure(6, 13).csv_text == "46,2" and count_figure(2).csv_text == "<3"


# --- figures from kept counts (services/dashboard_counts.py) ---------------------------------------------------

@given(st.lists(st.integers(0, 400), max_size=60), st.sampled_from([0, 10, 50, 90, 100]))
def test_a_percentile_of_counts_is_the_percentile_of_the_values_they_count(values, p):
    assert percentile_of_counts(Counter(values), p) == percentile(values, p)


@given(st.lists(st.integers(0, 60), max_size=12))
def test_days_figures_from_counts_are_those_of_the_durations_and_hidden_alike(values):
    assert days_figures_of_counts(Counter(values)) == days_figures(values)


def test_a_year_of_oversikt_reads_the_whole_months_inside_it_and_the_days_at_its_edges():
    blocks = period_blocks(date(2025, 12, 7), date(2026, 12, 6))
    assert [grain for grain, _day in blocks].count("month") == 11
    assert [grain for grain, _day in blocks].count("day") == 25 + 6


@given(st.dates(date(2015, 1, 1), date(2027, 12, 31)), st.integers(0, 4000))
def test_the_blocks_of_a_period_cover_each_of_its_days_once_each_a_whole_day_month_or_year(first, length):
    last = first + timedelta(days=length)
    covered = []
    for grain, start in period_blocks(first, last):
        if grain == "year":
            assert (start.month, start.day) == (1, 1)
        if grain == "month":
            assert start.day == 1
        end = {"day": start, "month": (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1),
               "year": start.replace(month=12, day=31)}[grain]
        covered += [start + timedelta(days=n) for n in range((end - start).days + 1)]
    assert covered == [first + timedelta(days=n) for n in range(length + 1)]
