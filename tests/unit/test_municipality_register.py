"""The municipality register that ships with the service (SSB KLASS 131)."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.domain.municipalities import SPLIT, UNKNOWN, UnknownMunicipality, load_register

TODAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def register():
    return load_register()


def test_it_holds_every_municipality_in_force_since_the_2024_changes(register):
    in_force = register.in_force(TODAY)
    assert len(in_force) == 357
    assert len({m.number for m in in_force}) == 357
    assert {m.county_number for m in in_force} == {
        "03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56"}
    askoy = register.current("4627", TODAY)
    assert (askoy.name, askoy.county_name) == ("Askøy", "Vestland")


@pytest.mark.parametrize(("old", "new", "name"), [
    ("3001", "3101", "Halden"),  # Viken split up in 2024
    ("3024", "3201", "Bærum"),
    ("3803", "3905", "Tønsberg"),  # Vestfold og Telemark
    ("5401", "5501", "Tromsø"),  # Troms og Finnmark
    ("5403", "5601", "Alta"),
    ("1247", "4627", "Askøy"),  # Hordaland became Vestland in 2020
    ("1201", "4601", "Bergen"),
])
def test_a_number_from_before_a_reform_maps_to_the_municipality_that_holds_it_today(register, old, new, name):
    current = register.current(old, TODAY)
    assert (current.number, current.name) == (new, name)
    assert not register.holds(old, TODAY) and register.holds(new, TODAY)


def test_before_the_reform_the_old_number_was_itself_in_force(register):
    assert register.current("1247", date(2019, 6, 1)).number == "1247"
    assert register.current("3001", date(2023, 12, 31)).number == "3001"


@pytest.mark.parametrize("number", ["9999", "4672", "0000", "46", ""])
def test_a_number_no_municipality_holds_is_refused(register, number):
    with pytest.raises(UnknownMunicipality) as refused:
        register.current(number, TODAY)
    assert refused.value.reason.code == UNKNOWN.code


def test_a_number_that_was_split_asks_for_todays_number(register):
    # Ålesund's 2020 number was split between Ålesund (1508) and Haram (1580) in 2024.
    with pytest.raises(UnknownMunicipality) as refused:
        register.current("1507", TODAY)
    assert refused.value.reason.code == SPLIT.code


def test_the_files_name_their_source():
    from importlib import resources

    for name in ("municipalities.csv", "municipality_changes.csv"):
        head = (resources.files("referral_service") / "data" / name).read_text(encoding="utf-8")[:400]
        assert head.startswith("# Source: Statistics Norway (SSB), KLASS classification 131")
