"""An alert is done when the task it points to is done: acknowledging a handover settles the alerts that asked
for it, closing the task settles every alert about it (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.loop import InProcessWorker


def unread(world, who: str, handover_id: str) -> list[str]:
    items = world.get(who, "/api/v1/alerts?unread=true&per_page=200").json["items"]
    return [a["kind"] for a in items if a["handover_id"] == handover_id]


def test_acknowledging_and_closing_the_task_settles_its_alerts(app, world):
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    hid = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    assert unread(world, "coordinator_askoy", hid) == ["handover_created"]
    assert unread(world, "gp", hid) == ["referral_decision"]

    assert world.post("coordinator_askoy", f"/api/v1/handovers/{hid}/acknowledge").status_code == 200
    assert unread(world, "coordinator_askoy", hid) == []
    assert unread(world, "gp", hid) == ["referral_decision"]  # the GP's news is not the coordinator's to settle

    assert world.post("coordinator_askoy", f"/api/v1/handovers/{hid}/close",
                      json={"outcome": "Følges opp av kommunepsykologen."}).status_code == 200
    assert unread(world, "gp", hid) == []
