"""A discharge without an epikrise: the handover is flagged, BUP is alerted, reminded each working day
(`sweep --at`) until it records the epikrise as sent, and Oversikt counts it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.integration.test_loop_edge_cases import only_handover
from tests.integration.test_sweeps import alerts, logged_in_before_the_clock_moves, sweep, worker
from tests.integration.test_web_decisions import WebUser

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
THURSDAY = datetime(2026, 10, 8, 9, tzinfo=OSLO)


def discharged(world, worker, clock, *, epikrise_sent: bool) -> str:
    clock.set(THURSDAY)
    rid = world.referral_in("in_treatment")["id"]
    world.act("bup", rid, "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.",
                                        "epikrise_sent": epikrise_sent})
    worker.run()
    return rid


def reminders(world, rid: str) -> list[dict]:
    return [a for a in alerts(world, "bup", "epikrise_reminder") if a["referral_id"] == rid]


def test_a_discharge_without_an_epikrise_is_flagged_and_bup_is_reminded_until_it_is_sent(
        app, world, worker, clock, sweep):
    rid = discharged(world, worker, clock, epikrise_sent=False)
    handover = only_handover(app, rid)
    task = world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").json
    assert task["epikrise_missing"] is True
    assert "Epikrise mangler" in WebUser(app, "coordinator_askoy").get(f"/tilbakehenvisninger/{handover.id}").text()
    assert [a["referral_id"] for a in alerts(world, "bup", "epikrise_missing")] == [rid]

    sweep("2026-10-08T15:00:00+02:00")  # the same day: the alert was the day's reminder
    assert reminders(world, rid) == []
    sweep("2026-10-09T09:00:00+02:00")  # Friday
    sweep("2026-10-09T10:00:00+02:00")  # again the same day: still one
    sweep("2026-10-10T09:00:00+02:00")  # Saturday: no reminder on a day off
    sweep("2026-10-12T09:00:00+02:00")  # Monday
    assert len(reminders(world, rid)) == 2

    world.act("bup", rid, "record-epikrise")
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").json["epikrise_missing"] is False
    sweep("2026-10-13T09:00:00+02:00")
    assert len(reminders(world, rid)) == 2
    assert world.post("bup", f"/api/v1/referrals/{rid}/record-epikrise").status_code == 409  # nothing left to record


def test_a_discharge_with_the_epikrise_sent_raises_no_flag_and_no_reminder(app, world, worker, clock, sweep):
    rid = discharged(world, worker, clock, epikrise_sent=True)
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{only_handover(app, rid).id}").json[
        "epikrise_missing"] is False
    sweep("2026-10-09T09:00:00+02:00")
    assert reminders(world, rid) == [] and alerts(world, "bup", "epikrise_missing") == []
    assert world.post("bup", f"/api/v1/referrals/{rid}/record-epikrise").status_code == 409


def test_oversikt_counts_the_discharges_without_an_epikrise(app, world, worker, clock):
    for sent in (False, False, False, True):
        discharged(world, worker, clock, epikrise_sent=sent)
    page = WebUser(app, "bup").get("/oversikt?fra=01.10.2026&til=31.10.2026")
    assert "Skrevet ut i perioden uten at epikrisen var sendt3" in "".join(page.text().split("\n"))
