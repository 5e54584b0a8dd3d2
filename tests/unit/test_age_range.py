"""The service's ages: from birth up to and including 25 years, on the day the service acts."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.workflows.age_range import OLDEST_AGE, YOUNGEST_AGE, age_for_rules, age_refusal
from referral_service.workflows.completeness import ReferralDraft, missing_items
from referral_service.workflows.gaps import Gap

ON = date(2026, 12, 2)


@pytest.mark.parametrize("born", [ON, date(2026, 1, 1), date(2012, 5, 10), date(2000, 12, 3)])
def test_children_and_young_people_up_to_25_are_within(born: date) -> None:
    assert age_refusal(born, ON) is None


@pytest.mark.parametrize("born", [date(2000, 12, 2), date(1985, 5, 17), date(1901, 12, 2)])
def test_from_26_and_a_125_year_old_are_outside(born: date) -> None:
    assert age_refusal(born, ON) is Gap.AGE_OUTSIDE_SERVICE


def test_a_birth_in_the_future_is_refused() -> None:
    assert age_refusal(date(2026, 12, 3), ON) is Gap.BIRTH_DATE_IN_FUTURE
    assert age_for_rules(date(2026, 12, 3), ON) == 0


def test_the_26th_birthday_is_the_first_day_outside() -> None:
    born = date(2001, 2, 28)
    assert age_refusal(born, date(2027, 2, 27)) is None
    assert age_refusal(born, date(2027, 2, 28)) is Gap.AGE_OUTSIDE_SERVICE
    assert (YOUNGEST_AGE, OLDEST_AGE) == (0, 25)


def _draft(**overrides) -> ReferralDraft:
    fields = dict(age=14, reasons=["anxiety"], description="x" * 40, measures_tried="Samtaler.",
                  child_view="Vil ha hjelp.", guardians=[{"name": "Mor"}], consent_given_by=["guardian"],
                  consent_share_with=["bup"])
    fields.update(overrides)
    return ReferralDraft(**fields)


@pytest.mark.parametrize("gap", [Gap.AGE_OUTSIDE_SERVICE, Gap.BIRTH_DATE_IN_FUTURE])
def test_an_age_outside_the_service_stops_the_submit(gap: Gap) -> None:
    [item] = missing_items(_draft(age_refusal=gap))
    assert (item.field, item.code, item.blocking) == ("child.birth_date", gap, True)
    assert missing_items(_draft()) == []
