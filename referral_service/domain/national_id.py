"""Norwegian national identity numbers: fødselsnummer, D-number, H-number and synthetic test numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from referral_service.errors import Reason

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_D_NUMBER_OFFSET = 40
_H_NUMBER_OFFSET = 40
_SYNTHETIC_OFFSET = 80  # Skatteetaten Tenor test numbers

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
}


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


@dataclass(frozen=True)
class NationalId:
    """A validated identity number whose repr and str never reveal the digits."""

    value: str
    kind: NationalIdKind
    birth_date: date
    synthetic: bool

    @property
    def masked(self) -> str:
        """Birth date as dd.mm.yy followed by a mask for the personal digits."""
        return f"{self.birth_date:%d.%m.%y} *****"

    def __repr__(self) -> str:
        return (
            f"NationalId(value='***********', kind={self.kind.value!r}, "
            f"birth_date={self.birth_date.isoformat()}, synthetic={self.synthetic})"
        )

    def __str__(self) -> str:
        return self.masked


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    """Mod-11 check digit; 10 means no valid digit exists."""
    return (11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True))) % 11


def _check_digits(base: str) -> str | None:
    """Both check digits for the first nine digits, or None if either would be 10."""
    k1 = _check_digit(base, _K1_WEIGHTS)
    if k1 == 10:
        return None
    k2 = _check_digit(f"{base}{k1}", _K2_WEIGHTS)
    return None if k2 == 10 else f"{k1}{k2}"


def _century(individual: int, yy: int) -> int | None:
    """Century implied by the individual number and two-digit year, or None if undefined."""
    if individual < 500:
        return 1900
    if individual < 750 and yy >= 54:
        return 1800
    if yy < 40:
        return 2000
    if individual >= 900:
        return 1900
    return None


def _decode_kind(day: int, month: int) -> tuple[NationalIdKind, int, int, bool]:
    """The number's kind, its real day and month, and whether it is a synthetic (Tenor) number."""
    if day >= 80:  # FH-numbers carry no birth date by design
        raise InvalidNationalId("unsupported")
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


def parse_national_id(value: str, *, allow_synthetic: bool, today: date | None = None) -> NationalId:
    """Validate an identity number and decode its kind and birth date."""
    digits = "".join(value.split())
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        raise InvalidNationalId("length")
    if _check_digits(digits[:9]) != digits[9:]:
        raise InvalidNationalId("checksum")

    day, month, yy, individual = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6:9])
    kind, day, month, synthetic = _decode_kind(day, month)
    if synthetic and not allow_synthetic:
        raise InvalidNationalId("synthetic_not_allowed")

    century = _century(individual, yy)
    if century is None:
        raise InvalidNationalId("individual_number")
    try:
        birth_date = date(century + yy, month, day)
    except ValueError:
        raise InvalidNationalId("birth_date") from None
    if birth_date > (today or date.today()):
        raise InvalidNationalId("future_birth_date")
    return NationalId(value=digits, kind=kind, birth_date=birth_date, synthetic=synthetic)


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
) -> str:
    """Build a valid identity number; ValueError if this individual number cannot give one."""
    yy = birth_date.year % 100
    if not 0 <= individual <= 999 or _century(individual, yy) != birth_date.year - yy:
        raise ValueError("individual number does not fit the birth year")
    if synthetic and kind is NationalIdKind.H_NUMBER:
        raise ValueError("synthetic H-numbers do not exist")
    day = birth_date.day + (_D_NUMBER_OFFSET if kind is NationalIdKind.D_NUMBER else 0)
    month = birth_date.month + (
        _SYNTHETIC_OFFSET if synthetic else _H_NUMBER_OFFSET if kind is NationalIdKind.H_NUMBER else 0
    )
    base = f"{day:02d}{month:02d}{yy:02d}{individual:03d}"
    check_digits = _check_digits(base)
    if check_digits is None:
        raise ValueError("individual number gives check digit 10")
    return base + check_digits


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
