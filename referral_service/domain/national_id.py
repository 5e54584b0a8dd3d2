"""Norwegian identity numbers: fødselsnummer, D-number, H-number, FH-number and synthetic test numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer as stdnum_fnr

from referral_service.errors import Reason

# The check digits and the century as published (Skatteetaten) come from python-stdnum; this module keeps what
# it lacks: Skatteetaten's Tenor test numbers (month + 80), the first check digit of numbers issued from
# 1 January 2032, and FH-numbers (felles hjelpenummer, Norsk helsenett), which carry no birth date.
_D_NUMBER_OFFSET = 40
_H_NUMBER_OFFSET = 40
_SYNTHETIC_OFFSET = 80  # Skatteetaten Tenor test numbers
_FH_FIRST_DAY = 80  # an FH-number's first digit is 8 or 9; its other digits are random
#: The remainders the first check digit may leave: only 0 for numbers issued before 2032; 0, 1, 2 or 3 for
#: fødselsnumre and D-numbers issued from 1 January 2032 (Skatteetaten, "Nytt fødselsnummer fra 2032").
_K1_REMAINDERS_BEFORE_2032 = frozenset({0})
_K1_REMAINDERS_FROM_2032 = frozenset({0, 1, 2, 3})

# Sentences are shown to API clients and logged, so they must never echo the number; they hold no digits at all.
# The web says each in Norwegian, by its code.
SENTENCES: dict[str, str] = {
    "length": "The identity number must have eleven digits.",
    "checksum": "The check digits do not match.",
    "birth_date": "The birth date in the number does not exist.",
    "individual_number": "The individual number does not fit the year of birth.",
    "future_birth_date": "The birth date in the number is in the future.",
    "synthetic_not_allowed": "Synthetic test numbers are not allowed here.",
    "unsupported": "This kind of identity number is not supported.",
    "birth_date_required": "This identity number does not tell the birth date: give the registered birth date.",
    "birth_date_conflict": "The birth date given does not agree with the birth date in the identity number.",
}
#: The codes that are about the birth date given with the number, not about the number alone.
BIRTH_DATE_CODES = frozenset({"birth_date_required", "birth_date_conflict"})


class InvalidNationalId(ValueError):
    """A rejected identity number, by code (a key of SENTENCES); the message never contains the number."""

    def __init__(self, code: str) -> None:
        super().__init__(SENTENCES[code])
        self.code = code

    @property
    def reason(self) -> Reason:
        return Reason(self.code, SENTENCES[self.code])

    def __reduce__(self) -> tuple[type[InvalidNationalId], tuple[str]]:
        # The default pickling would call __init__ with the message instead of the code.
        return type(self), (self.code,)


class NationalIdKind(StrEnum):
    """Which register the number belongs to."""

    FODSELSNUMMER = "fodselsnummer"
    D_NUMBER = "d_number"
    H_NUMBER = "h_number"
    FH_NUMBER = "fh_number"


@dataclass(frozen=True)
class NationalId:
    """A validated identity number whose repr and str never reveal the digits."""

    value: str
    kind: NationalIdKind
    birth_date: date
    synthetic: bool
    #: Whether the birth date is the registered one given with the number (else it is read from the number).
    birth_date_given: bool = False

    @property
    def masked(self) -> str:
        """Birth date as dd.mm.yy followed by a mask for the personal digits (an FH-number's too, though its own
        digits hold no date)."""
        return f"{self.birth_date:%d.%m.%y} *****"

    def __repr__(self) -> str:
        return (
            f"NationalId(value='***********', kind={self.kind.value!r}, "
            f"birth_date={self.birth_date.isoformat()}, synthetic={self.synthetic}, "
            f"birth_date_given={self.birth_date_given})"
        )

    def __str__(self) -> str:
        return self.masked


def _k1_remainder(digits: str) -> int | None:
    """The remainder the first check digit leaves (0 under the rule before 2032), or None when the check digits
    fit neither rule. The second check digit is the same under both rules."""
    if stdnum_fnr.calc_check_digit2(digits[:10]) != digits[10]:
        return None
    # calc_check_digit1 is the digit that leaves remainder 0; each step up leaves one more.
    remainder = (int(digits[9]) - int(stdnum_fnr.calc_check_digit1(digits[:9]))) % 11
    return remainder if remainder in _K1_REMAINDERS_FROM_2032 else None


def _check_digits(base: str, remainder: int = 0) -> str | None:
    """Both check digits for the first nine digits, the first leaving `remainder`; None if either would be 10."""
    k1 = (int(stdnum_fnr.calc_check_digit1(base)) + remainder) % 11
    if k1 == 10:
        return None
    k2 = stdnum_fnr.calc_check_digit2(f"{base}{k1}")
    return None if k2 == "10" else f"{k1}{k2}"


def _century(individual: int, yy: int) -> int | None:
    """Century implied by the individual number and two-digit year (numbers issued before 2032), or None if
    undefined; python-stdnum's reading of the published series."""
    try:
        year = stdnum_fnr.get_birth_date(f"0101{yy:02d}{individual:03d}00").year
    except StdnumError:
        return None
    return year - yy


