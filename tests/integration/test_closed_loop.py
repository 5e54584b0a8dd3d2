"""DESIGN.md rule 1: every rejected, discharged or late-withdrawn child gets exactly one handover
in the home municipality, and its coordinators are alerted. Background work runs in-process here;
test_workers_* run the same with real worker processes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.support.loop import InProcessWorker


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def handovers_for(app, referral_id: str) -> list[Handover]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(Handover).where(Handover.referral_id == referral_id)))


def alert_count(app, **filters) -> int:
    with app.extensions["referral_db"].session() as session:
        query = select(func.count()).select_from(Alert)
        for name, value in filters.items():
            query = query.where(getattr(Alert, name) == value)
        return session.exec(query).one()


def test_a_rejection_gives_one_handover_in_the_home_municipality_and_alerts_its_coordinator(world, worker, app):
    referral = world.referral_in("rejected")
    assert handovers_for(app, referral["id"]) == []  # nothing happens inside the request
    worker.run()
    [handover] = handovers_for(app, referral["id"])
    assert handover.municipality_number == "4627" and handover.municipality_org_id == world.orgs["askoy"].id
    assert handover.trigger == "rejected" and handover.status == "open"
    assert handover.content["municipal_advice"] == "Tilbud hos kommunepsykolog."
    alerts = world.get("coordinator_askoy", "/api/v1/alerts").json
    assert [a["handover_id"] for a in alerts["items"]] == [handover.id] and alerts["unread"] == 1
    assert "Ola" not in alerts["items"][0]["message"]
    assert world.get("coordinator_bergen", "/api/v1/alerts").json["items"] == []
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"] == handover.id


@pytest.mark.parametrize("status, trigger", [("discharged", "discharged"), ("rejected", "rejected")])
def test_discharge_and_rejection_both_close_the_loop(world, worker, app, status, trigger):
    referral = world.referral_in(status)
    worker.run()
    [handover] = handovers_for(app, referral["id"])
    assert handover.trigger == trigger


@pytest.mark.parametrize("before", ["accepted", "in_treatment"])
def test_a_withdrawal_after_acceptance_gives_a_handover(world, worker, app, before):
    referral = world.referral_in(before)
    world.act("bup", referral["id"], "withdraw", {"reason": "Familien ønsker det."})
    worker.run()
    [handover] = handovers_for(app, referral["id"])
    assert handover.trigger == "withdrawn"


@pytest.mark.parametrize("before", ["draft", "submitted", "information_requested"])
def test_a_withdrawal_before_acceptance_gives_no_handover(world, worker, app, before):
    referral = world.referral_in(before)
    world.act("gp", referral["id"], "withdraw", {"reason": "Ikke lenger aktuelt."})
    worker.run()
    assert handovers_for(app, referral["id"]) == []


def test_without_consent_to_the_municipality_the_task_goes_to_the_referrer_only(world, worker, app):
    referral = world.create_referral("gp", consent={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "wrong_service", "explanation": "Annen instans.",
                                                "municipal_advice": "Ta kontakt med helsestasjonen."})
    worker.run()
    [handover] = handovers_for(app, referral["id"])
    assert handover.addressed_to == "referrer" and handover.content["municipal_contacts"] == []
    assert world.get("coordinator_askoy", "/api/v1/alerts").json["items"] == []
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 404
    # The referring GP office owns the follow-up: its referrer is asked to act on the task, once.
    assert handover.owner_org_id == world.orgs["gp"].id and handover.owner_reason == "no_municipal_consent"
    gp_alerts = world.get("gp", "/api/v1/alerts").json["items"]
    assert [(a["kind"], a["handover_id"]) for a in gp_alerts] == [("handover_created", handover.id)]
    assert world.post("gp", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200


def test_the_same_message_delivered_twice_changes_nothing_the_second_time(world, worker, app):
    referral = world.referral_in("rejected")
    worker.relay()
    deliveries = list(worker.queue)
    for topic, message_id in deliveries + deliveries:
        worker.process(topic, message_id)
    worker.run()
    assert len(handovers_for(app, referral["id"])) == 1
    assert alert_count(app, user_id=world.users["coordinator_askoy"].id) == 1


def test_the_reconciler_repairs_a_handover_whose_message_was_lost(world, worker, app, clock):
    referral = world.referral_in("rejected")
    worker.relay()
    worker.queue.clear()  # the broker lost every message
    with app.extensions["referral_db"].session() as session:
        deps = dependencies(app)
        # too early to interfere:
        assert reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                         grace=timedelta(hours=1)).total == 0
        repairs = reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                            grace=timedelta(0))
    assert repairs.missing_handovers == 1
    assert len(handovers_for(app, referral["id"])) == 1
    assert alert_count(app, user_id=world.users["coordinator_askoy"].id) == 1
    worker.run()  # the re-sent messages find the work done
    assert len(handovers_for(app, referral["id"])) == 1


def test_the_reconciler_sends_stuck_messages_back_to_the_relay(world, worker, app):
    world.referral_in("submitted")
    worker.relay()
    worker.queue.clear()
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=dependencies(app).clock,
                            deadlines=dependencies(app).deadlines, grace=timedelta(0))
    assert repairs.stuck_messages == 2  # the create and submit events
    worker.run()
    assert worker.pending_outbox() == []


def test_alert_emails_are_sent_once_and_say_nothing_about_the_child(world, app):
    worker = InProcessWorker(app)
    world.referral_in("rejected")
    worker.run()
    worker.run()
    recipients = [m["To"] for m in worker.mailer.sent]
    # The coordinator who owns the task, the GP who referred, and the school nurse named as the child's contact.
    assert sorted(recipients) == sorted({"koordinator@askoy.example", "fastlege@askoy.example",
                                         "helsesykepleier@askoy.example"})
    for message in worker.mailer.sent:
        text = message.get_content()
        assert "Ola" not in text and "Testesen" not in text and "/varsler" in text


def test_a_failing_mail_server_is_retried_and_then_marked_failed_and_admins_are_told(world, app, clock):
    from referral_service.notify.mailer import FakeMailer

    worker = InProcessWorker(app, mailer=FakeMailer(fail_times=10**6))
    world.referral_in("rejected")
    worker.run_retries(clock)  # through the retry window (a day), attempt by attempt
    with app.extensions["referral_db"].session() as session:
        coordinator_alert = session.exec(select(Alert).where(
            Alert.user_id == world.users["coordinator_askoy"].id)).one()
    assert coordinator_alert.email_state == "failed" and coordinator_alert.email_attempts > 3
    admin_alerts = world.get("admin", "/api/v1/alerts").json["items"]
    assert {a["kind"] for a in admin_alerts} == {"alert_delivery_failed"}
    operations = world.get("admin", "/api/v1/admin/operations").json
    assert operations["alerts_failed"] >= 2 and operations["outbox_unprocessed"] == 0
    assert world.get("coordinator_askoy", "/api/v1/alerts").json["unread"] == 1  # still in the inbox


def test_a_transient_mail_failure_is_retried_until_it_is_sent(world, app, clock):
    from referral_service.notify.mailer import FakeMailer

    worker = InProcessWorker(app, mailer=FakeMailer(fail_times=2))
    world.referral_in("rejected")
    worker.run_retries(clock)
    with app.extensions["referral_db"].session() as session:
        states = set(session.exec(select(Alert.email_state)).all())
    assert states == {"sent"}


def test_operations_view_shows_the_backlog_to_administrators_only(world, app):
    world.referral_in("submitted")
    operations = world.get("admin", "/api/v1/admin/operations")
    assert operations.status_code == 200
    assert operations.json["outbox_pending"] == 2 and operations.json["oldest_pending_seconds"] >= 0
    assert world.get("gp", "/api/v1/admin/operations").status_code == 403


def test_every_decision_writes_its_outbox_row_in_the_same_transaction(world, app):
    referral = world.referral_in("rejected")
    with app.extensions["referral_db"].session() as session:
        events = session.exec(select(ReferralEvent.id).where(ReferralEvent.referral_id == referral["id"])).all()
        messages = session.exec(select(OutboxMessage.event_id).where(OutboxMessage.event_id.in_(events))).all()
    assert sorted(events) == sorted(messages)


def test_the_handover_is_due_in_working_days_from_its_creation(world, worker, app, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 3, 31, 8, tzinfo=UTC))  # Tuesday before Easter
    referral = world.referral_in("rejected")
    worker.run()
    [handover] = handovers_for(app, referral["id"])
    assert handover.acknowledge_due == date(2026, 4, 7)  # Wed 1 Apr, (Easter), Tue 7 Apr
    assert handover.first_contact_due == date(2026, 4, 17)
