"""A child waiting for BUP with no one named in the municipality: after a set number of working days the home
municipality's coordinators are alerted (within the consent), otherwise the referrer; the referring side can
name municipal contacts after submission too (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.integration.test_sweeps import alerts, logged_in_before_the_clock_moves, sweep, worker

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 10, 5, 9, tzinfo=OSLO)  # fifteen working days later is Monday 26 October
KIND = "waiting_without_municipal_helper"


def waiting(world, clock, **referral) -> str:
    clock.set(MONDAY)
    rid = world.create_referral("gp", municipal_contacts=[], **referral)["id"]
    world.act("gp", rid, "submit")
    return rid


def test_a_child_waiting_alone_is_brought_to_the_municipalitys_attention_once(world, clock, sweep):
    rid = waiting(world, clock)
    sweep("2026-10-23T09:00:00+02:00")  # fourteen working days: not yet
    assert alerts(world, "coordinator_askoy", KIND) == []
    sweep("2026-10-26T09:00:00+02:00")
    sweep("2026-10-27T09:00:00+02:00")
    assert [a["referral_id"] for a in alerts(world, "coordinator_askoy", KIND)] == [rid]
    assert alerts(world, "gp", KIND) == []


def test_without_municipal_consent_the_referrer_is_told_instead(world, clock, sweep):
    rid = waiting(world, clock, consent={"given_by": ["guardian"], "share_with": ["bup"]})
    sweep("2026-10-26T09:00:00+02:00")
    assert alerts(world, "coordinator_askoy", KIND) == []
    assert [a["referral_id"] for a in alerts(world, "gp", KIND)] == [rid]


def test_a_contact_named_after_submission_means_the_child_is_not_alone(world, clock, sweep):
    rid = waiting(world, clock)
    response = world.client.put(f"/api/v1/referrals/{rid}/municipal-contacts", headers=world.headers("gp"), json={
        "municipal_contacts": [{"role": "Helsesykepleier", "name": "Heidi Helsesykepleier",
                                "organisation_id": world.orgs["school_askoy"].id}]})
    assert response.status_code == 200, response.json
    assert [c["name"] for c in response.json["municipal_contacts"]] == ["Heidi Helsesykepleier"]
    assert "update-municipal-contacts" in [e["action"] for e in world.get(
        "gp", f"/api/v1/referrals/{rid}/events").json["items"]]
    sweep("2026-10-26T09:00:00+02:00")
    assert alerts(world, "coordinator_askoy", KIND) == [] and alerts(world, "gp", KIND) == []
