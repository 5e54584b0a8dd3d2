"""The API's lists page by cursor: each page's `Link: <…>; rel="next"` leads to the next, and a reader who follows
them sees every row of the list once, in the list's order, with nothing of anyone else's. Old clients keep their
page numbers and `total`."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.test_web_reveal import signed_in
from tests.support.loop import InProcessWorker

NEXT = re.compile(r'<([^>]+)>; rel="next"')


def next_link(response) -> str | None:
    found = NEXT.search(response.headers.get("Link", ""))
    return found[1] if found else None


def walk(world, who: str, path: str) -> list[list[str]]:
    """The ids on every page, following the Link headers from `path` to the end."""
    pages: list[list[str]] = []
    response = world.get(who, path)
    while True:
        assert response.status_code == 200, response.json
        pages.append([item["id"] for item in response.json["items"]])
        link = next_link(response)
        if link is None:
            return pages
        assert len(pages) < 50, "the links never end"
        response = world.get(who, link)


def in_full(world, who: str, path: str) -> list[str]:
    """The list on one page, as an old client reads it."""
    separator = "&" if "?" in path else "?"
    return [item["id"] for item in world.get(who, f"{path}{separator}per_page=200").json["items"]]


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


def test_following_the_links_shows_every_referral_once_in_the_lists_order(world):
    for _ in range(7):
        world.create_referral("gp")

    pages = walk(world, "gp", "/api/v1/referrals?per_page=3")

    assert [len(page) for page in pages] == [3, 3, 1]
    assert flat(pages) == in_full(world, "gp", "/api/v1/referrals")
    assert len(set(flat(pages))) == 7


def test_the_links_keep_the_filter_and_the_order_asked_for(world):
    submitted = [world.referral_in("submitted")["id"] for _ in range(3)]
    world.create_referral("gp")  # a draft: not in the filtered list

    path = "/api/v1/referrals?status=submitted&sort=assessment_due&per_page=2"
    pages = walk(world, "bup", path)

    assert sorted(flat(pages)) == sorted(submitted)
    assert flat(pages) == in_full(world, "bup", "/api/v1/referrals?status=submitted&sort=assessment_due")


def test_referrals_without_a_deadline_come_last_and_are_walked_too(world):
    drafts = [world.create_referral("gp")["id"] for _ in range(3)]  # no assessment deadline yet
    submitted = [world.referral_in("submitted")["id"] for _ in range(2)]

    pages = walk(world, "gp", "/api/v1/referrals?sort=assessment_due&per_page=2")

    assert flat(pages) == in_full(world, "gp", "/api/v1/referrals?sort=assessment_due")
    assert set(flat(pages)[:2]) == set(submitted) and set(flat(pages)[2:]) == set(drafts)


def test_a_page_reached_by_cursor_counts_nothing_and_a_numbered_page_keeps_its_total(world):
    for _ in range(3):
        world.create_referral("gp")

    numbered = world.get("gp", "/api/v1/referrals?page=1&per_page=2")
    by_cursor = world.get("gp", next_link(numbered))

    assert set(numbered.json) == {"items", "total", "page", "per_page"} and numbered.json["total"] == 3
    assert set(by_cursor.json) == {"items", "per_page"} and len(by_cursor.json["items"]) == 1
    assert next_link(by_cursor) is None


def test_an_empty_cursor_starts_the_list_without_counting_it(world):
    for _ in range(3):
        world.create_referral("gp")

    first = world.get("gp", "/api/v1/referrals?cursor=&per_page=2")
    pages = walk(world, "gp", "/api/v1/referrals?cursor=&per_page=2")

    assert set(first.json) == {"items", "per_page"}
    assert flat(pages) == in_full(world, "gp", "/api/v1/referrals")


def test_the_cursor_carries_no_identity_number(world):
    body = world.referral_body()
    world.post("gp", "/api/v1/referrals", json=body)
    world.create_referral("gp")

    link = next_link(world.get("gp", "/api/v1/referrals?per_page=1"))

    assert body["child"]["national_id"] not in link
    assert body["child"]["national_id"][:6] not in link


def test_another_users_cursor_shows_nothing_of_theirs(world):
    mine = {world.create_referral("gp")["id"] for _ in range(3)}
    link = next_link(world.get("gp", "/api/v1/referrals?per_page=1"))

    response = world.get("nurse_askoy", link)

    assert response.status_code == 422 and "cursor" in response.json["errors"]
    assert not any(referral_id in response.get_data(as_text=True) for referral_id in mine)


def test_a_changed_cursor_is_refused(world):
    for _ in range(2):
        world.create_referral("gp")
    link = next_link(world.get("gp", "/api/v1/referrals?per_page=1"))
    cursor = link.split("cursor=")[1]
    tampered = link.replace(cursor, ("A" if cursor[0] != "A" else "B") + cursor[1:])

    assert world.get("gp", tampered).status_code == 422


def test_a_cursor_is_good_only_for_the_filters_it_was_made_for(world):
    for _ in range(2):
        world.create_referral("gp")
    link = next_link(world.get("gp", "/api/v1/referrals?per_page=1"))

    assert world.get("gp", link + "&status=submitted").status_code == 422


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def handover_of(world, worker, *, status: str) -> str:
    """A task of the coordinator in Askøy, taken as far as `status`."""
    referral = world.referral_in("rejected")
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    steps: list[tuple[str, dict[str, Any] | None]] = {
        "open": [],
        "acknowledged": [("acknowledge", None)],
        "closed": [("acknowledge", None), ("close", {"outcome": "Fulgt opp."})],
    }[status]
    for action, body in steps:
        response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}", json=body)
        assert response.status_code == 200, response.json
    return handover_id


def test_the_coordinator_walks_open_and_closed_tasks_without_missing_or_repeating_one(world, worker):
    tasks = [handover_of(world, worker, status=status)
             for status in ("closed", "open", "acknowledged", "closed", "open", "closed", "acknowledged")]

    pages = walk(world, "coordinator_askoy", "/api/v1/handovers?per_page=2")

    assert sorted(flat(pages)) == sorted(tasks)
    assert flat(pages) == in_full(world, "coordinator_askoy", "/api/v1/handovers")
    statuses = {item["id"]: item["status"] for item in world.get(
        "coordinator_askoy", "/api/v1/handovers?per_page=200").json["items"]}
    assert statuses[flat(pages)[0]] == "open"  # new tasks before the rest, as on page numbers


def test_the_municipality_of_another_child_walks_none_of_these_tasks(world, worker):
    for status in ("open", "closed", "open"):
        handover_of(world, worker, status=status)

    assert flat(walk(world, "coordinator_bergen", "/api/v1/handovers?per_page=1")) == []


def test_the_alert_inbox_walks_unread_then_read_alerts(world, worker):
    for status in ("open", "open", "open"):
        handover_of(world, worker, status=status)
    alerts = in_full(world, "coordinator_askoy", "/api/v1/alerts")
    assert len(alerts) >= 3
    world.post("coordinator_askoy", f"/api/v1/alerts/{alerts[0]}/read")

    pages = walk(world, "coordinator_askoy", "/api/v1/alerts?per_page=1")

    assert flat(pages) == in_full(world, "coordinator_askoy", "/api/v1/alerts")
    assert flat(pages)[-1] == alerts[0]  # read, so after every unread one
    assert world.get("coordinator_askoy", "/api/v1/alerts").json["unread"] == len(alerts) - 1


def test_the_webs_page_numbers_stop_counting_a_long_list(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.referrals.PER_PAGE", 1)
    monkeypatch.setattr("referral_service.services.pagination.COUNT_CAP", 2)
    for _ in range(5):
        world.create_referral("gp")
    client, _token = signed_in(app, "gp")

    first = client.get("/henvisninger").get_data(as_text=True)
    assert "Viser 1–1 av mer enn 2." in first and 'href="/henvisninger?side=2"' in first
    last = client.get("/henvisninger?side=5").get_data(as_text=True)
    assert "Viser 5–5 av 5." in last and "Neste side" not in last
