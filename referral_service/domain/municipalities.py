"""The register of Norwegian municipalities (kommuner): each number with its validity period, and the
changes that retired numbers, so that a number from before the 2020 and 2024 reforms maps to the
municipality that holds the child today.

The data ships with the service (`referral_service/data/`, from Statistics Norway's KLASS 131; the files
name their source) and is renewed by `referral-service municipalities update`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from referral_service.errors import Reason

MUNICIPALITIES_FILE = "municipalities.csv"
CHANGES_FILE = "municipality_changes.csv"

#: Refusals, by code (the web says them in Norwegian).
UNKNOWN = Reason("municipality_unknown", "No Norwegian municipality has this number.")
SPLIT = Reason("municipality_split", "This number was split between municipalities; give today's number.")


@dataclass(frozen=True)
class Municipality:
    number: str
    name: str
    county_number: str
    county_name: str
    valid_from: date | None
    valid_to: date | None  # the last day the number was valid; None while it is in force

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class NumberChange:
    """A retired number and one of the numbers that took it over, from `changed_on`."""

    old_number: str
    new_number: str
    changed_on: date
    old_name: str = field(default="", compare=False)
    new_name: str = field(default="", compare=False)


class UnknownMunicipality(ValueError):
    """No municipality in force holds this number (`reason` says why: unknown, or split)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


class MunicipalityRegister:
    def __init__(self, municipalities: Iterable[Municipality], changes: Iterable[NumberChange]) -> None:
        self._periods: dict[str, list[Municipality]] = {}
        for municipality in municipalities:
            self._periods.setdefault(municipality.number, []).append(municipality)
        self._successors: dict[str, list[NumberChange]] = {}
        for change in changes:
            self._successors.setdefault(change.old_number, []).append(change)

    def periods(self) -> list[Municipality]:
        return [period for periods in self._periods.values() for period in periods]

    def changes(self) -> list[NumberChange]:
        return [change for changes in self._successors.values() for change in changes]

    def renewed_on(self) -> date:
        """The last day the register knows a change on: where a renewal starts from."""
        days = [d for m in self.periods() for d in (m.valid_from, m.valid_to) if d is not None]
        return max([*days, *(c.changed_on for c in self.changes())])

    def in_force(self, on: date) -> list[Municipality]:
        """Every municipality on that day, by name (as a list to choose from)."""
        return sorted((m for periods in self._periods.values() for m in periods if m.in_force(on)),
                      key=lambda m: (m.name, m.number))

    def current(self, number: str, on: date) -> Municipality:
        """The municipality that holds `number` on that day: the number itself while it is in force, else the one
        municipality its retirement led to. UnknownMunicipality when there is none, or several (a split)."""
        holders = self._holders(number.strip(), on, seen=set())
        if not holders:
            raise UnknownMunicipality(UNKNOWN)
        if len(holders) > 1:
            raise UnknownMunicipality(SPLIT)
        return holders[0]

    def holds(self, number: str, on: date) -> bool:
        """Whether `number` itself is a municipality in force on that day."""
        return any(period.in_force(on) for period in self._periods.get(number, ()))

    def _holders(self, number: str, on: date, *, seen: set[str]) -> list[Municipality]:
        if number in seen:
            return []
        seen.add(number)
        for period in self._periods.get(number, ()):
            if period.in_force(on):
                return [period]
        found: dict[str, Municipality] = {}
        for change in self._successors.get(number, ()):
            if change.changed_on <= on:
                for holder in self._holders(change.new_number, on, seen=seen):
                    found[holder.number] = holder
        return list(found.values())


def _rows(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """A register file's rows: its `#` lines name the source and are not data."""
    yield from csv.DictReader(line for line in lines if not line.startswith("#"))


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def read_register(municipalities: Iterable[str], changes: Iterable[str]) -> MunicipalityRegister:
    return MunicipalityRegister(
        (Municipality(r["number"], r["name"], r["county_number"], r["county_name"], _day(r["valid_from"]),
                      _day(r["valid_to"])) for r in _rows(municipalities)),
        (NumberChange(r["old_number"], r["new_number"], date.fromisoformat(r["changed_on"]), r.get("old_name", ""),
                      r.get("new_name", "")) for r in _rows(changes)),
    )


@cache
def load_register(directory: str | None = None) -> MunicipalityRegister:
    """The register from `directory` (the setting MUNICIPALITY_REGISTER_DIR), or the one that ships with the
    service."""
    folder = Path(directory) if directory else Path(str(resources.files("referral_service") / "data"))
    with (folder / MUNICIPALITIES_FILE).open(encoding="utf-8") as municipalities, \
            (folder / CHANGES_FILE).open(encoding="utf-8") as changes:
        return read_register(municipalities, changes)
