"""/ready with real processes on PostgreSQL and Redis: 200 while a Celery worker and beat run; 503 naming beat
within the configured limit after beat stops (the worker still running), and 503 naming the worker after every
worker stops (beat running again). The worker's own metrics page counts its tasks and sweeps meanwhile.

The processes are started as test_workers_redis.py starts them (its Loop); the web app is in-process.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config import load_config
from referral_service import create_app
from tests.integration.test_workers_redis import (  # noqa: F401  (fixtures: the Redis server, the seeded template)
    Loop,
    database_from_template,
    redis_server,
    template_database,
)
from tests.support.servers import free_port
from tests.support.waiting import wait_until
from tests.support.world import build_world

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

#: /ready's limit and the processes' heartbeat interval, small so that the test is quick.
MAX_AGE_SECONDS = 3.0
HEARTBEAT_SECONDS = 0.5
#: What a poll of /ready may add beyond the limit: the broker and database checks and the poll's own interval.
SLACK_SECONDS = 2.0


class HeartbeatLoop(Loop):
    """test_workers_redis's loop with quick heartbeats, and settings of its own for the next process started."""

    extra_env: dict[str, str]

    def env(self) -> dict[str, str]:
        return {**super().env(), "REFERRAL_HEARTBEAT_INTERVAL_SECONDS": str(HEARTBEAT_SECONDS),
                **self.extra_env}


@pytest.fixture
def loop(postgres_server, template_database, redis_server, tmp_path) -> Iterator[HeartbeatLoop]:  # noqa: F811
    url = database_from_template(postgres_server, template_database, prefix="ready")
    redis_server.start()
    redis_server.flush()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(load_config("test", DATABASE_URL=url, BROKER_URL=redis_server.url(0), DATA_DIR=str(data_dir),
                                 SMTP_HOST="", READY_HEARTBEAT_MAX_AGE_SECONDS=MAX_AGE_SECONDS))
    the_loop = HeartbeatLoop(app=app, world=build_world(app), redis=redis_server, database_url=url,
                             data_dir=data_dir)
    the_loop.extra_env = {}
    try:
        yield the_loop
    finally:
        leftovers = the_loop.close()
        app.extensions["referral_db"].engine.dispose()
        assert leftovers == [], f"child processes survived the test: {leftovers}"


def ready(loop: Loop) -> tuple[int, dict]:
    response = loop.app.test_client().get("/ready")
    return response.status_code, response.get_json()


def scrape(url: str) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback URL the test made
        text = response.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.timeout(150)
