"""Heartbeats of the worker and of the scheduler (beat), so that a stopped one is seen while the others run.

The worker stamps 'worker:<hostname>' from a thread of its own (a bootstep, as tasks/bell_relay.py); the scheduler
stamps 'beat:<host>' from its own loop (a Scheduler whose tick also beats), so a scheduler that hangs stops beating
too. Both hold for `celery worker` / `celery beat` and for `serve`'s worker with the scheduler as a thread
(tasks/embedded_worker.py, tasks/threaded_beat.py): both are built by create_celery, which installs this.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler

from referral_service.domain.heartbeat import Component, heartbeat_name
from referral_service.services.loop.heartbeats import record_heartbeat
from referral_service.tasks.runtime import current

log = logging.getLogger(__name__)

SCHEDULER = "referral_service.tasks.heartbeat:HeartbeatScheduler"


def stamp(name: str) -> bool:
    """One heartbeat; a database that does not answer is logged, never fatal (the next beat tries again)."""
    deps = current()
    try:
        record_heartbeat(deps.database, name=name, at=deps.clock.now())
        return True
    except Exception as exc:  # noqa: BLE001 - a missed heartbeat is what /ready reports; the process goes on
        log.warning("heartbeat not recorded", extra={"heartbeat": name, "error_type": type(exc).__name__})
        return False


def interval() -> float:
    return float(current().config.HEARTBEAT_INTERVAL_SECONDS)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A thread of the worker that stamps its heartbeat every HEARTBEAT_INTERVAL_SECONDS."""

    label = "Heartbeat"

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        super().__init__(worker, **kwargs)

    def start(self, worker: Any) -> None:
        name = heartbeat_name(Component.WORKER, worker.hostname)
        self.thread = threading.Thread(target=self._beat, args=(name,), name="heartbeat", daemon=True)
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _beat(self, name: str) -> None:
        every = interval()
        while not self.stopping.is_set():
            stamp(name)
            self.stopping.wait(every)


class HeartbeatScheduler(PersistentScheduler):
    """Celery's scheduler (schedule file and all) that stamps the scheduler's heartbeat from its own loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._heartbeat_name = heartbeat_name(Component.BEAT, socket.gethostname())
        self._next_heartbeat = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = super().tick(*args, **kwargs)
        every = interval()
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + every
            stamp(self._heartbeat_name)
        # Wake up in time for the next heartbeat even when no task is due for long.
        return min(wait, max(0.0, self._next_heartbeat - time.monotonic()))


def install(app: Celery) -> None:
    """Workers and schedulers of this app beat their hearts."""
    app.conf.beat_scheduler = SCHEDULER
    app.steps["worker"].add(WorkerHeartbeat)
