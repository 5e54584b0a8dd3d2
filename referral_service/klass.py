"""Renewing the municipality register from Statistics Norway's KLASS API (classification 131, counties 104).

`update_register` starts from the register the service has, asks KLASS which municipalities are in force
today and what changed since the register was last renewed, and writes both files again: retired numbers
get their last day and their successors, new numbers their first day, renamed ones their new name.
"""

from __future__ import annotations

import csv
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from referral_service.domain.municipalities import (
    CHANGES_FILE,
    MUNICIPALITIES_FILE,
    Municipality,
    MunicipalityRegister,
    NumberChange,
)

KLASS_API = "https://data.ssb.no/api/klass/v1"
MUNICIPALITIES, COUNTIES = 131, 104
#: KLASS lists "Uoppgitt" (unknown) as a municipality; no child lives there.
NOT_A_MUNICIPALITY = "9999"

Fetch = Callable[[str, dict[str, str]], dict[str, Any]]


def fetch_json(base_url: str) -> Fetch:
    """GET `base_url` + path with the query, as JSON (KLASS answers XML unless asked for JSON)."""
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise ValueError("The KLASS API's address must be an http(s) URL.")

    def get(path: str, query: dict[str, str]) -> dict[str, Any]:
        url = f"{base_url.rstrip('/')}{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (http(s) only)
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            answer: dict[str, Any] = json.load(response)
            return answer

    return get


def _codes_at(fetch: Fetch, classification: int, on: date) -> dict[str, str]:
    answer = fetch(f"/classifications/{classification}/codesAt", {"date": on.isoformat()})
    return {item["code"]: item["name"] for item in answer["codes"] if item["code"] != NOT_A_MUNICIPALITY}


def _county_name(official: str) -> str:
    """The Norwegian part of a county's official name ("Troms - Romsa - Tromssa" is Troms)."""
    return official.split(" - ")[0]


def update_register(register: MunicipalityRegister, fetch: Fetch, *, on: date,
                    since: date) -> tuple[list[Municipality], list[NumberChange]]:
    """The register as KLASS has it on `on`, given what changed after `since` (the last renewal)."""
    now = _codes_at(fetch, MUNICIPALITIES, on)
    counties = {code: _county_name(name) for code, name in _codes_at(fetch, COUNTIES, on).items()}
    answer = fetch(f"/classifications/{MUNICIPALITIES}/changes",
                   {"from": (since - timedelta(days=1)).isoformat(), "to": (on + timedelta(days=1)).isoformat()})
    retired_on: dict[str, date] = {}
    started_on: dict[str, date] = {}
    changes = list(register.changes())
    for item in answer["codeChanges"]:
        old, new, occurred = item.get("oldCode"), item.get("newCode"), date.fromisoformat(item["changeOccurred"])
        if old and old not in now:
            retired_on[old] = occurred
        if new and new in now:
            started_on.setdefault(new, occurred)
        if old and new and old != new and old not in now:
            changes.append(NumberChange(old, new, occurred, item.get("oldName") or "", item.get("newName") or ""))
    municipalities: list[Municipality] = []
    for m in register.periods():
        if m.valid_to is None and m.number not in now:
            m = Municipality(m.number, m.name, m.county_number, m.county_name, m.valid_from,
                             retired_on.get(m.number, on) - timedelta(days=1))
        elif m.valid_to is None:
            m = Municipality(m.number, now[m.number], m.county_number, m.county_name, m.valid_from, None)
        municipalities.append(m)
    known = {m.number for m in municipalities if m.valid_to is None}
    for number, name in now.items():
        if number not in known:
            municipalities.append(Municipality(number, name, number[:2], counties.get(number[:2], ""),
                                               started_on.get(number, on), None))
    return municipalities, _unique(changes)


def _unique(changes: Iterable[NumberChange]) -> list[NumberChange]:
    return list(dict.fromkeys(changes))


def write_register(folder: Path, municipalities: Iterable[Municipality], changes: Iterable[NumberChange], *,
                   source: str, on: date) -> None:
    """Both files, each headed by where the data came from and when."""
    folder.mkdir(parents=True, exist_ok=True)
    header = [f"# Source: Statistics Norway (SSB), KLASS classification {MUNICIPALITIES} \"Standard for "
              f"kommuneinndeling\" (counties: KLASS {COUNTIES}), {source}. Licence of SSB data: CC BY 4.0.",
              f"# Renewed by `referral-service municipalities update` on {on.isoformat()}.",
              "# valid_to is the last day a number was valid; empty while it is in force."]
    with (folder / MUNICIPALITIES_FILE).open("w", encoding="utf-8", newline="") as out:
        out.write("\n".join(header) + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["number", "name", "county_number", "county_name", "valid_from", "valid_to"])
        for m in sorted(municipalities, key=lambda m: (m.number, m.valid_from or date.min)):
            writer.writerow([m.number, m.name, m.county_number, m.county_name, _text(m.valid_from),
                             _text(m.valid_to)])
    with (folder / CHANGES_FILE).open("w", encoding="utf-8", newline="") as out:
        out.write("\n".join(header[:2]) + "\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["old_number", "old_name", "new_number", "new_name", "changed_on"])
        for c in sorted(changes, key=lambda c: (c.changed_on, c.old_number, c.new_number)):
            writer.writerow([c.old_number, c.old_name, c.new_number, c.new_name, c.changed_on.isoformat()])


def _text(day: date | None) -> str:
    return day.isoformat() if day else ""
