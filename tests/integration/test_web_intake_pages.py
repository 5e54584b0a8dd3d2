"""Inntak shows a big clinic's open work a page at a time: each section (waiting for assessment, waiting to
start, in treatment) keeps its order and goes on to further pages of its own, without losing the others' place."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.test_sweeps import logged_in_before_the_clock_moves
from tests.integration.test_web_decisions import WebUser

__all__ = ["logged_in_before_the_clock_moves"]  # the world's tokens stay good while the clock is set back

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def two_per_page(monkeypatch):
    monkeypatch.setattr("referral_service.web.views.bup.PER_PAGE", 2)


def sections(html: str) -> dict[str, str]:
    """The page's three sections by their headings' ids."""
    waiting, rest = html.split('id="venter-oppstart"')
    starting, treating = rest.split('id="under-behandling"')
    return {"waiting": waiting, "starting": starting, "treating": treating}


def shown(section_html: str) -> list[str]:
    return re.findall(r'href="/inntak/([0-9a-f-]{36})"', section_html)


def next_link(section_html: str) -> str:
    [link] = re.findall(r'<a class="ds-link" href="([^"]+)" rel="next">Neste side</a>', section_html)
    return link.replace("&amp;", "&")


def test_each_section_goes_on_to_further_pages_of_its_own(world, app, two_per_page):
    waiting = {world.referral_in("submitted")["id"] for _ in range(3)}
    starting = {world.referral_in("accepted")["id"] for _ in range(3)}
    treating = {world.referral_in("in_treatment")["id"] for _ in range(5)}
    bup = WebUser(app, "bup")

    first = sections(bup.get("/inntak").html)
    for name, expected_total in (("waiting", 3), ("starting", 3), ("treating", 5)):
        assert len(shown(first[name])) == 2, name
        assert f"Viser 1–2 av {expected_total}." in first[name] and "Forrige side" not in first[name]
    assert next_link(first["waiting"]).endswith("#venter-vurdering")
    assert next_link(first["treating"]).endswith("#under-behandling")

    second = sections(bup.get(next_link(first["waiting"])).html)
    assert "Viser 3–3 av 3." in second["waiting"] and "Neste side" not in second["waiting"]
    assert set(shown(first["waiting"]) + shown(second["waiting"])) == waiting
    assert shown(second["starting"]) == shown(first["starting"])  # the other sections stay where they were

    seen, page = [], first
    while True:
        seen += shown(page["treating"])
        if "Neste side" not in page["treating"]:
            break
        page = sections(bup.get(next_link(page["treating"])).html)
    assert sorted(seen) == sorted(treating) and len(seen) == 5
    assert set(shown(first["starting"])) < starting


def test_a_section_keeps_the_others_pages_in_its_links(world, app, two_per_page):
    for _ in range(3):
        world.referral_in("submitted")
        world.referral_in("in_treatment")
    bup = WebUser(app, "bup")

    page = sections(bup.get("/inntak?venter=2&behandling=2").html)

    [back] = re.findall(r'href="([^"]+)" rel="prev">Forrige side', page["treating"])
    assert "behandling=1" in back and "venter=2" in back
    [back] = re.findall(r'href="([^"]+)" rel="prev">Forrige side', page["waiting"])
    assert "venter=1" in back and "behandling=2" in back


def test_the_page_links_are_named_for_their_section(world, app, two_per_page):
    for _ in range(3):
        world.referral_in("submitted")
        world.referral_in("accepted")
        world.referral_in("in_treatment")
    bup = WebUser(app, "bup")

    html = bup.get("/inntak").html

    labels = re.findall(r'<nav class="pagination" aria-label="([^"]+)"', html)
    assert labels == ["Sider med henvisninger som venter på vurdering",
                      "Sider med henvisninger som venter på oppstart", "Sider med barn under behandling"]


def test_urgent_referrals_come_first_then_the_nearest_assessment_deadline(world, app, clock, two_per_page):
    clock.set(datetime(2026, 11, 2, 9, tzinfo=OSLO))  # a Monday
    older = world.referral_in("submitted")["id"]
    clock.set(datetime(2026, 11, 3, 9, tzinfo=OSLO))
    newer = world.referral_in("submitted")["id"]
    urgent = world.create_referral("gp", urgency="urgent")["id"]
    world.act("gp", urgent, "submit")  # sent last, and still first
    bup = WebUser(app, "bup")

    first = sections(bup.get("/inntak").html)["waiting"]
    second = sections(bup.get(next_link(first)).html)["waiting"]

    assert shown(first) + shown(second) == [urgent, older, newer]


def test_those_waiting_to_start_come_by_the_start_of_care_deadline(world, app, two_per_page):
    later = world.referral_in("submitted")["id"]
    world.act("bup", later, "accept", {"care_start_due": "2027-03-01"})
    sooner = world.referral_in("submitted")["id"]
    world.act("bup", sooner, "accept", {"care_start_due": "2027-01-15"})
    bup = WebUser(app, "bup")

    assert shown(sections(bup.get("/inntak").html)["starting"]) == [sooner, later]


def test_only_the_referrals_shown_are_logged_as_read(world, app, two_per_page):
    from tests.integration.test_access_log import log_rows

    referrals = [world.referral_in("submitted") for _ in range(3)]
    bup = WebUser(app, "bup")

    on_page = set(shown(sections(bup.get("/inntak").html)["waiting"]))

    listed = {r["id"] for r in referrals
              if any(row["action"] == "list" and row["referral_id"] == r["id"]
                     for row in log_rows(app, child_id=r["child"]["id"]))}
    assert listed == on_page and len(on_page) == 2
