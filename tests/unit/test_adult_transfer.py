"""The age rules of growing up: when BUP is told of the 18th birthday, and from when it may transfer to DPS."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.domain.national_id import age_on
from referral_service.workflows import adult_transfer as rules

BUP, DPS = "bup_clinic", "adult_mental_health"


@pytest.mark.parametrize("born, birthday", [
    (date(2008, 12, 5), date(2026, 12, 5)),
    (date(2008, 2, 29), date(2026, 3, 1)),  # as age_on counts it: 18 from 1 March
    (date(2010, 2, 28), date(2028, 2, 28)),
])
def test_the_18th_birthday_is_the_day_age_on_says_18(born, birthday):
    assert rules.adult_on(born) == birthday
    assert age_on(born, birthday) == 18 and age_on(born, date.fromordinal(birthday.toordinal() - 1)) == 17


def kinds(born: date, status: str, today: date) -> list[str]:
    return [m.kind for m in rules.growing_up_marks(referral_id="r", birth_date=born, status=status, today=today)]


def test_bup_gets_a_heads_up_from_17_and_a_half_and_the_alert_from_the_birthday():
    born = date(2008, 12, 5)
    assert kinds(born, "accepted", date(2026, 6, 4)) == []
    assert kinds(born, "accepted", date(2026, 6, 5)) == ["turning_18_soon"]
    assert kinds(born, "accepted", date(2026, 12, 4)) == ["turning_18_soon"]
    assert kinds(born, "accepted", date(2026, 12, 5)) == ["turning_18"]
    [at_18] = rules.growing_up_marks(referral_id="r", birth_date=born, status="accepted", today=date(2026, 12, 5))
    [later] = rules.growing_up_marks(referral_id="r", birth_date=born, status="in_treatment", today=date(2027, 1, 5))
    assert at_18.due == date(2026, 12, 5) and at_18.key == later.key  # one alert per referral


def test_only_a_referral_open_at_bup_gets_them():
    for ended in ("discharged", "rejected", "forwarded", "withdrawn", "transferred_to_dps", "draft"):
        assert kinds(date(2008, 12, 5), ended, date(2026, 12, 5)) == [], ended


@pytest.mark.parametrize("born", [date(2009, 4, 5), date(2009, 8, 31), date(2008, 2, 29), date(2009, 3, 1)])
def test_the_query_cut_offs_agree_with_the_day_by_day_rules(born):
    for day in (rules.transfer_possible_from(born), rules.adult_on(born)):
        before = date.fromordinal(day.toordinal() - 1)
        cutoff = (rules.transferable_if_born_on_or_before if day == rules.transfer_possible_from(born)
                  else rules.adult_if_born_on_or_before)
        assert cutoff(day) >= born > cutoff(before)


def test_bup_may_transfer_from_17_and_a_half():
    born = date(2009, 4, 5)
    assert rules.transfer_refusal(clinic_kind=BUP, birth_date=born, today=date(2026, 10, 4))
    assert rules.transfer_refusal(clinic_kind=BUP, birth_date=born, today=date(2026, 10, 5)) is None
    assert rules.transfer_possible_from(date(2009, 8, 31)) == date(2027, 3, 1)  # no 31 February


def test_only_a_bup_clinic_transfers_to_adult_services():
    refusal = rules.transfer_refusal(clinic_kind=DPS, birth_date=date(2000, 1, 1), today=date(2026, 12, 7))
    assert refusal and "BUP" in refusal
