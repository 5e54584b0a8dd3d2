"""Search values (fhir/search_values.py) and the searchset Bundle (fhir/bundle.py): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from referral_service.fhir.bundle import searchset
from referral_service.fhir.search_values import (
    BadSearchValue,
    alternatives,
    date_range,
    looks_like_identity_number,
    reference_id,
)

OSLO = ZoneInfo("Europe/Oslo")


def test_a_day_without_a_zone_is_the_services_own_day():
    span = date_range("2026-12-07", zone=OSLO)
    assert span.start == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert span.end == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "start", "end"), [
    ("ge2026-12-07", datetime(2026, 12, 7, tzinfo=OSLO), None),
    ("gt2026-12-07", datetime(2026, 12, 8, tzinfo=OSLO), None),
    ("lt2026-12-07", None, datetime(2026, 12, 7, tzinfo=OSLO)),
    ("le2026-12-07", None, datetime(2026, 12, 8, tzinfo=OSLO)),
    ("eq2026-12", datetime(2026, 12, 1, tzinfo=OSLO), datetime(2027, 1, 1, tzinfo=OSLO)),
    ("2026", datetime(2026, 1, 1, tzinfo=OSLO), datetime(2027, 1, 1, tzinfo=OSLO)),
    ("ge2026-12-07T10:15:30Z", datetime(2026, 12, 7, 10, 15, 30, tzinfo=UTC), None),
    ("lt2026-12-07T10:15:30+01:00", None, datetime(2026, 12, 7, 9, 15, 30, tzinfo=UTC)),
    ("eq2026-12-07T10:15Z", datetime(2026, 12, 7, 10, 15, tzinfo=UTC), datetime(2026, 12, 7, 10, 16, tzinfo=UTC)),
])
def test_each_prefix_and_precision_is_a_range_of_instants(value, start, end):
    span = date_range(value, zone=OSLO)
    assert (span.start, span.end) == (start, end)


@pytest.mark.parametrize("value", ["sa2026-12-07", "ap2026", "yesterday", "2026-13-01", "2026-02-30", "07.12.2026",
                                   "٢٠٢٦-12-07", "2026-١٢"])
def test_what_the_server_does_not_take_is_refused_without_repeating_it(value):
    with pytest.raises(BadSearchValue) as refused:
        date_range(value, zone=OSLO)
    assert value not in str(refused.value)


@pytest.mark.parametrize("value", ["9999-12", "9999-12-31", "gt9999", "le9999-12-31T23:59:59-14:00",
                                   "ge0001-01-01T00:00:00+14:00", "0001", "lt1899-12-31", "3000-01-01"])
def test_a_date_beyond_the_years_a_search_may_name_is_refused_not_overflowed(value):
    with pytest.raises(BadSearchValue) as refused:
        date_range(value, zone=OSLO)
    assert value not in str(refused.value)


def test_the_first_and_last_days_a_search_may_name_are_ranges_in_utc():
    first, last = date_range("ge1900-01-01", zone=OSLO), date_range("2999-12-31T23:59:59+14:00", zone=OSLO)
    assert first.start == datetime(1900, 1, 1, tzinfo=OSLO) and first.start.tzinfo is UTC
    assert (last.start, last.end) == (datetime(2999, 12, 31, 9, 59, 59, tzinfo=UTC),
                                      datetime(2999, 12, 31, 10, 0, tzinfo=UTC))


def test_references_take_a_type_an_address_or_a_bare_id():
    assert reference_id("Patient/abc-1", types=("Patient",)) == ("Patient", "abc-1")
    assert reference_id("https://x.example/fhir/Patient/abc-1", types=("Patient",)) == ("Patient", "abc-1")
    assert reference_id("abc-1", types=("Patient",)) == (None, "abc-1")
    with pytest.raises(BadSearchValue):
        reference_id("Group/abc-1", types=("Patient",))
    with pytest.raises(BadSearchValue):
        reference_id("Patient/a b", types=("Patient",))


def test_commas_separate_alternatives_and_identity_numbers_are_recognised():
    assert alternatives("a, b,,c") == ["a", "b", "c"]
    assert looks_like_identity_number("10851267536") and looks_like_identity_number("108512 67536")
    assert not looks_like_identity_number("0a0b6a8e-9f44-4a4b-8c4e-108512675361")


def test_the_bundle_lists_matches_then_each_included_resource_once():
    matches = [{"resourceType": "Task", "id": "t1"}, {"resourceType": "Task", "id": "t2"}]
    included = [{"resourceType": "Patient", "id": "p"}, {"resourceType": "Patient", "id": "p"},
                {"resourceType": "Task", "id": "t2"}]
    bundle = searchset(base_url="https://x.example/fhir", matches=matches, included=included,
                       self_link="https://x.example/fhir/Task", next_link="https://x.example/fhir/Task?_cursor=c",
                       total=7)
    assert [(e["fullUrl"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("https://x.example/fhir/Task/t1", "match"), ("https://x.example/fhir/Task/t2", "match"),
        ("https://x.example/fhir/Patient/p", "include")]
    assert bundle["total"] == 7
    assert [link["relation"] for link in bundle["link"]] == ["self", "next"]
    assert "total" not in searchset(base_url="b", matches=[], self_link="b/Task")
