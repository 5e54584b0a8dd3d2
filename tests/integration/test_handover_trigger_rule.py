"""The handover trigger rule lives in one table (workflows.referral_lifecycle.HANDOVER_TRIGGERS) and is stored on
the event by the decision. Change the table alone, and the worker, the reconciler and the dashboard all follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.enums import HandoverTrigger, ReferralAction, ReferralStatus
from referral_service.domain.handover import Handover
from referral_service.domain.referral import ReferralEvent
from referral_service.services.admin.auth import actor_for_user
from referral_service.services.dashboard import build_dashboard, default_period
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import referral_lifecycle
from tests.support.loop import InProcessWorker

BUP_WITHDRAWS_BEFORE_ACCEPTING = (ReferralStatus.SUBMITTED, ReferralAction.WITHDRAW)


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def withdrawn_before_acceptance(world) -> str:
    """A submitted referral withdrawn before BUP accepted it (by the referrer: BUP itself may not while it
    assesses, README "Using the API")."""
    rid = world.referral_in("submitted")["id"]
    world.act("gp", rid, "withdraw", {"reason": "Hjelpen hører hjemme i kommunen."})
    return rid


def stored_trigger(app, referral_id: str) -> str | None:
    with app.extensions["referral_db"].session() as session:
        return session.exec(select(ReferralEvent.handover_trigger).where(
            ReferralEvent.referral_id == referral_id, ReferralEvent.action == ReferralAction.WITHDRAW)).one()


def handover_triggers(app, referral_ids: list[str]) -> list[str]:
    with app.extensions["referral_db"].session() as session:
        return sorted(session.exec(select(Handover.trigger).where(Handover.referral_id.in_(referral_ids))).all())


def handovers_on_the_dashboard(world, app) -> float | None:
    deps = dependencies(app)
    actor = actor_for_user(world.users["admin"], world.orgs["operator"])
    with app.extensions["referral_db"].session() as session:
        dashboard = build_dashboard(session, clock=deps.clock, calendar=deps.calendar, actor=actor,
                                    period=default_period(deps.clock.today()))
    return dashboard.handovers.created.value


def test_without_a_row_in_the_table_a_withdrawal_before_acceptance_hands_nothing_over(world, worker, app):
    rid = withdrawn_before_acceptance(world)
    worker.run()
    with app.extensions["referral_db"].session() as session:
        assert reconcile(SqlUnitOfWork.on(session), clock=dependencies(app).clock,
                         deadlines=dependencies(app).deadlines, grace=timedelta(0)).missing_handovers == 0
    assert stored_trigger(app, rid) is None
    assert handover_triggers(app, [rid]) == []


def test_a_new_row_in_the_trigger_table_is_followed_by_the_worker_the_reconciler_and_the_dashboard(
        world, worker, app, monkeypatch):
    monkeypatch.setitem(referral_lifecycle.HANDOVER_TRIGGERS, BUP_WITHDRAWS_BEFORE_ACCEPTING,
                        HandoverTrigger.WITHDRAWN)

    by_worker = withdrawn_before_acceptance(world)
    worker.run()
    assert stored_trigger(app, by_worker) == HandoverTrigger.WITHDRAWN
    assert handover_triggers(app, [by_worker]) == ["withdrawn"]

    lost = [withdrawn_before_acceptance(world), withdrawn_before_acceptance(world)]
    worker.relay()
    worker.queue.clear()  # the broker lost these messages: only the reconciler can find them
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=dependencies(app).clock,
                            deadlines=dependencies(app).deadlines, grace=timedelta(0))
    assert repairs.missing_handovers == 2
    assert handover_triggers(app, lost) == ["withdrawn", "withdrawn"]

    assert handovers_on_the_dashboard(world, app) == 3
