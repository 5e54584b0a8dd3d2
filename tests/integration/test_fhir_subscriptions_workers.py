"""Must-show 4 of issue 16 with real processes (PostgreSQL, Redis, Celery worker and beat) and a real HTTP receiver
on loopback: every Task change reaches each subscriber that may see it exactly once, across a broker outage while
the changes are made and a worker SIGKILLed while notifications wait for their next attempt; and an endpoint that
never answers ends in the terminal state a person sees (the subscription in `error`, the operations view)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import select

from referral_service.domain.handover import Handover
from referral_service.domain.referral import ReferralEvent
from referral_service.domain.subscription import FhirSubscription, SubscriptionNotification
from tests.integration.test_fhir_subscriptions import subscribe
from tests.integration.test_workers_redis import (  # noqa: F401 - the fixtures of real processes
    Loop,
    loop,
    redis_server,
    template_database,
)
from tests.support.rest_hook import RestHookReceiver, event_of, subscription_of
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

#: Quick retries: a failed POST is tried again after 0.5 s, 1 s, then every 2 s.
QUICK_RETRIES = {"REFERRAL_FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS": "0.5",
                 "REFERRAL_FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS": "2",
                 "REFERRAL_FHIR_SUBSCRIPTION_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def receiver() -> Iterator[RestHookReceiver]:
    server = RestHookReceiver()
    yield server
    server.close()


def with_env(the_loop: Loop, extra: dict[str, str]) -> None:
    plain_env = Loop.env(the_loop)
    the_loop.env = lambda: {**plain_env, **extra}  # type: ignore[method-assign]


def notifications(the_loop: Loop) -> list[SubscriptionNotification]:
    with the_loop.session() as session:
        return list(session.exec(select(SubscriptionNotification)))


def state(the_loop: Loop, receiver: RestHookReceiver) -> str:
    states = Counter((n.state, n.attempts > 1) for n in notifications(the_loop))
    return (f"notifications (state, retried): {dict(states)}, received {len(receiver.received())}, refused "
            f"{receiver.refused}, unprocessed outbox {the_loop.unprocessed()}\n{the_loop.logs()}")


@pytest.mark.timeout(150)
def test_each_task_change_reaches_each_subscriber_exactly_once_across_a_broker_outage_and_a_worker_kill(
        loop, receiver):  # noqa: F811 - the fixture imported above
    with_env(loop, {**QUICK_RETRIES, "REFERRAL_FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS": "1"})
    world = loop.world
    loop.start_beat("beat")
    first = loop.start_worker("w1")
    subscribers = {subscribe(world, who, receiver.url): who for who in ("gp", "bup", "bup2", "coordinator_askoy")}
    receiver.down = True  # the journal system is down: every POST answers 503 until it is back
    referral_ids = loop.referrals_in("submitted", 3)

    loop.redis.stop()  # the broker goes away while BUP decides
    loop.reject(referral_ids)  # answered at once, nothing waits on the broker; the notifications are in the outbox
    loop.redis.start()
    wait_until(lambda: loop.handover_count(referral_ids) == len(referral_ids), timeout=40,
               what="the worker to create the handovers", diagnostics=lambda: state(loop, receiver))
    wait_until(lambda: sum(n.attempts >= 2 for n in notifications(loop)) >= 3, timeout=40,
               what="notifications to fail and wait for their next attempt", diagnostics=lambda: state(loop, receiver))
    loop.kill(first)  # SIGKILL with notifications pending

    with loop.session() as session:
        handovers = list(session.exec(select(Handover).where(Handover.referral_id.in_(referral_ids))))
    for handover in handovers:  # the municipality acknowledges while no worker runs
        response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover.id}/acknowledge", json={})
        assert response.status_code == 200, response.json
    loop.start_worker("w2")
    receiver.down = False
    wait_until(lambda: all(n.state == "delivered" for n in notifications(loop)) and loop.drained(), timeout=60,
               what="every notification to be delivered", diagnostics=lambda: state(loop, receiver))

    received = receiver.received()
    heard = {who: Counter() for who in subscribers.values()}
    for bundle in received:
        heard[subscribers[subscription_of(bundle)]][event_of(bundle)] += 1
    with loop.session() as session:
        referral_changes = Counter(e.referral_id for e in session.exec(
            select(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids))))
        numbered = {s.id: s.events_count for s in session.exec(select(FhirSubscription))}
    assert receiver.refused > 0  # the outage was real: deliveries failed and were retried
    # One change each: the draft, submit and reject of each referral Task; the creation and acknowledgement of each
    # handover Task. Each subscriber hears of the Tasks it may see, each change once, numbered without a gap.
    expected = {
        "gp": Counter({**referral_changes, **{h.id: 2 for h in handovers}}),
        "bup": Counter({**{rid: 2 for rid in referral_ids}, **{h.id: 2 for h in handovers}}),
        "bup2": Counter(),
        "coordinator_askoy": Counter({h.id: 2 for h in handovers}),
    }
    for sub_id, who in subscribers.items():
        assert set(heard[who].values()) <= {1}, (who, heard[who])  # exactly once: no (task, number) twice
        assert Counter(task for task, _number in heard[who]) == expected[who], who
        assert sorted(number for _task, number in heard[who]) == list(range(1, numbered[sub_id] + 1)), who
    assert len(received) == sum(sum(c.values()) for c in expected.values())


@pytest.mark.timeout(120)
def test_an_endpoint_that_never_answers_ends_in_the_error_a_person_sees(loop):  # noqa: F811
    # The window ends 8 seconds after the first failure (0.0022 h).
    with_env(loop, {**QUICK_RETRIES, "REFERRAL_FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS": "0.0022"})
    world = loop.world
    dead = RestHookReceiver()
    dead_url = dead.url
    dead.close()  # nothing listens there
    loop.start_beat("beat")
    loop.start_worker("w1")
    sub_id = subscribe(world, "bup", dead_url)
    referral_ids = loop.referrals_in("submitted", 1)

    wait_until(lambda: all(n.state == "failed" for n in notifications(loop)) and notifications(loop), timeout=60,
               what="the notification to be given up", diagnostics=loop.logs)
    [failed] = notifications(loop)
    assert failed.task_id == referral_ids[0] and failed.event_number == 1 and failed.attempts >= 3
    shown = world.client.get(f"/fhir/Subscription/{sub_id}", headers=world.headers("bup")).get_json()
    assert shown["status"] == "error"
    assert "Notification 1" in shown["error"] and "could not be reached" in shown["error"]
    operations = world.get("admin", "/api/v1/admin/operations").json
    assert operations["subscription_notifications_failed"] == 1 and operations["subscriptions_in_error"] == 1
    assert loop.repairs() == (0, 0)  # the reconciler took no waiting notification for a stuck one