def test_ready_fails_naming_beat_then_the_workers_when_they_stop(loop):
    metrics_port = free_port()
    loop.extra_env = {"REFERRAL_WORKER_METRICS_PORT": str(metrics_port), "REFERRAL_WORKER_METRICS_ADDRESS": "127.0.0.1"}
    worker = loop.start_worker("w1")
    loop.extra_env = {}
    beat = loop.start_beat("beat")
    wait_until(lambda: ready(loop)[0] == 200, timeout=30, what="/ready to answer 200 with a worker and beat running",
               diagnostics=lambda: f"{ready(loop)}\n{loop.logs()}")
    status, body = ready(loop)
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok", "beat": "ok"}, body

    # The worker serves its own metrics: the relay's and the reconciler's runs, counted and timed.
    worker_page = f"http://127.0.0.1:{metrics_port}/metrics"
    relayed = ("referral_tasks_total", frozenset({("task", "outbox.relay"), ("outcome", "succeeded")}))
    reconciled = ("referral_sweep_duration_seconds_count", frozenset({("sweep", "reconcile")}))
    wait_until(lambda: scrape(worker_page).get(relayed, 0) >= 1 and scrape(worker_page).get(reconciled, 0) >= 1,
               timeout=30, what="the worker's metrics to count a relay and a reconciler run",
               diagnostics=lambda: str({k: v for k, v in scrape(worker_page).items() if k[0].startswith("referral_")}))

    # Beat stops; the worker goes on (and keeps beating): /ready names beat, and only beat, within the limit.
    loop.stop(beat)
    stopped = time.monotonic()
    wait_until(lambda: ready(loop)[0] == 503, timeout=MAX_AGE_SECONDS + SLACK_SECONDS + 10,
               what="/ready to answer 503 after beat stopped", diagnostics=lambda: f"{ready(loop)}\n{loop.logs()}")
    noticed = time.monotonic() - stopped
    status, body = ready(loop)
    assert body["checks"]["beat"] == "stale" and body["checks"]["worker"] == "ok", body
    assert {name for name, state in body["checks"].items() if state != "ok"} == {"beat"}, body
    assert noticed <= MAX_AGE_SECONDS + SLACK_SECONDS, f"beat's stop was noticed only after {noticed:.1f}s"
    assert worker.alive()

    # Beat is back: ready again. Then every worker stops, beat still running: /ready names the worker.
    loop.start_beat("beat2")
    wait_until(lambda: ready(loop)[0] == 200, timeout=30, what="/ready to answer 200 once beat is back",
               diagnostics=lambda: f"{ready(loop)}\n{loop.logs()}")
    loop.stop(worker)
    stopped = time.monotonic()
    wait_until(lambda: ready(loop)[0] == 503, timeout=MAX_AGE_SECONDS + SLACK_SECONDS + 10,
               what="/ready to answer 503 after the workers stopped",
               diagnostics=lambda: f"{ready(loop)}\n{loop.logs()}")
    noticed = time.monotonic() - stopped
    status, body = ready(loop)
    assert {name for name, state in body["checks"].items() if state != "ok"} == {"worker"}, body
    assert body["checks"]["worker"] == "stale"
    assert noticed <= MAX_AGE_SECONDS + SLACK_SECONDS, f"the workers' stop was noticed only after {noticed:.1f}s"

    # The web's /metrics shows the same: the worker's heartbeat is old, beat's is fresh.
    page = loop.app.test_client().get("/metrics").get_data(as_text=True)
    ages = {s.labels["component"]: s.value for family in text_string_to_metric_families(page)
            for s in family.samples if s.name == "referral_heartbeat_age_seconds"}
    assert ages["worker"] > MAX_AGE_SECONDS and ages["beat"] < MAX_AGE_SECONDS, ages


@pytest.mark.timeout(120)
def test_serves_worker_and_its_scheduler_thread_both_beat_their_hearts(tmp_path):
    """`serve`'s worker (tasks/embedded_worker.py) runs the scheduler as a thread: both stamp their heartbeat."""
    import os
    import sys

    from sqlmodel import select

    from referral_service.db import Database
    from referral_service.domain.heartbeat import ServiceHeartbeat
    from referral_service.migrations import upgrade
    from tests.integration.test_workers_redis import ROOT

    data_dir = tmp_path / "var"
    url = f"sqlite:///{tmp_path / 'referrals.sqlite'}"
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_ENV="test", REFERRAL_DATA_DIR=str(data_dir), REFERRAL_DATABASE_URL=url,
               REFERRAL_HEARTBEAT_INTERVAL_SECONDS=str(HEARTBEAT_SECONDS), PYTHONUNBUFFERED="1")
    log = tmp_path / "worker.log"
    database = Database()
    database.configure(url)

    def stamped() -> dict[str, object]:
        with database.session() as session:
            return {row.name.split(":")[0]: row.at for row in session.exec(select(ServiceHeartbeat))}

    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "referral_service.tasks.embedded_worker"], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: {"worker", "beat"} <= set(stamped()) or process.poll() is not None, timeout=60,
                   what="the embedded worker and its scheduler thread to stamp their heartbeats",
                   diagnostics=lambda: f"{stamped()}\n{log.read_text(errors='replace')[-3000:]}")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        first = stamped()
        wait_until(lambda: all(stamped()[kind] > first[kind] for kind in ("worker", "beat")), timeout=20,
                   what="both heartbeats to be stamped again", diagnostics=lambda: str(stamped()))
    finally:
        process.terminate()
        process.wait(timeout=30)
        database.engine.dispose()