def _decode_kind(day: int, month: int) -> tuple[NationalIdKind, int, int, bool]:
    """The number's kind, the day and month its digits give, and whether it is a synthetic (Tenor) number."""
    kind = NationalIdKind.FODSELSNUMMER
    if day > _D_NUMBER_OFFSET:
        kind, day = NationalIdKind.D_NUMBER, day - _D_NUMBER_OFFSET
    synthetic = month > _SYNTHETIC_OFFSET
    if synthetic:
        month -= _SYNTHETIC_OFFSET
    elif month > _H_NUMBER_OFFSET:
        if kind is NationalIdKind.D_NUMBER:
            raise InvalidNationalId("birth_date")
        kind, month = NationalIdKind.H_NUMBER, month - _H_NUMBER_OFFSET
    return kind, day, month, synthetic


def _agrees(kind: NationalIdKind, given: date, *, day: int, month: int, yy: int) -> bool:
    """Whether a registered birth date agrees with the number's date digits. A D-number's day and month may be
    the day it was registered when no number was free on the birth date (UDI), so only its year must agree."""
    if given.year % 100 != yy:
        return False
    return kind is NationalIdKind.D_NUMBER or (given.month, given.day) == (month, day)


def _is_calendar_day(day: int, month: int) -> bool:
    """Whether some year has this day (29 February included)."""
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True


def parse_national_id(value: str, *, allow_synthetic: bool, today: date | None = None,
                      birth_date: date | None = None) -> NationalId:
    """Validate an identity number and decode its kind and birth date.

    `birth_date` is the person's registered birth date, given with the number. It is required when the number
    cannot tell it (an FH-number; a number whose first check digit follows the 2032 rule with a remainder of 1,
    2 or 3, whose individual number no longer tells the century); when given it must agree with the number's
    date digits, and it is the birth date. Whether the birth date fits the service is not this module's
    concern (workflows/age_range.py).
    """
    digits, remainder = _checked_digits(value)
    day, month, yy, individual = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:9])
    if day >= _FH_FIRST_DAY:
        return _fh_number(digits, remainder, birth_date)
    kind, day, month, synthetic = _decode_kind(day, month)
    if remainder not in _remainders(kind):
        raise InvalidNationalId("checksum")
    if synthetic and not allow_synthetic:
        raise InvalidNationalId("synthetic_not_allowed")
    if not _is_calendar_day(day, month):
        raise InvalidNationalId("birth_date")
    if birth_date is not None:
        if not _agrees(kind, birth_date, day=day, month=month, yy=yy):
            raise InvalidNationalId("birth_date_conflict")
        return NationalId(value=digits, kind=kind, birth_date=birth_date, synthetic=synthetic,
                          birth_date_given=True)
    if remainder not in _K1_REMAINDERS_BEFORE_2032:
        raise InvalidNationalId("birth_date_required")
    decoded = _decoded_birth_date(day, month, yy, individual)
    if decoded > (today or date.today()):
        raise InvalidNationalId("future_birth_date")
    return NationalId(value=digits, kind=kind, birth_date=decoded, synthetic=synthetic)


