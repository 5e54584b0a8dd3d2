"""The web's lists go on to further pages instead of stopping at a fixed number of rows."""

from __future__ import annotations

import re

from tests.integration.test_web_reveal import signed_in
from tests.support.loop import InProcessWorker


def rows(html: str) -> int:
    return len(re.findall(r'href="/henvisninger/[0-9a-f-]{36}"', html))


def test_my_referrals_show_every_referral_over_several_pages(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.referrals.PER_PAGE", 2)
    for _ in range(5):
        world.create_referral("gp")
    client, _token = signed_in(app, "gp")

    first = client.get("/henvisninger").get_data(as_text=True)
    assert rows(first) == 2 and "Viser 1–2 av 5." in first and "Side 1 av 3" in first
    assert 'href="/henvisninger?side=2"' in first and "Forrige side" not in first
    last = client.get("/henvisninger?side=3").get_data(as_text=True)
    assert rows(last) == 1 and "Viser 5–5 av 5." in last and "Neste side" not in last


def test_the_status_filter_is_kept_from_page_to_page(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.referrals.PER_PAGE", 1)
    for _ in range(2):
        world.create_referral("gp")
    client, _token = signed_in(app, "gp")

    first = client.get("/henvisninger?status=draft").get_data(as_text=True)
    assert "side=2" in first and "status=draft" in first.split("Neste side")[0].rsplit("<a", 1)[1]


def test_a_page_number_that_is_not_a_number_shows_the_first_page(world, app):
    world.create_referral("gp")
    client, _token = signed_in(app, "gp")

    response = client.get("/henvisninger?side=abc")
    assert response.status_code == 200 and rows(response.get_data(as_text=True)) == 1


def test_the_municipalitys_handover_list_goes_on_to_further_pages(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.handovers.PER_PAGE", 1)
    world.referral_in("rejected")
    world.referral_in("rejected")
    InProcessWorker(app).run()
    client, _token = signed_in(app, "coordinator_askoy")

    first = client.get("/tilbakehenvisninger").get_data(as_text=True)
    assert "Viser 1–1 av 2." in first and 'href="/tilbakehenvisninger?side=2"' in first
