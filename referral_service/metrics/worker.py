"""The worker's own metrics: every task's outcome and duration, the sweeps' durations and the reconciler's repairs,
served by the worker itself on WORKER_METRICS_PORT (0: not served). Measured from Celery's task signals, so the
tasks stay thin. A worker with the prefork pool runs tasks in child processes: give it a PROMETHEUS_MULTIPROC_DIR of
its own so that its page sums them."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from celery import Celery, signals
from prometheus_client import Counter, Histogram, multiprocess, start_http_server

from referral_service.metrics import multiprocess_dir, process_metrics

log = logging.getLogger(__name__)

TASKS = Counter("referral_tasks", "Tasks run by this worker, by task name and outcome "
                "(succeeded, failed, retried).", ["task", "outcome"])
TASK_DURATION = Histogram("referral_task_duration_seconds", "Time a task ran, by task name.", ["task"],
                          buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
SWEEP_DURATION = Histogram("referral_sweep_duration_seconds", "Time a scheduled sweep took, by sweep.", ["sweep"],
                           buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0))
REPAIRS = Counter("referral_reconciler_repairs", "Missing handovers and stuck messages the reconciler repaired.")

#: The scheduled sweeps (the beat schedule's tasks that walk over the data), by task name.
SWEEPS = {"deadlines.sweep": "deadlines", "outbox.reconcile": "reconcile", "retention.sweep": "retention",
          "audit.checkpoint": "access_log"}
RECONCILE = "outbox.reconcile"

_started: dict[str, float] = {}
_lock = threading.Lock()


def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        with _lock:
            _started[task_id] = time.perf_counter()


def _task_finished(task_id: str | None = None, task: Any = None, retval: Any = None, state: str | None = None,
                   **_: Any) -> None:
    with _lock:
        started = _started.pop(task_id or "", None)
    name = getattr(task, "name", None) or "unknown"
    if started is not None:
        elapsed = time.perf_counter() - started
        TASK_DURATION.labels(task=name).observe(elapsed)
        if name in SWEEPS and state == "SUCCESS":
            SWEEP_DURATION.labels(sweep=SWEEPS[name]).observe(elapsed)
    if state == "SUCCESS":
        TASKS.labels(task=name, outcome="succeeded").inc()
        if name == RECONCILE and isinstance(retval, int) and retval > 0:
            REPAIRS.inc(retval)
    elif state == "FAILURE":
        TASKS.labels(task=name, outcome="failed").inc()


def _task_retried(sender: Any = None, **_: Any) -> None:
    TASKS.labels(task=getattr(sender, "name", None) or "unknown", outcome="retried").inc()


def _serve_metrics(sender: Any = None, **_: Any) -> None:
    from referral_service.tasks.runtime import current

    config = current().config
    port = int(config.WORKER_METRICS_PORT)
    if not port:
        return
    try:
        start_http_server(port, addr=config.WORKER_METRICS_ADDRESS, registry=process_metrics())
    except OSError as exc:
        # A busy port must not stop the worker: it still does its work, only unwatched.
        log.error("worker metrics: cannot listen", extra={"port": port, "error_type": type(exc).__name__})
        return
    log.info("worker metrics: serving", extra={"port": port})


def _child_exited(**_: Any) -> None:
    # A prefork child leaves: in multiprocess mode its live gauges no longer count (as gunicorn_hooks.child_exit).
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


def install(app: Celery) -> None:
    """Count the tasks this worker runs and serve its figures once it is ready."""
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="referral-metrics-prerun")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="referral-metrics-postrun")
    signals.task_retry.connect(_task_retried, weak=False, dispatch_uid="referral-metrics-retry")
    signals.worker_ready.connect(_serve_metrics, weak=False, dispatch_uid="referral-metrics-serve")
    signals.worker_process_shutdown.connect(_child_exited, weak=False, dispatch_uid="referral-metrics-child-exit")