def _checked_digits(value: str) -> tuple[str, int]:
    """The number's eleven digits (spaces dropped) and the remainder its first check digit leaves."""
    digits = "".join(value.split())
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        raise InvalidNationalId("length")
    remainder = _k1_remainder(digits)
    if remainder is None:
        raise InvalidNationalId("checksum")
    return digits, remainder


def _decoded_birth_date(day: int, month: int, yy: int, individual: int) -> date:
    """The birth date a number issued before 2032 tells, its century read from the individual number."""
    century = _century(individual, yy)
    if century is None:
        raise InvalidNationalId("individual_number")
    try:
        return date(century + yy, month, day)
    except ValueError:
        raise InvalidNationalId("birth_date") from None


def _remainders(kind: NationalIdKind) -> frozenset[int]:
    """The 2032 rule is Skatteetaten's, for fødselsnumre and D-numbers; H-numbers keep today's rule."""
    if kind in (NationalIdKind.FODSELSNUMMER, NationalIdKind.D_NUMBER):
        return _K1_REMAINDERS_FROM_2032
    return _K1_REMAINDERS_BEFORE_2032


def _fh_number(digits: str, remainder: int, birth_date: date | None) -> NationalId:
    """An FH-number: check digits as today's, and the birth date only as given with it."""
    if remainder not in _K1_REMAINDERS_BEFORE_2032:
        raise InvalidNationalId("checksum")
    if birth_date is None:
        raise InvalidNationalId("birth_date_required")
    return NationalId(value=digits, kind=NationalIdKind.FH_NUMBER, birth_date=birth_date, synthetic=False,
                      birth_date_given=True)


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on the given day; a 29 February birthday counts from 1 March."""
    if on < birth_date:
        raise ValueError("on is before birth_date")
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def make_national_id(
    birth_date: date,
    *,
    individual: int,
    kind: NationalIdKind = NationalIdKind.FODSELSNUMMER,
    synthetic: bool = False,
    remainder: int = 0,
) -> str:
    """Build a valid identity number; ValueError if this individual number cannot give one.

    `remainder` is what the first check digit leaves: 0 as before 2032, or 1, 2 or 3 for a number issued from
    2032 (whose individual number may then be any, since it no longer tells the century).
    """
    yy = birth_date.year % 100
    if remainder not in _remainders(kind):
        raise ValueError("this kind of number has no such first check digit")
    if not 0 <= individual <= 999 or (remainder == 0 and _century(individual, yy) != birth_date.year - yy):
        raise ValueError("individual number does not fit the birth year")
    if synthetic and kind is NationalIdKind.H_NUMBER:
        raise ValueError("synthetic H-numbers do not exist")
    day = birth_date.day + (_D_NUMBER_OFFSET if kind is NationalIdKind.D_NUMBER else 0)
    month = birth_date.month + (
        _SYNTHETIC_OFFSET if synthetic else _H_NUMBER_OFFSET if kind is NationalIdKind.H_NUMBER else 0
    )
    base = f"{day:02d}{month:02d}{yy:02d}{individual:03d}"
    check_digits = _check_digits(base, remainder)
    if check_digits is None:
        raise ValueError("individual number gives check digit 10")
    return base + check_digits


def make_fh_number(*, seed: int = 0) -> str:
    """A valid FH-number (first digit 8 or 9, the rest random, today's check digits), the first from a
    seed-based start."""
    for n in range(seed, seed + 1000):
        base = f"{8 + n % 2}{(n * 7919) % 10**8:08d}"
        check_digits = _check_digits(base)
        if check_digits is not None:
            return base + check_digits
    raise AssertionError("no FH-number found")  # pragma: no cover - most bases give one


def make_synthetic_national_id(birth_date: date, *, seed: int = 0) -> str:
    """First usable synthetic (month+80) number for the birth date, searching from a seed-based offset."""
    yy = birth_date.year % 100
    candidates = [i for i in range(1000) if _century(i, yy) == birth_date.year - yy]
    if not candidates:
        raise ValueError("birth year cannot be encoded in a national identity number")
    start = seed % len(candidates)
    for individual in candidates[start:] + candidates[:start]:
        try:
            return make_national_id(birth_date, individual=individual, synthetic=True)
        except ValueError:
            continue
    raise ValueError("no usable individual number for this birth date")
