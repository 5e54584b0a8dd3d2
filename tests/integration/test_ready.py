"""/ready reads the heartbeats the workers and beat stamp (test_ready_heartbeats.py stamps them with real
processes): missing or too old names the silent kind of process and answers 503; 0 turns the check off."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from referral_service.services.loop.heartbeats import record_heartbeat

LIMIT = 30.0


@contextmanager
def heartbeat_limit(app, seconds: float):
    config = app.config["REFERRAL_CONFIG"]
    before = config.READY_HEARTBEAT_MAX_AGE_SECONDS
    config.READY_HEARTBEAT_MAX_AGE_SECONDS = seconds
    try:
        yield
    finally:
        config.READY_HEARTBEAT_MAX_AGE_SECONDS = before


def ready(app) -> tuple[int, dict]:
    response = app.test_client().get("/ready")
    return response.status_code, response.get_json()


def stamp(app, name: str, at: datetime) -> None:
    record_heartbeat(app.extensions["referral_db"], name=name, at=at)


def test_with_no_heartbeat_ever_both_kinds_are_named_missing(app, world):
    with heartbeat_limit(app, LIMIT):
        status, body = ready(app)
    assert status == 503 and body["status"] == "not_ready"
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "missing", "beat": "missing"}


def test_a_heartbeat_older_than_the_limit_names_its_kind_and_only_it(app, world, clock):
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    stamp(app, "worker:w1@host-a", now - timedelta(seconds=2))
    stamp(app, "worker:w2@host-b", now - timedelta(hours=3))  # a worker gone long ago: the newest one counts
    stamp(app, "beat:host-a", now - timedelta(seconds=LIMIT + 1))
    with heartbeat_limit(app, LIMIT):
        status, body = ready(app)
        assert status == 503
        assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok", "beat": "stale"}
        assert body["heartbeat_age_seconds"] == {"worker": 2.0, "beat": LIMIT + 1}

        stamp(app, "beat:host-a", now)  # beat is back
        status, body = ready(app)
    assert status == 200 and body["status"] == "ready"
    assert set(body["checks"].values()) == {"ok"}


def test_a_limit_of_0_leaves_the_heartbeats_unchecked(app, world):
    with heartbeat_limit(app, 0):
        status, body = ready(app)
    assert status == 200 and body["checks"] == {"database": "ok", "broker": "ok"}
