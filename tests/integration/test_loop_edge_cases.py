"""Edge cases of the loop and of need-to-know found in review: each child keeps one owner per
referral, a task always has someone who can take it, and late decisions are recorded as breaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.outbox import OutboxMessage
from referral_service.services.loop import reconcile as reconciler
from referral_service.services.loop import relay
from referral_service.services.loop.reconcile import Repairs, reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.support.loop import InProcessWorker

GRACE = timedelta(minutes=1)


def reconcile_now(app) -> Repairs:
    deps = dependencies(app)
    with app.extensions["referral_db"].session() as session:
        return reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines, grace=GRACE)


def rejected_with_its_message_lost(world, app) -> dict:
    referral = world.referral_in("rejected")
    worker = InProcessWorker(app)
    worker.relay()
    worker.queue.clear()  # the broker lost every message
    return referral


def handover_count(app, referral_id: str) -> int:
    with app.extensions["referral_db"].session() as session:
        return len(session.exec(select(Handover).where(Handover.referral_id == referral_id)).all())


def only_handover(app, referral_id: str) -> Handover:
    with app.extensions["referral_db"].session() as session:
        [handover] = session.exec(select(Handover).where(Handover.referral_id == referral_id)).all()
        return handover


def test_another_organisations_referral_of_the_same_child_changes_nothing_in_the_first(world, app):
    body = world.referral_body()  # home Askøy
    first = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", first["id"], "submit")
    other_body = world.referral_body(home_municipality="4601")
    other_body["child"] = {**other_body["child"], "national_id": body["child"]["national_id"],
                           "given_name": "Annet", "family_name": "Navn"}
    assert world.post("nurse_bergen", "/api/v1/referrals", json=other_body).status_code == 201
    seen_by_bup = world.get("bup", f"/api/v1/referrals/{first['id']}").json["child"]
    assert (seen_by_bup["given_name"], seen_by_bup["home_municipality"]) == ("Ola", "4627")
    world.act("bup", first["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                             "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    assert only_handover(app, first["id"]).municipality_number == "4627"
    assert world.get("coordinator_bergen", f"/api/v1/referrals/{first['id']}").status_code == 404


def test_withdrawing_consent_to_the_municipality_sends_an_open_task_back_to_the_referrer(world, app):
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover = only_handover(app, referral["id"])
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 200
    changed = world.post("gp", f"/api/v1/referrals/{referral['id']}/consent",
                         json={"given_by": ["guardian"], "share_with": ["bup"]})
    assert changed.status_code == 200
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 404
    task = world.get("gp", f"/api/v1/handovers/{handover.id}").json
    assert task["addressed_to"] == "referrer" and task["content"]["municipal_contacts"] == []
    assert world.post("gp", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200


def test_a_child_from_a_municipality_not_in_the_service_is_handed_back_to_the_referrer(world, app):
    referral = world.create_referral("gp", home_municipality="0301")
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                                "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    handover = only_handover(app, referral["id"])
    assert handover.addressed_to == "referrer" and handover.municipality_number == "0301"
    assert world.post("gp", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200


def test_a_task_nobody_can_be_told_about_is_reported_to_administrators(world, app):
    referral = world.create_referral("ppt", home_municipality="4601",
                                     consent={"given_by": ["guardian"], "share_with": ["bup", "school"]})
    world.act("ppt", referral["id"], "submit")
    world.post("ppt", f"/api/v1/referrals/{referral['id']}/consent",
               json={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                                "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    assert "handover_unrouted" in {a["kind"] for a in world.get("admin", "/api/v1/alerts").json["items"]}


def test_a_co_referrer_needing_school_consent_cannot_read_a_draft_without_it(world, app):
    draft = world.create_referral("gp", home_municipality="4601")  # consent: bup and municipality only
    world.post("gp", f"/api/v1/referrals/{draft['id']}/co-referrers", json={"organisation_id": world.orgs["ppt"].id})
    assert world.get("ppt", f"/api/v1/referrals/{draft['id']}").status_code == 404


def test_an_idempotent_replay_is_logged_as_a_read(world, app):
    body = world.referral_body()
    headers = {"Idempotency-Key": "same-key"}
    first = world.post("gp", "/api/v1/referrals", json=body, headers=headers).json
    with app.extensions["referral_db"].session() as session:
        before = session.exec(select(func.count()).select_from(AccessLogEntry)).one()
    assert world.post("gp", "/api/v1/referrals", json=body, headers=headers).json["id"] == first["id"]
    with app.extensions["referral_db"].session() as session:
        assert session.exec(select(func.count()).select_from(AccessLogEntry)).one() == before + 1


def test_a_decision_after_the_deadline_is_recorded_as_a_breach_without_a_sweep(world, app, clock):
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    late = world.referral_in("submitted")
    clock.set(datetime(2026, 3, 30, 9, tzinfo=UTC))
    world.act("bup", late["id"], "accept", {"care_start_due": "2026-04-10"})
    world.act("bup", late["id"], "start-treatment", {"first_appointment_on": "2026-04-20"})
    with app.extensions["referral_db"].session() as session:
        kinds = sorted(session.exec(select(DeadlineMark.kind).where(DeadlineMark.referral_id == late["id"])).all())
    assert kinds == ["assessment_breach", "care_start_breach"]


def test_pages_with_child_data_are_never_cached(world, app):
    assert app.test_client().get("/logg-inn").headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/static/app.css").headers.get("Cache-Control", "")


# --- the reconciler reads from its checkpoint -----------------------------------------------------------------

def test_a_message_lost_after_many_quiet_reconciler_runs_is_still_repaired(world, app, clock):
    for minute in range(0, 30, 10):
        clock.set(datetime(2026, 3, 2, 9, minute, tzinfo=UTC))
        assert reconcile_now(app).total == 0
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    referral = rejected_with_its_message_lost(world, app)
    clock.set(datetime(2026, 3, 2, 9, 32, tzinfo=UTC))
    assert reconcile_now(app).missing_handovers == 1
    assert handover_count(app, referral["id"]) == 1


def test_an_event_committed_after_a_run_that_began_later_than_its_time_is_still_found(world, app, clock):
    clock.set(datetime(2026, 3, 2, 9, 31, 30, tzinfo=UTC))
    reconcile_now(app)  # checked up to 09:30:30
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))  # a decision stamped 09:30, committed only now
    referral = rejected_with_its_message_lost(world, app)
    clock.set(datetime(2026, 3, 2, 9, 33, tzinfo=UTC))
    assert reconcile_now(app).missing_handovers == 1
    assert handover_count(app, referral["id"]) == 1


def test_an_event_the_reconciler_could_not_repair_is_tried_again_by_a_later_run(world, app, clock, monkeypatch):
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    referral = rejected_with_its_message_lost(world, app)
    repair = reconciler.handle_referral_event

    def fails_once(*args, **kwargs):
        monkeypatch.setattr(reconciler, "handle_referral_event", repair)
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(reconciler, "handle_referral_event", fails_once)
    clock.set(datetime(2026, 3, 2, 9, 5, tzinfo=UTC))
    assert reconcile_now(app).missing_handovers == 0
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # long after: the checkpoint waited at the failed event
    assert reconcile_now(app).missing_handovers == 1
    assert handover_count(app, referral["id"]) == 1


def test_after_the_clock_is_set_back_the_reconciler_still_finds_a_lost_message(world, app, clock):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    reconcile_now(app)
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    referral = rejected_with_its_message_lost(world, app)
    clock.set(datetime(2026, 3, 1, 9, 5, tzinfo=UTC))
    assert reconcile_now(app).missing_handovers == 1
    assert handover_count(app, referral["id"]) == 1


def test_the_relay_hands_over_more_rows_than_one_transaction_holds_each_once_in_order(world, app, monkeypatch):
    monkeypatch.setattr(relay, "RELAY_BATCH", 2)
    for _ in range(3):
        world.referral_in("submitted")  # a create and a submit event each
    with app.extensions["referral_db"].session() as session:
        pending = session.exec(select(OutboxMessage.id).where(OutboxMessage.dispatched_at.is_(None))
                               .order_by(OutboxMessage.created_at, OutboxMessage.id)).all()
    worker = InProcessWorker(app)
    assert worker.relay() == len(pending) >= 6
    assert [message_id for _topic, message_id in worker.queue] == pending
    assert worker.relay() == 0  # nothing is handed over twice
