"""The access log's row ids sort by the time they were made, so new rows land at the end of its primary key."""

import uuid
from datetime import UTC, datetime, timedelta

from referral_service.domain.types import time_ordered_id

START = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def test_ids_made_later_sort_after_ids_made_earlier():
    made = [time_ordered_id(START + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert made == sorted(made)


def test_ids_made_in_the_same_millisecond_differ():
    assert len({time_ordered_id(START) for _ in range(1000)}) == 1000


def test_an_id_is_a_version_7_uuid_that_carries_its_millisecond():
    found = uuid.UUID(time_ordered_id(START))
    assert (found.version, found.variant) == (7, uuid.RFC_4122)
    assert found.int >> 80 == int(START.timestamp() * 1000)
