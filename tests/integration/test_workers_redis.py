"""DESIGN.md rule 1 with real processes: Celery workers and beat schedulers on a real Redis, a real
PostgreSQL, and the web side in-process. Workers are SIGKILLed mid-task, Redis is stopped and flushed,
messages are delivered twice and two relays race; every test ends with exactly one handover per
rejected referral and exactly one alert (and one .eml file) per recipient, found by polling the database.

test_closed_loop.py proves the same guarantees in-process, step by step.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection, Queue
from sqlalchemy import func
from sqlmodel import select

from config import load_config
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.db import Database
from referral_service.demo import seed_demo
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover, RepairReport
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.migrations import upgrade
from referral_service.services.loop import relay as outbox
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, REFERRAL_EVENT_TOPIC, SqlUnitOfWork
from referral_service.tasks import broker_settings
from tests.support.redis_server import RedisServer, start_redis
from tests.support.waiting import wait_until
from tests.support.world import World, build_world

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
TASK_FOR_TOPIC = {REFERRAL_EVENT_TOPIC: "outbox.process_referral_event", ALERT_EMAIL_TOPIC: "alerts.deliver_email"}
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
#: How long the loop may take to close once the broker and a worker are there (reconciler grace is 3 s).
SETTLE_SECONDS = 45.0


# --- waiting -------------------------------------------------------------------------------------------------


# --- processes -------------------------------------------------------------------------------------------------

@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        # Each child leads its own session, so its group holds it and anything it started.
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def group_gone(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Loop:
    """One test's closed loop: a fresh database, the web app in-process, and worker/beat processes."""

    app: object
    world: World
    redis: RedisServer
    database_url: str
    data_dir: Path
    children: list[Child] = field(default_factory=list)

    # processes
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
        env.update({
            "REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": self.database_url,
            "REFERRAL_BROKER_URL": self.redis.url(0), "REFERRAL_DATA_DIR": str(self.data_dir),
            "REFERRAL_SMTP_HOST": "", "REFERRAL_LOG_LEVEL": "INFO",
            "REFERRAL_RELAY_INTERVAL_SECONDS": "0.2", "REFERRAL_RECONCILE_INTERVAL_SECONDS": "1",
            "REFERRAL_RECONCILE_GRACE_SECONDS": "3", "PYTHONUNBUFFERED": "1",
        })
        return env

    def _spawn(self, name: str, args: list[str]) -> Child:
        log = self.data_dir / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", *args], cwd=ROOT,
                                       env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def start_worker(self, name: str) -> Child:
        child = self._spawn(name, ["worker", "--pool=threads", "--concurrency=2", "--without-mingle",
                                   "--without-gossip", "--without-heartbeat", f"--hostname={name}@%h",
                                   "--loglevel=INFO"])
        wait_until(lambda: f"{name}@" in child.text() and " ready." in child.text() or not child.alive(),
                   timeout=30, what=f"worker {name} to be ready", diagnostics=child.text)
        assert child.alive(), child.text()
        return child

    def start_beat(self, name: str) -> Child:
        child = self._spawn(name, ["beat", f"--schedule={self.data_dir / (name + '-schedule')}", "--loglevel=INFO"])
        # Beat's "Sending due task" lines are at DEBUG (tasks/task_logging.py); its start is at INFO.
        wait_until(lambda: "beat: Starting..." in child.text() or not child.alive(),
                   timeout=30, what=f"beat {name} to send its first relay", diagnostics=child.text)
        assert child.alive(), child.text()
        return child

    def kill(self, child: Child) -> None:
        """SIGKILL: no warm shutdown, no acknowledgements, whatever it was doing is cut off."""
        child.signal_group(signal.SIGKILL)
        child.process.wait(timeout=10)

    def stop(self, child: Child) -> None:
        """A warm shutdown (SIGTERM): running tasks finish and are acknowledged."""
        child.signal_group(signal.SIGTERM)
        try:
            child.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill(child)

    def close(self) -> list[str]:
        """Kill every child; returns the names of any that are somehow still there."""
        for child in self.children:
            if child.alive():
                child.signal_group(signal.SIGKILL)
        for child in self.children:
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        return [c.name for c in self.children if c.alive() or not c.group_gone()]

    def logs(self) -> str:
        return "\n".join(f"--- {c.name} (pid {c.process.pid}, rc {c.process.poll()}) ---\n{c.text()[-3000:]}"
                         for c in self.children)

    # the database
    def session(self):
        return self.app.extensions["referral_db"].session()

    def referrals_in(self, status: str, count: int) -> list[str]:
        return [self.world.referral_in(status)["id"] for _ in range(count)]

    def reject(self, referral_ids: list[str]) -> None:
        """BUP rejects each referral; every decision is answered 200 and touches no broker."""
        with broker_forbidden() as touched:
            for rid in referral_ids:
                started = time.monotonic()
                self.world.act("bup", rid, "reject", REJECTION)
                assert time.monotonic() - started < 5, "a decision waited on something"
        assert touched == [], f"a decision talked to the broker: {touched}"

    def unprocessed(self) -> int:
        with self.session() as session:
            return session.exec(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.processed_at.is_(None))).one()

    def handover_count(self, referral_ids: list[str]) -> int:
        with self.session() as session:
            return session.exec(select(func.count()).select_from(Handover)
                                .where(Handover.referral_id.in_(referral_ids))).one()

    def rejection_messages(self, referral_ids: list[str]) -> list[str]:
        with self.session() as session:
            return list(session.exec(
                select(OutboxMessage.id).join(ReferralEvent, ReferralEvent.id == OutboxMessage.event_id)
                .where(ReferralEvent.referral_id.in_(referral_ids), ReferralEvent.action == "reject")).all())

    def repairs(self) -> tuple[int, int]:
        with self.session() as session:
            reports = session.exec(select(RepairReport)).all()
        return sum(r.missing_handovers for r in reports), sum(r.stuck_messages for r in reports)

    def drained(self) -> bool:
        return self.unprocessed() == 0

    def state(self, referral_ids: list[str]) -> str:
        with self.session() as session:
            alerts = Counter(session.exec(select(Alert.email_state)).all())
        return (f"handovers {self.handover_count(referral_ids)}/{len(referral_ids)}, unprocessed outbox "
                f"{self.unprocessed()}, alerts {dict(alerts)}, repairs {self.repairs()}, "
                f"redis {'up' if self.redis.ping() else 'down'}\n{self.logs()}")

    def settled(self, referral_ids: list[str]) -> bool:
        with self.session() as session:
            states = session.exec(select(Alert.email_state)).all()
        return (self.handover_count(referral_ids) == len(referral_ids) and self.unprocessed() == 0
                and len(states) >= 3 * len(referral_ids) and all(s == "sent" for s in states))

    def assert_loop_closed_exactly_once(self, referral_ids: list[str], *, timeout: float = SETTLE_SECONDS) -> None:
        """Wait for the loop to close, then: one handover per rejection, one alert and one e-mail per recipient."""
        wait_until(lambda: self.settled(referral_ids), timeout=timeout, interval=0.1,
                   what=f"the loop to close for {len(referral_ids)} rejections",
                   diagnostics=lambda: self.state(referral_ids))
        coordinator = self.world.users["coordinator_askoy"].id
        gp = self.world.users["gp"].id
        contact = self.world.users["nurse_askoy"].id  # the school nurse named as the child's contact
        with self.session() as session:
            handovers = session.exec(select(Handover)).all()
            rejections = {e.referral_id: e.id for e in session.exec(
                select(ReferralEvent).where(ReferralEvent.action == "reject"))}
            alerts = session.exec(select(Alert)).all()
        by_referral = Counter(h.referral_id for h in handovers)
        assert set(by_referral) == set(referral_ids) and set(by_referral.values()) == {1}, by_referral
        assert all(h.trigger == "rejected" and h.trigger_event_id == rejections[h.referral_id] for h in handovers)
        per_recipient = Counter((a.handover_id, a.user_id) for a in alerts)
        expected = Counter({(h.id, user): 1 for h in handovers for user in (coordinator, gp, contact)})
        assert per_recipient == expected, (per_recipient - expected, expected - per_recipient)
        assert all(a.email_state == "sent" and a.email_attempts >= 1 for a in alerts)
        mails = sorted((self.data_dir / "mail").glob("*.eml"))
        assert len(mails) == len(alerts) == 3 * len(referral_ids)
        assert {m.name.split("_")[0] for m in mails} == {f"alert-{a.id}" for a in alerts}

    def processed_log_lines(self) -> Counter:
        """How often each event id was processed by the normal path, from the workers' JSON logs."""
        seen: Counter = Counter()
        for child in self.children:
            for line in child.text().splitlines():
                if line.startswith("{") and '"referral event processed"' in line:
                    seen[json.loads(line)["event_id"]] += 1
        return seen


