"""workflows/contact_details.py: the phone and hours text a family is given: digits, spaces and + up to 30
characters; hours up to 200; empty clears."""

from __future__ import annotations

import pytest

from referral_service.workflows.contact_details import HOURS_TOO_LONG, PHONE_INVALID, cleaned, contact_errors


@pytest.mark.parametrize("phone", ["55 12 34 56", "+47 400 00 000", "4" * 30])
def test_a_phone_of_digits_spaces_and_plus_is_taken(phone):
    assert contact_errors(phone=phone, hours=None, hours_field="contact_hours") == {}


@pytest.mark.parametrize("phone", ["ring meg", "55-12-34-56", "4" * 31, "+ +", "٥٥١٢٣٤"])
def test_anything_else_is_refused_with_its_code(phone):
    [reason] = contact_errors(phone=phone, hours=None, hours_field="contact_hours")["phone"]
    assert reason.code == PHONE_INVALID


def test_hours_up_to_200_characters():
    assert contact_errors(phone=None, hours="x" * 200, hours_field="reachable_hours") == {}
    [reason] = contact_errors(phone=None, hours="x" * 201, hours_field="reachable_hours")["reachable_hours"]
    assert reason.code == HOURS_TOO_LONG


def test_an_empty_value_clears():
    assert cleaned("   ") is None and cleaned(None) is None and cleaned(" 55 ") == "55"
