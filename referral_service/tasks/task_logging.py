"""The workers' and beat's logs: JSON through the service's own formatter, the request id of the work in hand,
and the periodic tasks' routine lines at DEBUG.

- Celery configures no logging of its own (a `setup_logging` receiver says we did: logging_setup.py), so its own
  lines reach the JSON handler on the root logger; its start-up banners, printed as plain text, become one JSON
  line each.
- A task runs with the request id its message carries (the outbox row's, sent as the `request_id` header by the
  relay), so its log lines and the outbox rows it writes (an alert's e-mail) carry the id of the web request that
  caused it. A task with none (beat's periodic runs) runs as `task:<its id>`.
- Beat's "Sending due task" and the worker's "received"/"succeeded" lines for the scheduled tasks (the relay ticks
  every second) go to DEBUG: an idle service writes almost nothing at INFO.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

import celery.apps.worker
from celery import Celery, signals
from celery.apps.beat import Beat
from celery.apps.worker import Worker
from kombu.utils.url import maybe_sanitize_url

from referral_service.request_context import bind_request_id, carried_request_id, unbind_request_id

log = logging.getLogger(__name__)

#: The message header the relay sets (tasks/jobs.py `publisher`).
REQUEST_ID_HEADER = "request_id"
#: Celery's loggers of the per-run lines demoted for the scheduled tasks.
_ROUTINE_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def request_id_of_task(task: Any, task_id: str) -> str:
    """The request id a task's message carries, else its own `task:<id>`."""
    request = getattr(task, "request", None)
    carried = getattr(request, REQUEST_ID_HEADER, None)
    if carried is None:
        carried = (getattr(request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    return carried_request_id(carried) or f"task:{task_id}"


def _bind_task_request_id(sender: Any = None, task_id: str = "", task: Any = None, **_: Any) -> None:
    bind_request_id(request_id_of_task(task or sender, task_id))


def _unbind_task_request_id(**_: Any) -> None:
    unbind_request_id()


def _celery_logging_is_ours(**_: Any) -> None:
    """Connected to `setup_logging`: Celery then leaves the root logger (JSON, set up in create_worker) alone."""


class RoutineAtDebug(logging.Filter):
    """Moves Celery's per-run lines of the scheduled tasks from INFO to DEBUG (and drops them below that level)."""

    def __init__(self, task_names: set[str]) -> None:
        super().__init__()
        self.task_names = task_names

    def _task_name(self, record: logging.LogRecord) -> object:
        args = record.args
        if isinstance(args, dict):  # the worker's "received" / "succeeded": named arguments
            return args.get("name")
        if isinstance(args, tuple) and len(args) == 2 and "Sending due task" in str(record.msg):
            return args[1]  # beat: (entry name, task name)
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or self._task_name(record) not in self.task_names:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class JsonBannerWorker(Worker):
    """Celery's worker with its start-up banner as one log line instead of plain text on standard output."""

    def emit_banner(self) -> None:
        log.info("celery worker starting", extra={
            "hostname": self.hostname, "concurrency": self.concurrency,
            "pool": getattr(self.pool_cls, "__module__", str(self.pool_cls)),
            "broker": maybe_sanitize_url(self.app.conf.broker_url),  # without its password
            "queues": sorted(self.app.amqp.queues.keys())})


class JsonBannerBeat(Beat):
    """Celery's beat with its start-up banner as one log line instead of plain text on standard output."""

    def run(self) -> None:
        log.info("celery beat starting", extra={
            "broker": maybe_sanitize_url(self.app.conf.broker_url), "schedule": self.schedule,
            "max_interval": self.max_interval})
        self.quiet = True
        super().run()


def say_as_json(msg: str, f: Any = sys.__stderr__) -> None:
    """Celery's signal handlers' notices ("worker: Warm shutdown") as a JSON line, written as Celery writes them:
    straight to the file descriptor, which is safe inside a signal handler, unlike the logging module's locks."""
    if not logging.getLogger().isEnabledFor(logging.INFO):
        return
    line = json.dumps({"at": datetime.now(UTC).isoformat(), "level": "info", "logger": "celery.apps.worker",
                       "message": str(msg).strip()}, ensure_ascii=False)
    stream = f if f is not None else sys.__stderr__
    try:
        os.write(stream.fileno(), (line + "\n").encode())
    except (AttributeError, OSError, ValueError):
        pass  # no file to write to


def install(app: Celery) -> None:
    """Wire the workers' and beat's logging for `app` (create_celery)."""
    signals.setup_logging.connect(_celery_logging_is_ours, weak=False, dispatch_uid="referral-json-logs")
    signals.task_prerun.connect(_bind_task_request_id, weak=False, dispatch_uid="referral-request-id-bind")
    signals.task_postrun.connect(_unbind_task_request_id, weak=False, dispatch_uid="referral-request-id-unbind")
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    for name in _ROUTINE_LOGGERS:
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, RoutineAtDebug)]
        logger.addFilter(RoutineAtDebug(scheduled))
    # Celery builds these classes on first use; ours take their place (`celery worker` / `beat`, `serve`'s worker).
    app.Worker = app.subclass_with_self(JsonBannerWorker)
    app.Beat = app.subclass_with_self(JsonBannerBeat)
    celery.apps.worker.safe_say = say_as_json