@contextmanager
def broker_forbidden() -> Iterator[list[str]]:
    """Record (and refuse) any Redis connection or Celery publish from this process."""
    import redis.connection
    from celery.app.task import Task

    touched: list[str] = []

    def refuse(what):
        def _refuse(*_args, **_kwargs):
            touched.append(what)
            raise AssertionError(f"{what} during a decision")
        return _refuse

    patches = [(redis.connection.AbstractConnection, "connect", refuse("redis connect")),
               (Task, "apply_async", refuse("celery apply_async")),
               (Celery, "send_task", refuse("celery send_task"))]
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    try:
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        yield touched
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def producer(redis: RedisServer) -> Celery:
    """A Celery client on the test's Redis, to publish as a relay would (and to publish twice)."""
    app = Celery("probe", broker=redis.url(0), set_as_current=False)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=False)
    return app


def unacked_message_ids(redis: RedisServer) -> set[str]:
    """Outbox ids of the messages Redis holds as delivered-but-unacknowledged (kombu's 'unacked' hash)."""
    ids = set()
    with redis.client() as client:
        for raw in client.hvals("unacked"):
            payload, _exchange, _routing_key = json.loads(raw)
            if payload.get("headers", {}).get("task") in TASK_FOR_TOPIC.values():
                args, _kwargs, _embed = json.loads(base64.b64decode(payload["body"]))
                ids.add(args[0])
    return ids


