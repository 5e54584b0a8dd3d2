"""The identity number rules as published, checked with the published examples and against python-stdnum.

Sources (read 2 December 2026):
- Skatteetaten, "Nye fødselsnummer og d-nummer fra 2032" (skatteetaten.no/deling/opplysninger/
  folkeregisteropplysninger/pid/): from 1 January 2032 the first check digit may leave the remainder 0, 1, 2 or 3
  (before, only 0), for fødselsnumre and D-numbers; the birth date must be read from the register, not the number.
- Skatteetaten's technical note "Nytt fødselsnummer fra 2032" (skatteetaten.github.io/folkeregisteret-api-
  dokumentasjon/nytt-fodselsnummer-fra-2032/), whose examples are reproduced in NAV's fnrvalidator tests:
  02013299997, 30108299920 (remainder 0) and 30108299939 (remainder 1, another person, same first nine digits),
  70108299914 (a D-number); the second check digit is computed as before.
- fnrinfo.no, "Beregning av kontrollsiffer": 311299567 gives the check digits 1 and 5.
- python-stdnum's own doctest: 15108695088 is valid, 15108695077 is not.
- Norsk helsenett, "Hva er felles hjelpenummer?": eleven digits, two check digits as in a fødselsnummer, the first
  digit 8 or 9, the rest random and without meaning.
- UDI, "Mitt d-nummer stemmer ikke med fødselsdatoen min": when no D-number is free on the birth date, the day
  and month of registration are used (the year stays the birth year).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.no import fodselsnummer as stdnum_fnr

from referral_service.domain.national_id import (
    InvalidNationalId,
    NationalId,
    NationalIdKind,
    make_fh_number,
    make_national_id,
    parse_national_id,
)

TODAY = date(2026, 12, 2)
K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def parse(value: str, *, birth_date: date | None = None, today: date = TODAY,
          allow_synthetic: bool = False) -> NationalId:
    return parse_national_id(value, allow_synthetic=allow_synthetic, today=today, birth_date=birth_date)


def code_of(value: str, *, birth_date: date | None = None, today: date = TODAY) -> str:
    with pytest.raises(InvalidNationalId) as excinfo:
        parse(value, birth_date=birth_date, today=today)
    return excinfo.value.code


def with_remainder(base: str, remainder: int) -> str | None:
    """Nine digits with check digits whose first leaves `remainder` (weights 3 7 6 1 8 9 4 5 2 1), written from
    the published rule and not from the code under test; None when a check digit would be 10."""
    k1 = (remainder - sum(w * int(d) for w, d in zip(K1_WEIGHTS, base, strict=True))) % 11
    if k1 == 10:
        return None
    k2 = (-sum(w * int(d) for w, d in zip(K2_WEIGHTS, f"{base}{k1}", strict=True))) % 11
    return None if k2 == 10 else f"{base}{k1}{k2}"


def number_with_remainder(ddmmyy: str, remainder: int, individuals: range = range(1000)) -> str:
    return next(n for i in individuals if (n := with_remainder(f"{ddmmyy}{i:03d}", remainder)) is not None)


# ---- the published examples ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "kind", "birth_date"), [
    ("02013299997", NationalIdKind.FODSELSNUMMER, date(2032, 1, 2)),  # Skatteetaten's 2032 note
    ("30108299920", NationalIdKind.FODSELSNUMMER, date(1982, 10, 30)),  # the note, remainder 0
    ("70108299914", NationalIdKind.D_NUMBER, date(1982, 10, 30)),  # the note, a D-number
    ("31129956715", NationalIdKind.FODSELSNUMMER, date(1899, 12, 31)),  # fnrinfo.no
    ("15108695088", NationalIdKind.FODSELSNUMMER, date(1986, 10, 15)),  # python-stdnum
])
def test_published_numbers_are_accepted_with_their_birth_dates(value: str, kind: NationalIdKind,
                                                              birth_date: date) -> None:
    parsed = parse(value, today=date(2040, 1, 1))
    assert (parsed.kind, parsed.birth_date, parsed.birth_date_given) == (kind, birth_date, False)


def test_the_second_person_of_the_2032_example_is_accepted_with_the_registered_birth_date() -> None:
    # Same birth date and individual number as 30108299920: only the first check digit (remainder 1) differs.
    assert code_of("30108299939") == "birth_date_required"
    parsed = parse("30108299939", birth_date=date(1982, 10, 30))
    assert (parsed.kind, parsed.birth_date, parsed.birth_date_given) == (
        NationalIdKind.FODSELSNUMMER, date(1982, 10, 30), True)
    # python-stdnum knows only the rule before 2032, so it refuses this number.
    assert not stdnum_fnr.is_valid("30108299939")


@pytest.mark.parametrize("value", [
    "02013299987",  # the 2032 note: a first check digit that fits no remainder
    "02013299996",  # the 2032 note: the right first check digit, a wrong second one
    "15108695077",  # python-stdnum
])
def test_published_wrong_numbers_are_refused(value: str) -> None:
    assert code_of(value, birth_date=date(2012, 1, 2)) == "checksum"


# ---- the 2032 rule ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("remainder", [1, 2, 3])
@pytest.mark.parametrize("kind", [NationalIdKind.FODSELSNUMMER, NationalIdKind.D_NUMBER])
def test_a_2032_rule_number_with_remainder_1_2_or_3_is_accepted_with_its_birth_date(
        remainder: int, kind: NationalIdKind) -> None:
    born = date(2033, 2, 14)
    ddmmyy = f"{born.day + (40 if kind is NationalIdKind.D_NUMBER else 0):02d}0233"
    number = number_with_remainder(ddmmyy, remainder)
    parsed = parse(number, birth_date=born, today=date(2034, 1, 1))
    assert (parsed.kind, parsed.birth_date) == (kind, born)
    assert code_of(number, today=date(2034, 1, 1)) == "birth_date_required"


@pytest.mark.parametrize("remainder", range(4, 11))
def test_other_remainders_are_refused(remainder: int) -> None:
    number = number_with_remainder("140212", remainder)
    assert code_of(number, birth_date=date(2012, 2, 14)) == "checksum"


def test_h_and_fh_numbers_keep_the_rule_before_2032() -> None:
    h_number = number_with_remainder("145212", 1, range(500, 1000))  # month + 40
    assert code_of(h_number, birth_date=date(2012, 12, 14)) == "checksum"
    fh_number = number_with_remainder("912345", 2)
    assert code_of(fh_number, birth_date=date(2012, 12, 14)) == "checksum"


def test_the_century_comes_from_the_registered_birth_date_not_the_individual_number() -> None:
    # Individual number 600 with year 96 reads as 1896 under the rule before 2032; from 2032 it may be a 1996 child.
    number = number_with_remainder("010696", 0, range(600, 700))
    assert parse(number).birth_date == date(1896, 6, 1)
    assert parse(number, birth_date=date(1996, 6, 1)).birth_date == date(1996, 6, 1)
    # And an individual number that fits no century before 2032 is a number from 2032 on.
    unreadable = number_with_remainder("010612", 0, range(0, 500))  # 2012 needs 500-999 before 2032
    assert parse(unreadable).birth_date == date(1912, 6, 1)
    assert parse(unreadable, birth_date=date(2012, 6, 1)).birth_date == date(2012, 6, 1)


@pytest.mark.parametrize("registered", [date(2012, 6, 2), date(2012, 7, 1), date(2011, 6, 1), date(1912, 6, 2)])
def test_a_birth_date_that_disagrees_with_the_date_digits_is_a_conflict(registered: date) -> None:
    for remainder in (0, 1):
        number = number_with_remainder("010612", remainder, range(500, 1000))
        assert code_of(number, birth_date=registered) == "birth_date_conflict"


def test_a_d_numbers_day_and_month_may_be_the_registration_date_but_not_its_year() -> None:
    number = number_with_remainder("551012", 0, range(500, 1000))  # registered 15 October, born 2012
    assert parse(number).birth_date == date(2012, 10, 15)
    assert parse(number, birth_date=date(2012, 3, 4)).birth_date == date(2012, 3, 4)
    assert code_of(number, birth_date=date(2013, 3, 4)) == "birth_date_conflict"


def test_impossible_date_digits_are_refused_even_with_a_birth_date() -> None:
    number = number_with_remainder("310412", 1)
    assert code_of(number, birth_date=date(2012, 4, 30)) == "birth_date"


def test_the_sentences_for_the_birth_date_never_hold_digits() -> None:
    for value, registered in (("30108299939", None), ("30108299939", date(1983, 10, 30))):
        with pytest.raises(InvalidNationalId) as excinfo:
            parse(value, birth_date=registered)
        assert not any(c.isdigit() for c in str(excinfo.value))


# ---- FH-numbers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_an_fh_number_with_a_birth_date_is_accepted(seed: int) -> None:
    number = make_fh_number(seed=seed)
    assert number[0] in "89"
    assert with_remainder(number[:9], 0) == number
    parsed = parse(number, birth_date=date(2019, 8, 30))
    assert (parsed.kind, parsed.birth_date, parsed.synthetic) == (NationalIdKind.FH_NUMBER, date(2019, 8, 30), False)
    assert number not in repr(parsed) and number not in str(parsed)
    assert code_of(number) == "birth_date_required"
    assert not stdnum_fnr.is_valid(number)  # python-stdnum refuses FH-numbers by design


# ---- python-stdnum, where it agrees ---------------------------------------------------------------------

@given(born=st.dates(min_value=date(1854, 1, 1), max_value=date(2026, 12, 1)),
       individual=st.integers(min_value=0, max_value=999), d_number=st.booleans())
def test_numbers_before_2032_parse_as_python_stdnum_reads_them(born: date, individual: int, d_number: bool) -> None:
    ddmmyy = f"{born.day + (40 if d_number else 0):02d}{born:%m%y}"
    number = with_remainder(f"{ddmmyy}{individual:03d}", 0)
    if number is None:
        return
    try:
        ours: date | None = parse(number).birth_date
    except InvalidNationalId as error:
        assert error.code in {"individual_number", "future_birth_date", "birth_date"}
        ours = None
    theirs = stdnum_fnr.get_birth_date(number) if stdnum_fnr.is_valid(number) else None
    assert ours == theirs


@given(digits=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_number_python_stdnum_accepts_is_accepted_with_the_same_birth_date(digits: str) -> None:
    if stdnum_fnr.is_valid(digits) and not (int(digits[0:2]) > 40 and int(digits[2:4]) > 40):
        # (python-stdnum also takes a D-number with an H-number's month; this service does not, as before.)
        assert parse(digits, today=date.today()).birth_date == stdnum_fnr.get_birth_date(digits)


# ---- building numbers for tests --------------------------------------------------------------------------

@pytest.mark.parametrize("remainder", [0, 1, 2, 3])
def test_made_2032_rule_numbers_round_trip(remainder: int) -> None:
    born = date(2034, 7, 9)
    made = [n for i in range(500, 600) if (n := _made(born, i, remainder))]
    assert made
    for number in made:
        assert with_remainder(number[:9], remainder) == number
        assert parse(number, birth_date=born, today=date(2035, 1, 1)).birth_date == born


def test_make_national_id_refuses_the_2032_rule_for_h_numbers() -> None:
    with pytest.raises(ValueError):
        make_national_id(date(2012, 1, 1), individual=600, kind=NationalIdKind.H_NUMBER, remainder=1)


def _made(born: date, individual: int, remainder: int) -> str | None:
    try:
        return make_national_id(born, individual=individual, remainder=remainder)
    except ValueError:
        return None
