"""Tests for Norwegian identity number parsing and generation."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_service.domain.national_id import (
    BIRTH_DATE_CODES,
    SENTENCES,
    InvalidNationalId,
    NationalId,
    NationalIdKind,
    age_on,
    make_national_id,
    make_synthetic_national_id,
    parse_national_id,
)
from referral_service.web.forms.messages import REASONS, national_id_message

TODAY = date(2026, 6, 1)


def parse(value: str, *, allow_synthetic: bool = False) -> NationalId:
    """Parse with a fixed today so the tests do not depend on the clock."""
    return parse_national_id(value, allow_synthetic=allow_synthetic, today=TODAY)


def rejection_code(value: str, *, allow_synthetic: bool = False) -> str:
    """The code of the InvalidNationalId raised for the value."""
    with pytest.raises(InvalidNationalId) as excinfo:
        parse(value, allow_synthetic=allow_synthetic)
    return excinfo.value.code


@pytest.mark.parametrize(
    ("value", "birth_date"),
    [
        ("17058510068", date(1985, 5, 17)),
        ("01011050081", date(2010, 1, 1)),
        ("170585 10068", date(1985, 5, 17)),
        (" 17058510068 ", date(1985, 5, 17)),
    ],
)
def test_ordinary_numbers_are_accepted(value: str, birth_date: date) -> None:
    parsed = parse(value)
    assert parsed.value == value.replace(" ", "")
    assert parsed.birth_date == birth_date
    assert parsed.kind is NationalIdKind.FODSELSNUMMER
    assert not parsed.synthetic


def test_default_today_is_the_real_date() -> None:
    assert parse_national_id("17058510068", allow_synthetic=False).birth_date == date(1985, 5, 17)


@pytest.mark.parametrize("value", ["17058510069", "17058510060", "17058510078", "17058510168"])
def test_wrong_check_digits_are_rejected(value: str) -> None:
    assert rejection_code(value) == "checksum"


@pytest.mark.parametrize(
    "value", ["", "1705851006", "170585100680", "1705851006a", "17058-10068", "١٧٠٥٨٥١٠٠٦٨"]
)
def test_wrong_length_or_non_digits_are_rejected(value: str) -> None:
    assert rejection_code(value) == "length"


def _ordinary_with_valid_checksum(birth_date_digits: str) -> str:
    """A number with valid check digits for ddmmyy even when the date itself is impossible."""
    for individual in range(500):
        candidate = _with_check_digits(f"{birth_date_digits}{individual:03d}")
        if candidate is not None:
            return candidate
    raise AssertionError("no usable individual number")


def _with_check_digits(base: str) -> str | None:
    """Append mod-11 check digits to nine digits, or None if one would be 10."""
    k1 = _mod11(base, (3, 7, 6, 1, 8, 9, 4, 5, 2))
    if k1 == 10:
        return None
    k2 = _mod11(f"{base}{k1}", (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
    return None if k2 == 10 else f"{base}{k1}{k2}"


def _mod11(digits: str, weights: tuple[int, ...]) -> int:
    """Independent re-implementation of the check digit so the tests do not trust the code under test."""
    return (11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True))) % 11


@pytest.mark.parametrize("ddmmyy", ["310485", "290285", "300285", "001385", "000185", "320185"])
def test_impossible_birth_dates_are_rejected(ddmmyy: str) -> None:
    assert rejection_code(_ordinary_with_valid_checksum(ddmmyy)) == "birth_date"


def test_leap_day_in_a_leap_year_is_accepted() -> None:
    assert parse(_ordinary_with_valid_checksum("290284")).birth_date == date(1984, 2, 29)


def test_future_birth_date_is_rejected() -> None:
    tomorrow = make_national_id(date(2026, 6, 2), individual=500)
    assert rejection_code(tomorrow) == "future_birth_date"
    assert parse(make_national_id(TODAY, individual=500)).birth_date == TODAY


def test_individual_number_outside_century_rules_is_rejected() -> None:
    # 750-899 is only defined for years 2000-2039.
    number = next(n for i in range(750, 900) if (n := _with_check_digits(f"170585{i:03d}")) is not None)
    assert rejection_code(number) == "individual_number"


@pytest.mark.parametrize(
    ("individuals", "year"),
    [
        (range(0, 500), 1900),
        (range(499, -1, -1), 1999),
        (range(500, 750), 1854),
        (range(749, 499, -1), 1899),
        (range(500, 1000), 2000),
        (range(999, 499, -1), 2039),
        (range(900, 1000), 1940),
        (range(999, 899, -1), 1999),
    ],
)
def test_century_boundaries(individuals: range, year: int) -> None:
    birth_date = date(year, 3, 1)
    number = next(n for i in individuals if (n := _made_or_none(birth_date, i)) is not None)
    parsed = parse_national_id(number, allow_synthetic=False, today=date(2040, 1, 1))
    assert parsed.birth_date == birth_date


def _made_or_none(birth_date: date, individual: int) -> str | None:
    """make_national_id, or None when this individual number gives a check digit of 10."""
    try:
        return make_national_id(birth_date, individual=individual)
    except ValueError:
        return None


def test_d_number() -> None:
    parsed = parse("57058510051")
    assert parsed.kind is NationalIdKind.D_NUMBER
    assert parsed.birth_date == date(1985, 5, 17)
    assert not parsed.synthetic


def test_h_number() -> None:
    parsed = parse("17458510040")
    assert parsed.kind is NationalIdKind.H_NUMBER
    assert parsed.birth_date == date(1985, 5, 17)
    assert not parsed.synthetic


def test_synthetic_number_accepted_only_when_allowed() -> None:
    parsed = parse("17858510023", allow_synthetic=True)
    assert parsed.synthetic
    assert parsed.kind is NationalIdKind.FODSELSNUMMER
    assert parsed.birth_date == date(1985, 5, 17)
    assert rejection_code("17858510023", allow_synthetic=False) == "synthetic_not_allowed"


def test_synthetic_d_number() -> None:
    number = _synthetic_d_number()
    parsed = parse(number, allow_synthetic=True)
    assert parsed.kind is NationalIdKind.D_NUMBER
    assert parsed.synthetic
    assert parsed.birth_date == date(2012, 5, 10)


def _synthetic_d_number() -> str:
    """Any synthetic D-number for 10 May 2012."""
    for individual in range(500, 1000):
        try:
            return make_national_id(
                date(2012, 5, 10), individual=individual, kind=NationalIdKind.D_NUMBER, synthetic=True
            )
        except ValueError:
            continue
    raise AssertionError("no usable individual number")


def test_fh_number_needs_the_birth_date_given_with_it() -> None:
    # FH-numbers carry no birth date by design (first digit 8 or 9, the rest random): without one given, refused.
    number = next(n for i in range(1000) if (n := _with_check_digits(f"812345{i:03d}")) is not None)
    assert rejection_code(number) == "birth_date_required"
    parsed = parse_national_id(number, allow_synthetic=False, today=TODAY, birth_date=date(2015, 3, 1))
    assert (parsed.kind, parsed.birth_date, parsed.birth_date_given) == (
        NationalIdKind.FH_NUMBER, date(2015, 3, 1), True)


@pytest.mark.parametrize(
    ("birth_date", "kind", "synthetic"),
    [
        (date(1985, 5, 17), NationalIdKind.FODSELSNUMMER, False),
        (date(2010, 1, 1), NationalIdKind.D_NUMBER, False),
        (date(1960, 12, 31), NationalIdKind.H_NUMBER, False),
        (date(2016, 2, 29), NationalIdKind.FODSELSNUMMER, True),
    ],
)
def test_made_numbers_round_trip(birth_date: date, kind: NationalIdKind, synthetic: bool) -> None:
    individual_numbers = range(500, 1000) if birth_date.year >= 2000 else range(500)
    made = []
    for individual in individual_numbers:
        try:
            made.append(make_national_id(birth_date, individual=individual, kind=kind, synthetic=synthetic))
        except ValueError:
            continue
    assert made
    for number in made:
        parsed = parse(number, allow_synthetic=True)
        assert (parsed.value, parsed.birth_date, parsed.kind, parsed.synthetic) == (
            number,
            birth_date,
            kind,
            synthetic,
        )


def test_make_national_id_rejects_individual_number_outside_century() -> None:
    with pytest.raises(ValueError, match="birth year"):
        make_national_id(date(1985, 5, 17), individual=600)
    with pytest.raises(ValueError, match="birth year"):
        make_national_id(date(2010, 1, 1), individual=100)


def test_make_national_id_rejects_check_digit_ten() -> None:
    # For 17.05.85 the individual number 000 gives a check digit of 10.
    with pytest.raises(ValueError, match="check digit"):
        make_national_id(date(1985, 5, 17), individual=0)


@given(
    birth_date=st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31)),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_synthetic_numbers_parse_to_their_birth_date(birth_date: date, seed: int) -> None:
    number = make_synthetic_national_id(birth_date, seed=seed)
    parsed = parse(number, allow_synthetic=True)
    assert parsed.birth_date == birth_date
    assert parsed.synthetic
    with pytest.raises(InvalidNationalId):
        parse(number, allow_synthetic=False)


def test_synthetic_numbers_vary_with_seed() -> None:
    assert make_synthetic_national_id(date(2012, 5, 10), seed=0) != make_synthetic_national_id(
        date(2012, 5, 10), seed=7
    )


@pytest.mark.parametrize(
    "value",
    ["17058510069", "1705851006", "17858510023", _ordinary_with_valid_checksum("310485"), "57058510051x"],
)
def test_error_message_never_contains_digits(value: str) -> None:
    with pytest.raises(InvalidNationalId) as excinfo:
        parse(value)
    error = excinfo.value
    assert not any(c.isdigit() for c in str(error))
    assert value not in repr(error)
    # A chained low-level error would end up in logged tracebacks too.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_exception_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(InvalidNationalId("checksum")))
    assert error.code == "checksum"
    assert str(error) == "The check digits do not match."
    assert error.reason.code == "checksum"


@pytest.mark.parametrize("value", ["17058510068", "57058510051", "17458510040", "17858510023"])
def test_repr_and_str_hide_the_number(value: str) -> None:
    parsed = parse(value, allow_synthetic=True)
    for text in (repr(parsed), str(parsed), f"{parsed}", repr([parsed])):
        assert value not in text
        assert value[6:] not in text
    assert parsed.masked == "17.05.85 *****"


@pytest.mark.parametrize(
    ("birth_date", "on", "age"),
    [
        (date(2012, 5, 10), date(2026, 5, 9), 13),
        (date(2012, 5, 10), date(2026, 5, 10), 14),
        (date(2012, 5, 10), date(2012, 5, 10), 0),
        (date(2012, 2, 29), date(2026, 2, 28), 13),
        (date(2012, 2, 29), date(2026, 3, 1), 14),
        (date(2012, 2, 29), date(2028, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 29), 16),
        (date(2007, 12, 31), date(2025, 12, 31), 18),
        (date(2008, 1, 1), date(2025, 12, 31), 17),
    ],
)
def test_age_on(birth_date: date, on: date, age: int) -> None:
    assert age_on(birth_date, on) == age


def test_age_on_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2012, 5, 10), date(2012, 5, 9))


@given(value=st.text(alphabet="0123456789 ", min_size=0, max_size=14), allow_synthetic=st.booleans())
def test_any_input_either_parses_or_raises_invalid_national_id(value: str, allow_synthetic: bool) -> None:
    try:
        parse(value, allow_synthetic=allow_synthetic)
    except InvalidNationalId as error:
        assert not any(c.isdigit() for c in str(error))


@pytest.mark.parametrize("code", sorted(set(SENTENCES) - BIRTH_DATE_CODES))
def test_every_reason_has_norwegian_words_on_the_web(code: str) -> None:
    assert REASONS[code].endswith(".")
    assert national_id_message(code).startswith("Fødselsnummeret er ikke gyldig: ")


@pytest.mark.parametrize("code", sorted(BIRTH_DATE_CODES))
def test_the_birth_dates_reasons_are_said_as_they_are_beside_the_birth_date(code: str) -> None:
    assert national_id_message(code) == REASONS[code]
    assert "fødselsdato" in REASONS[code].lower()


def test_the_web_says_the_check_digit_reason_in_norwegian() -> None:
    assert national_id_message("checksum") == "Fødselsnummeret er ikke gyldig: kontrollsifrene stemmer ikke."
