"""A FHIR subscription's life beyond its notifications, on both databases: when it can no longer be served (its
notification given up, the user who created it deactivated) it goes to `error` with the reason and the
administrators and its organisation's leads are told once; a Task change costs the same whatever the number of
subscriptions it has nothing to do with; only a real change of a Task is told (not a check-in's reminder), and an
escalation moves the handover Task's version."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.alert import Alert
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.organisation import User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.subscription import FhirSubscription, SubscriptionNotification
from referral_service.services.fhir.subscription_errors import SUBSCRIPTION_ERROR
from referral_service.services.loop.sweeps import run_sweeps
from tests.integration.test_check_ins import DUE, at, closed_handover
from tests.integration.test_fhir_subscriptions import REJECTION, real_post, subscribe
from tests.integration.test_web_decisions import WebUser
from tests.support.fhir import fhir_get, validated
from tests.support.loop import InProcessWorker
from tests.support.rest_hook import RestHookReceiver

#: Told of a subscription in error: every administrator, and the leads of the organisation that owns it.
TOLD = ("admin", "lead_gp")
NOT_TOLD = ("gp", "bup", "lead_askoy", "coordinator_askoy")


def error_alerts(world, who: str) -> list[dict]:
    return [a for a in world.get(who, "/api/v1/alerts?per_page=200").json["items"] if a["kind"] == SUBSCRIPTION_ERROR]


def notifications(world) -> list[SubscriptionNotification]:
    with world.app.extensions["referral_db"].session() as session:
        return list(session.exec(select(SubscriptionNotification).order_by(SubscriptionNotification.event_number)))


def dead_endpoint() -> str:
    dead = RestHookReceiver()
    url = dead.url
    dead.close()  # nothing listens there any more
    return url


@pytest.fixture
def gp_comes_back(world) -> Iterator[None]:
    """The GP the test deactivates is active again after it, with a fresh token (users outlive a test)."""
    yield
    with world.app.extensions["referral_db"].session() as session:
        session.get(User, world.users["gp"].id).active = True
        session.commit()
    world._tokens.pop("gp", None)


def assert_told_once(world, subscription_id: str, *, gone: str | None = None) -> None:
    for who in TOLD:
        [alert] = error_alerts(world, who)
        assert alert["message"] and "FHIR-abonnement" in alert["message"]
    for who in (w for w in NOT_TOLD if w != gone):
        assert error_alerts(world, who) == [], who
    with world.app.extensions["referral_db"].session() as session:
        alerts = session.exec(select(Alert).where(Alert.kind == SUBSCRIPTION_ERROR)).all()
        outbox = session.exec(select(OutboxMessage)).all()
    assert {a.dedupe_key.rsplit(":", 1)[0] for a in alerts} == {f"subscription:{subscription_id}:error"}
    mailed = {m.payload.get("alert_id") for m in outbox}
    assert {a.id for a in alerts} <= mailed  # each alert's e-mail leaves through the outbox


def test_a_given_up_notification_puts_the_subscription_in_error_and_tells_the_admins_and_leads_once(
        world, clock, monkeypatch):
    config = dependencies(world.app).config
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS", 60.0)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS", 600.0)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS", 1.0)
    sub_id = subscribe(world, "gp", dead_endpoint())
    worker = InProcessWorker(world.app, fhir_post=real_post)
    world.referral_in("submitted")
    world.referral_in("submitted")  # a second notification given up in the same window: still one alert each

    worker.run_retries(clock)

    # The first is given up; what still waited is cancelled once the subscription is in error.
    assert [n.state for n in notifications(world)][0] == "failed" and len(notifications(world)) >= 2
    assert {n.state for n in notifications(world)} <= {"failed", "cancelled"}
    shown = validated(fhir_get(world, "gp", f"Subscription/{sub_id}"), "Subscription")
    assert shown["status"] == "error"
    assert "Notification 1 was given up" in shown["error"]
    assert "No later Task changes are written" in shown["error"]  # the subscriber knows what it means
    assert_told_once(world, sub_id)


def test_deactivating_the_user_who_subscribed_puts_the_subscription_in_error_and_tells_the_admins_and_leads(
        world, gp_comes_back):
    sub_id = subscribe(world, "gp", "http://127.0.0.1:9/hook")
    referral = world.referral_in("submitted")

    response = world.post("admin", f"/api/v1/admin/users/{world.users['gp'].id}/deactivate", json={"to_queue": True})
    assert response.status_code == 200, response.json
    assert response.json["moved"]["fhir_subscriptions"] == 1

    shown = validated(fhir_get(world, "lead_gp", f"Subscription/{sub_id}"), "Subscription")
    assert shown["status"] == "error"
    assert "was deactivated" in shown["error"]
    assert shown["meta"]["versionId"] == "2"
    assert_told_once(world, sub_id, gone="gp")
    before = len(notifications(world))
    world.act("bup", referral["id"], "reject", REJECTION)
    assert len(notifications(world)) == before  # nothing more is written for it, and it says so


def test_a_subscriber_gone_without_the_staff_service_is_found_at_the_next_change(world, gp_comes_back):
    sub_id = subscribe(world, "gp", "http://127.0.0.1:9/hook")
    referral = world.referral_in("submitted")
    with world.app.extensions["referral_db"].session() as session:
        session.get(User, world.users["gp"].id).active = False
        session.commit()

    world.act("bup", referral["id"], "reject", REJECTION)

    shown = fhir_get(world, "lead_gp", f"Subscription/{sub_id}")
    assert shown["status"] == "error" and "no longer uses the service" in shown["error"]
    assert_told_once(world, sub_id, gone="gp")


@contextmanager
def counted_statements(world) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = world.app.extensions["referral_db"].engine

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_task_change_costs_the_same_with_forty_unrelated_subscriptions(world):
    first, second = world.referral_in("submitted"), world.referral_in("submitted")
    with counted_statements(world) as without:
        world.act("bup", first["id"], "reject", REJECTION)

    subscribers = ("gp", "bup", "bup2", "coordinator_askoy", "lead_askoy", "lead_gp", "lead_bergen", "admin")
    for n in range(40):  # by many users of many organisations, each for a Task this change is not about
        subscribe(world, subscribers[n % len(subscribers)], "http://127.0.0.1:9/hook",
                  criteria=f"Task?_id={uuid.uuid4()}")
    with counted_statements(world) as beside_forty:
        world.act("bup", second["id"], "reject", REJECTION)

    assert len(beside_forty) - len(without) <= 2, (len(without), len(beside_forty))
    assert notifications(world) == []


def test_a_check_in_reminder_tells_nothing_and_an_escalation_moves_the_handover_tasks_version(world, clock,
                                                                                              request):
    receiver = RestHookReceiver()
    request.addfinalizer(receiver.close)
    worker = InProcessWorker(world.app, fhir_post=real_post)
    subscribe(world, "coordinator_askoy", receiver.url)
    handover = closed_handover(world, worker, clock)
    told = len(notifications(world))
    deps = dependencies(world.app)

    clock.set(at(DUE, 7))  # the check-in is due: its holder is reminded (a mark on the handover)
    run_sweeps(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)
    with world.app.extensions["referral_db"].session() as session:
        reminders = session.exec(select(DeadlineMark).where(DeadlineMark.handover_id == handover["id"])).all()
    assert reminders  # the reminder was recorded ...
    assert len(notifications(world)) == told  # ... and the Task did not change: nothing is told

    opened = world.referral_in("rejected")
    worker.run()
    with world.app.extensions["referral_db"].session() as session:
        task = session.exec(select(Handover).where(Handover.referral_id == opened["id"])).one()
    before = fhir_get(world, "coordinator_askoy", f"Task/{task.id}")["meta"]["versionId"]
    told = len(notifications(world))
    clock.set(clock() + timedelta(days=14))  # long past the acknowledgement's deadline: the task escalates
    run_sweeps(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)

    after = validated(fhir_get(world, "coordinator_askoy", f"Task/{task.id}"), "Task")
    assert int(after["meta"]["versionId"]) > int(before)  # the escalated Task has a new version (and ETag)
    assert len(notifications(world)) > told
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(FhirSubscription)).one().status == "active"


def test_the_administrators_see_a_stopped_subscription_in_norwegian_without_its_secret_and_its_changes_are_logged(
        world, gp_comes_back):
    sub_id = subscribe(world, "gp", "http://127.0.0.1:9/hook?token=geheim")
    other = subscribe(world, "lead_gp", "http://127.0.0.1:9/other")
    assert world.client.delete(f"/fhir/Subscription/{other}", headers=world.headers("lead_gp")).status_code == 204
    world.post("admin", f"/api/v1/admin/users/{world.users['gp'].id}/deactivate", json={"to_queue": True})

    drift = WebUser(world.app, "admin").get("/admin/drift").text()
    assert "FHIR-varslinger som venter på nytt forsøk" in drift
    assert "bruker ikke lenger tjenesten" in drift and sub_id[:8] in drift
    assert "http://127.0.0.1:9/hook" in drift and "geheim" not in drift

    logged = {(e["target_id"], e["action"]): e for e in world.get("admin", "/api/v1/admin/events?per_page=100")
              .json["items"] if e["action"].startswith("fhir_subscription")}
    assert set(logged) == {(sub_id, "fhir_subscription_created"), (other, "fhir_subscription_created"),
                           (other, "fhir_subscription_turned_off")}
    created = logged[(sub_id, "fhir_subscription_created")]
    assert created["actor_user_id"] == world.users["gp"].id
    assert created["after"]["endpoint"] == "http://127.0.0.1:9/hook?…"
    assert logged[(other, "fhir_subscription_turned_off")]["after"]["status"] == "off"
    assert "geheim" not in repr(logged)


def set_active(world, who: str, active: bool) -> None:
    with world.app.extensions["referral_db"].session() as session:
        session.get(User, world.users[who].id).active = active
        session.commit()


def test_the_owner_sets_a_subscription_in_error_active_again_and_a_later_error_alerts_again(world, gp_comes_back):
    sub_id = subscribe(world, "gp", "http://127.0.0.1:9/hook")
    first, second, third = (world.referral_in("submitted") for _ in range(3))
    set_active(world, "gp", False)
    world.act("bup", first["id"], "reject", REJECTION)
    stopped = fhir_get(world, "lead_gp", f"Subscription/{sub_id}")
    assert stopped["status"] == "error"
    told = len(notifications(world))

    set_active(world, "gp", True)
    world._tokens.pop("gp", None)
    body = {**stopped, "status": "active"}
    moved_endpoint = {**body, "channel": {**body["channel"], "endpoint": "http://127.0.0.1:9/elsewhere"}}
    assert world.client.put(f"/fhir/Subscription/{sub_id}", json=moved_endpoint,
                            headers=world.headers("gp")).status_code == 422
    assert world.client.put(f"/fhir/Subscription/{sub_id}", json=body, headers=world.headers("bup")).status_code == 404
    response = world.client.put(f"/fhir/Subscription/{sub_id}", json=body, headers=world.headers("gp"))
    assert response.status_code == 200, response.get_data(as_text=True)
    active = validated(response.get_json(), "Subscription")
    assert active["status"] == "active" and "error" not in active
    assert int(active["meta"]["versionId"]) == int(stopped["meta"]["versionId"]) + 1
    [logged] = [e for e in world.get("admin", f"/api/v1/admin/events?target_id={sub_id}").json["items"]
                if e["action"] == "fhir_subscription_reactivated"]
    assert logged["before"]["status"] == "error" and logged["after"]["status"] == "active"

    world.act("bup", second["id"], "reject", REJECTION)
    assert len(notifications(world)) == told + 1  # told again from now on

    set_active(world, "gp", False)  # it stops again: a new time in error, a new alert
    world.act("bup", third["id"], "reject", REJECTION)
    assert fhir_get(world, "lead_gp", f"Subscription/{sub_id}")["status"] == "error"
    assert len(error_alerts(world, "admin")) == 2

    assert world.client.delete(f"/fhir/Subscription/{sub_id}", headers=world.headers("lead_gp")).status_code == 204
    set_active(world, "gp", True)
    world._tokens.pop("gp", None)
    refused = world.client.put(f"/fhir/Subscription/{sub_id}", json=body, headers=world.headers("gp"))
    assert refused.status_code == 409
