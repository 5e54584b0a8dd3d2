"""Counting repeat referrals: earlier, separate referrals of the child inside the window."""

from __future__ import annotations

from datetime import UTC, date, datetime

from referral_service.workflows.case_entries import CaseDetail, EntryKind, entry_kind, revealed, shows_event
from referral_service.workflows.repeat_referrals import Episode, alerts_the_lead, count_repeats, months_before

NOW = Episode(id="now", status="submitted", began_on=date(2026, 12, 1), created_at=datetime(2026, 12, 1, tzinfo=UTC))


def earlier(rid: str, began_on: date, status: str = "rejected", forwarded_to_id: str | None = None) -> Episode:
    return Episode(id=rid, status=status, began_on=began_on,
                   created_at=datetime.combine(began_on, datetime.min.time(), UTC), forwarded_to_id=forwarded_to_id)


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert months_before(date(2026, 12, 1), 24) == date(2024, 12, 1)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


def test_earlier_referrals_and_rejections_inside_the_window_are_counted():
    count = count_repeats(anchor=NOW, others=[NOW, earlier("a", date(2025, 1, 5)),
                                              earlier("b", date(2026, 6, 1), status="discharged")],
                          window_months=24)
    assert (count.earlier_referrals, count.earlier_rejections, count.rejected_before) == (2, 1, True)


def test_a_referral_before_the_window_is_not_a_repeat():
    count = count_repeats(anchor=NOW, others=[earlier("a", date(2024, 11, 30))], window_months=24)
    assert count.earlier_referrals == 0 and not count.rejected_before


def test_drafts_and_forwarded_links_are_not_counted_twice():
    count = count_repeats(anchor=NOW, others=[earlier("d", date(2026, 5, 1), status="draft"),
                                              earlier("f", date(2026, 5, 1), status="forwarded", forwarded_to_id="g"),
                                              earlier("g", date(2026, 5, 1), status="rejected")],
                          window_months=24)
    assert (count.earlier_referrals, count.earlier_rejections) == (1, 1)


def test_the_lead_is_alerted_from_the_second_rejection():
    assert [alerts_the_lead(n) for n in (1, 2, 3)] == [False, True, True]


def test_an_unknown_event_is_a_plain_entry():
    assert entry_kind("referral", "move-municipality") is EntryKind.OTHER
    assert entry_kind("referral", "reject") is EntryKind.DECISION


def test_another_clinic_sees_the_conclusion_but_no_words():
    data = {"reason_code": "other", "explanation": "E", "municipal_advice": "A"}
    assert shows_event(CaseDetail.CONCLUSION, source="referral", action="reject")
    assert not shows_event(CaseDetail.CONCLUSION, source="referral", action="request-information")
    assert not shows_event(CaseDetail.CONCLUSION, source="handover", action="create")
    assert revealed(CaseDetail.CONCLUSION, action="reject", data=data) == {}
    assert revealed(CaseDetail.ADVICE, action="reject", data=data) == {"advice": "A"}
    assert revealed(CaseDetail.FULL, action="reject", data=data) == {"reason_code": "other", "explanation": "E",
                                                                     "advice": "A"}
