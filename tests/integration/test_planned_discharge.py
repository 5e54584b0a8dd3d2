"""BUP plans a discharge three weeks ahead: the handover opens ten working days before the day (`sweep --at`),
the municipality can take over on the day, and the discharge itself completes that same handover: one per
referral episode (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from referral_service.bootstrap import dependencies
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.integration.test_closed_loop import handovers_for
from tests.integration.test_sweeps import alerts, logged_in_before_the_clock_moves, sweep, worker

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
THURSDAY = datetime(2026, 10, 8, 9, tzinfo=OSLO)
DISCHARGE_DAY = "2026-11-09"  # a Monday; ten working days before it is Monday 26 October


def test_a_planned_discharge_opens_the_handover_ahead_and_the_discharge_completes_it(
        app, world, worker, clock, sweep):
    clock.set(THURSDAY)
    rid = world.referral_in("in_treatment")["id"]
    assert world.act("bup", rid, "plan-discharge", {"planned_discharge_on": DISCHARGE_DAY})["status"] == "in_treatment"
    worker.run()

    sweep("2026-10-23T09:00:00+02:00")  # eleven working days before: not yet
    assert handovers_for(app, rid) == []
    sweep("2026-10-26T09:00:00+02:00")  # ten working days before
    [opened] = handovers_for(app, rid)
    assert opened.trigger == "discharged" and opened.content["planned_discharge_on"] == DISCHARGE_DAY
    assert [a["handover_id"] for a in alerts(world, "coordinator_askoy", "handover_created")] == [opened.id]
    sweep("2026-10-27T09:00:00+02:00")  # still one
    assert len(handovers_for(app, rid)) == 1

    clock.set(datetime(2026, 11, 9, 10, tzinfo=OSLO))
    world.act("bup", rid, "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler i kommunen.",
                                        "epikrise_sent": True})
    worker.run()
    [completed] = handovers_for(app, rid)
    assert completed.id == opened.id
    assert completed.content["summary"] == "Bedre." and completed.content["follow_up_recommendations"]
    deps = dependencies(app)
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                            grace=timedelta(0))
    assert repairs.missing_handovers == 0  # the discharge is the task's trigger now: nothing looks lost
    task = world.get("coordinator_askoy", f"/api/v1/handovers/{completed.id}").json
    assert [e["action"] for e in task["events"]][-1] == "discharge"


def test_a_discharge_cannot_be_planned_for_a_day_that_has_come(world, clock):
    clock.set(THURSDAY)
    rid = world.referral_in("in_treatment")["id"]
    response = world.post("bup", f"/api/v1/referrals/{rid}/plan-discharge", json={"planned_discharge_on": "2026-10-08"})
    assert response.status_code == 422 and "planned_discharge_on" in response.json["errors"]