# --- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_server():
    server = start_redis()
    yield server
    server.close()


@pytest.fixture(scope="module")
def template_database(postgres_server) -> str:
    """A migrated and seeded database to copy per test (seeding hashes twelve passwords: do it once)."""
    name = f"workers_template_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    upgrade(url)
    database = Database()
    database.configure(url)
    with database.session() as session:
        seed_demo(SqlUnitOfWork.on(session))
    database.engine.dispose()  # a template must have no connections
    return name


def database_from_template(postgres_server, template: str, *, prefix: str) -> str:
    """A fresh database copied from the seeded template (quicker than migrating and seeding); its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    subprocess.run([str(postgres_server.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(postgres_server.port),
                    "-U", "postgres", "-q", "-c", f'CREATE DATABASE "{name}" TEMPLATE "{template}"'],
                   check=True, capture_output=True)
    return postgres_server.url_for(name)


@pytest.fixture
def loop(postgres_server, template_database, redis_server, tmp_path) -> Iterator[Loop]:
    url = database_from_template(postgres_server, template_database, prefix="workers")
    redis_server.start()
    redis_server.flush()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(load_config("test", DATABASE_URL=url, BROKER_URL=redis_server.url(0), DATA_DIR=str(data_dir),
                                 SMTP_HOST=""))
    the_loop = Loop(app=app, world=build_world(app), redis=redis_server, database_url=url, data_dir=data_dir)
    try:
        yield the_loop
    finally:
        leftovers = the_loop.close()
        app.extensions["referral_db"].engine.dispose()
        redis_server.start()  # the next test starts with a running, empty Redis
        assert leftovers == [], f"child processes survived the test: {leftovers}"


# --- the scenarios ---------------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_a_worker_killed_mid_task_loses_and_duplicates_nothing(loop):
    loop.start_beat("beat")
    worker = loop.start_worker("w1")
    referrals = loop.referrals_in("submitted", 20)
    wait_until(loop.drained, timeout=SETTLE_SECONDS, what="the submissions to be processed",
               diagnostics=lambda: loop.state(referrals))

    loop.reject(referrals)
    # Kill it as soon as the first handover is in: the rest of the batch is in its hands or queued.
    wait_until(lambda: loop.handover_count(referrals) >= 1, timeout=SETTLE_SECONDS, interval=0.005,
               what="the worker to start on the batch", diagnostics=lambda: loop.state(referrals))
    loop.kill(worker)
    assert not worker.alive()
    cut_off = loop.handover_count(referrals)
    with loop.session() as session:
        unfinished = set(session.exec(select(OutboxMessage.id).where(OutboxMessage.processed_at.is_(None))).all())
    lost_in_flight = unacked_message_ids(loop.redis) & unfinished
    assert cut_off < len(referrals) or unfinished, "the kill came after all the work was done"

    loop.start_worker("w2")
    loop.assert_loop_closed_exactly_once(referrals)
    if lost_in_flight:
        # Messages the dead worker held unacknowledged are only back after Redis's visibility timeout
        # (an hour): the reconciler closed the gap, and reported that it did.
        missing, stuck = loop.repairs()
        assert missing + stuck >= 1, loop.state(referrals)


@pytest.mark.timeout(120)
def test_decisions_while_redis_is_down_are_answered_and_nothing_is_lost(loop):
    loop.start_beat("beat")
    loop.start_worker("w1")
    referrals = loop.referrals_in("submitted", 10)
    wait_until(loop.drained, timeout=SETTLE_SECONDS, what="the submissions to be processed",
               diagnostics=lambda: loop.state(referrals))

    loop.redis.stop()
    assert not loop.redis.ping()
    loop.reject(referrals)  # every decision 200, none waiting on the broker
    # The decisions and their outbox rows are committed, waiting for the broker to come back.
    assert len(loop.rejection_messages(referrals)) == len(referrals)
    assert loop.unprocessed() >= len(referrals)

    loop.redis.start()  # same port, empty: whatever Redis held before the outage is gone as well
    loop.assert_loop_closed_exactly_once(referrals)
    assert all(c.alive() for c in loop.children), loop.logs()  # worker and beat rode out the outage


@pytest.mark.timeout(120)
def test_a_flushed_redis_with_messages_queued_loses_nothing(loop):
    beat = loop.start_beat("beat")
    worker = loop.start_worker("w1")
    referrals = loop.referrals_in("submitted", 10)
    wait_until(loop.drained, timeout=SETTLE_SECONDS, what="the submissions to be processed",
               diagnostics=lambda: loop.state(referrals))
    loop.stop(worker)

    loop.reject(referrals)
    # A relay hands every pending row to Redis and marks it dispatched; nobody consumes them.
    broker = producer(loop.redis)
    try:
        with loop.session() as session:
            handed = outbox.relay_outbox(SqlUnitOfWork.on(session), dependencies(loop.app).clock,
                                         publish=lambda m: broker.send_task(TASK_FOR_TOPIC[m.topic], args=[m.id]))
    finally:
        broker.close()
    assert handed == len(referrals), loop.state(referrals)
    assert loop.redis.queue_length() >= len(referrals), loop.state(referrals)

    loop.stop(beat)  # so that no periodic task lands in the queue between the flush and the count
    loop.redis.flush()
    assert loop.redis.queue_length() == 0

    loop.start_beat("beat2")
    loop.start_worker("w2")
    loop.assert_loop_closed_exactly_once(referrals)
    missing, stuck = loop.repairs()
    assert missing + stuck >= len(referrals), "only the reconciler could have brought the flushed work back"


@pytest.mark.timeout(120)
def test_the_same_outbox_message_delivered_twice_has_one_effect(loop):
    referrals = loop.referrals_in("rejected", 10)
    messages = loop.rejection_messages(referrals)
    assert len(messages) == len(referrals)
    broker = producer(loop.redis)
    try:
        for message_id in messages + messages:  # twice each, before the relay sends its own copy
            broker.send_task("outbox.process_referral_event", args=[message_id])
    finally:
        broker.close()
    assert loop.redis.queue_length() == 2 * len(referrals)

    loop.start_worker("w1")
    # The copies alone create the handovers; the scheduler (relay, reconciler) only starts after that.
    wait_until(lambda: loop.handover_count(referrals) == len(referrals), timeout=SETTLE_SECONDS,
               what="the twin deliveries to be processed", diagnostics=lambda: loop.state(referrals))
    loop.start_beat("beat")
    loop.assert_loop_closed_exactly_once(referrals)
    with loop.session() as session:
        rejection_events = set(session.exec(select(ReferralEvent.id).where(ReferralEvent.action == "reject")).all())
    processed = loop.processed_log_lines()
    assert {e: processed[e] for e in rejection_events} == dict.fromkeys(rejection_events, 1), \
        "each rejection must be processed exactly once however often it is delivered"


@pytest.mark.timeout(150)
def test_two_relays_and_two_workers_racing_on_postgres_close_each_loop_once(loop):
    for name in ("beat1", "beat2"):
        loop.start_beat(name)
    for name in ("w1", "w2"):
        loop.start_worker(name)
    referrals = loop.referrals_in("submitted", 40)
    loop.reject(referrals)
    loop.assert_loop_closed_exactly_once(referrals, timeout=60)
    processed = loop.processed_log_lines()
    assert processed and max(processed.values()) == 1, [e for e, n in processed.items() if n > 1]


def test_closing_a_connection_redis_dropped_with_a_message_in_hand_lets_the_worker_reconnect(redis_server):
    """Redis went away while a worker held an unacknowledged message, and kombu already let go of the
    connection's settings: closing the channel must raise nothing the worker cannot ignore (stock kombu
    raised AttributeError here and the worker stopped with "Unrecoverable error" instead of reconnecting)."""
    redis_server.start()
    redis_server.flush()
    settings = broker_settings(load_config("test", BROKER_URL=redis_server.url(0)))
    connection = Connection(settings["broker_url"], transport=settings["broker_transport"])
    try:
        channel = connection.default_channel
        queue = Queue("closing-probe", routing_key="closing-probe")
        queue(channel).declare()
        channel.basic_publish(channel.prepare_message("x"), exchange="", routing_key="closing-probe")
        held = queue(channel).get(no_ack=False)
        assert held is not None and channel.qos._delivered, "the message is in hand, not acknowledged"
        connection.transport.client = None  # what kombu's close of the dropped connection leaves behind
        connection.maybe_close_channel(channel)  # the consumer's close after a connection error
        assert channel.closed
    finally:
        redis_server.flush()


@pytest.mark.timeout(120)
def test_with_no_scheduler_at_all_the_outbox_bell_alone_closes_the_loop(loop):
    """The relay runs when a decision's commit rings the outbox bell (PostgreSQL NOTIFY), not only on the
    scheduler's tick: with no beat running, a worker still makes every handover and sends every alert."""
    loop.start_worker("w1")
    referrals = loop.referrals_in("submitted", 5)
    wait_until(loop.drained, timeout=SETTLE_SECONDS, what="the submissions to be relayed on the bell alone",
               diagnostics=lambda: loop.state(referrals))
    loop.reject(referrals)
    loop.assert_loop_closed_exactly_once(referrals)
    assert "beat: Starting..." not in loop.logs(), "a scheduler ran after all"
