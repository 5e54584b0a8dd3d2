"""The input guard's nesting scanner and text walk, and the date ranges, without a database or Flask."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from referral_service.security.input_guard import _walk, nesting_exceeds
from referral_service.workflows.date_ranges import DateKind, DateRanges, date_refusal

LIMIT = 32


def nested(depth: int, *, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


@pytest.mark.parametrize("depth, too_deep", [(1, False), (LIMIT, False), (LIMIT + 1, True), (100_000, True)])
def test_arrays_nested_beyond_the_limit_are_found(depth, too_deep):
    assert nesting_exceeds(nested(depth), LIMIT) is too_deep


def test_objects_and_arrays_count_together():
    body = b'{"a": [' * 17 + b"1" + b"]}" * 17  # 34 levels, alternating
    assert nesting_exceeds(body, LIMIT)
    assert not nesting_exceeds(b'{"a": [' * 16 + b"1" + b"]}" * 16, LIMIT)


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"description": "[" * 1000 + "{" * 1000}).encode()
    assert not nesting_exceeds(body, LIMIT)


def test_an_escaped_quote_does_not_end_the_string():
    inside = 'he said \\"[[[[[[[[\\" and left ' + "[" * 100
    assert not nesting_exceeds(f'{{"a": "{inside}"}}'.encode(), LIMIT)
    # An escaped backslash before the quote does end it: the brackets after it count.
    assert nesting_exceeds(b'["x\\\\", ' + b"[" * LIMIT + b"]" * LIMIT + b"]", LIMIT)


def test_an_unterminated_string_hides_nothing_after_it_and_raises_nothing():
    assert not nesting_exceeds(b'["abc' + b"[" * 100, LIMIT)


def test_scanning_a_megabyte_is_quick():
    started = time.perf_counter()
    assert nesting_exceeds(b"[" * 1_000_000, LIMIT)
    assert not nesting_exceeds(json.dumps({"text": "x" * 1_000_000}).encode(), LIMIT)
    assert not nesting_exceeds(json.dumps([[1, 2, "[{"]] * 50_000).encode(), LIMIT)
    assert time.perf_counter() - started < 2


def test_the_walk_names_the_path_of_a_lone_surrogate_or_a_nul_never_the_text():
    value = {"child": {"given_name": "Ola\ud800", "guardians": [{"name": "Mor\x00"}]}, "ok": "Åse"}
    found = dict(_walk(value, ""))
    assert set(found) == {"child.given_name", "child.guardians.0.name"}
    assert "surrogate" in found["child.given_name"] and "NUL" in found["child.guardians.0.name"]
    assert not any("Ola" in f or "Mor" in f for f in found.values())


def test_a_bad_key_is_named_by_where_it_is_not_by_itself():
    found = dict(_walk({"child": {"x\udfff": 1}}, ""))
    assert list(found) == ["child"]


def test_the_walk_goes_deeper_than_pythons_recursion_limit():
    value: object = "bad\x00"
    for _ in range(50_000):
        value = [value]
    (path, _flaw), = _walk(value, "")
    assert path.count(".") == 49_999


RANGES = DateRanges(today=date(2026, 12, 7), horizon_days=730, lookback_days=3650)


@pytest.mark.parametrize("kind, day, code", [
    (DateKind.PLANNED, date(9999, 12, 31), "date_beyond_horizon"),
    (DateKind.PLANNED, date(2028, 12, 7), "date_beyond_horizon"),
    (DateKind.PLANNED, date(2028, 12, 6), None),  # exactly the horizon
    (DateKind.PLANNED, date(2026, 12, 1), None),  # just passed
    (DateKind.PLANNED, date(1, 1, 1), "date_too_early"),
    (DateKind.RECORDED, date(2026, 12, 7), None),  # today
    (DateKind.RECORDED, date(2026, 12, 8), "date_in_future"),
    (DateKind.RECORDED, date(1, 1, 1), "date_too_early"),
    (DateKind.RECORDED, date(2016, 12, 9), None),
    (DateKind.RECORDED, date(2016, 12, 8), "date_too_early"),
    (DateKind.BIRTH, date(2001, 12, 8), None),  # 25 years old
    (DateKind.BIRTH, date(2000, 12, 7), "age_outside_service"),  # 26 years old today
    (DateKind.BIRTH, date(2026, 12, 7), None),  # born today
    (DateKind.BIRTH, date(2026, 12, 8), "birth_date_in_future"),
    (DateKind.BIRTH, date(1, 1, 1), "age_outside_service"),
])
def test_each_kind_of_date_has_its_range(kind, day, code):
    refusal = date_refusal(kind, day, RANGES)
    assert (refusal.code if refusal is not None else None) == code
