"""Celery: the app, its schedule, and thin tasks that take ids and call a service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kombu.transport import TRANSPORT_ALIASES

from config import BaseConfig
from referral_service.tasks import fs_transport

if TYPE_CHECKING:
    from celery import Celery

    from referral_service.bootstrap import Dependencies


#: kombu's Redis transport made safe to close after a Redis restart (tasks/redis_transport.py).
REDIS_TRANSPORT = "resilientredis"
TRANSPORT_ALIASES.setdefault(REDIS_TRANSPORT, "referral_service.tasks.redis_transport:ResilientTransport")


def broker_settings(config: BaseConfig) -> dict[str, object]:
    """Redis (or any URL) when configured; otherwise the embedded filesystem transport in DATA_DIR."""
    if config.BROKER_URL:
        return {"broker_url": config.BROKER_URL,
                "broker_transport": REDIS_TRANSPORT if config.BROKER_URL.startswith("redis://") else None,
                "broker_transport_options": {"visibility_timeout": 3600}}
    queue = Path(config.DATA_DIR) / "broker"
    folders = {name: queue / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": f"{fs_transport.ALIAS}://",
        "broker_transport_options": {
            # In and out must be the same folder for the filesystem transport.
            "data_folder_in": str(folders["queue"]), "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]), "store_processed": False,
            "control_folder": str(folders["control"]), "polling_interval": 0.1,
        },
    }


def create_celery(deps: Dependencies) -> Celery:
    """The Celery app for the service's dependencies, with the beat schedule of the background work."""
    # Imported here, not above: the web imports this package for broker_settings (its /ready asks the broker)
    # and never builds a Celery app.
    from celery import Celery

    from referral_service.tasks import bell_relay, heartbeat, runtime, task_logging, threaded_beat

    config = deps.config
    runtime.install(deps)
    app = Celery("referral_service")
    app.conf.update(
        **broker_settings(config),
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # A task is acknowledged after it ran: a worker killed mid-task leaves it to be delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # The relay must not hang on a dead broker: fail fast, the rows stay pending.
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5,
                                   "interval_max": 1},
        broker_connection_timeout=3,
        worker_hijack_root_logger=False,
        beat_schedule={
            "relay-outbox": {"task": "outbox.relay", "schedule": config.RELAY_INTERVAL_SECONDS},
            "sweep-deadlines": {"task": "deadlines.sweep", "schedule": config.SWEEP_INTERVAL_SECONDS},
            "reconcile": {"task": "outbox.reconcile", "schedule": config.RECONCILE_INTERVAL_SECONDS},
            "checkpoint-access-log": {"task": "audit.checkpoint",
                                      "schedule": config.AUDIT_CHECKPOINT_INTERVAL_SECONDS},
            "sweep-retention": {"task": "retention.sweep", "schedule": config.RETENTION_INTERVAL_SECONDS},
        },
        beat_schedule_filename=str(Path(config.DATA_DIR) / "celerybeat-schedule"),
    )
    threaded_beat.install(app)
    task_logging.install(app)
    bell_relay.install(app)
    heartbeat.install(app)  # issue 15: heartbeats of workers and beat
    # A prefork child must not share its parent's database connections (the heartbeat thread and the outbox bell use
    # them in the parent): the child starts with a pool of its own, leaving the parent's connections to the parent.
    from celery import signals

    signals.worker_process_init.connect(lambda **_: deps.database.engine.dispose(close=False), weak=False,
                                        dispatch_uid="referral-fresh-pool-after-fork")
    if config.WORKER_METRICS_PORT:
        # Issue 15: the worker's own metrics. Only when served: prometheus_client is ~1 MB of a worker's memory. Only
        # in a worker, once it starts: a `celery -A worker inspect ping` (compose's healthcheck) builds this app too,
        # and must leave no metric files in PROMETHEUS_MULTIPROC_DIR.
        signals.worker_init.connect(_install_worker_metrics, weak=False, dispatch_uid="referral-metrics-install")
    app.set_default()
    import referral_service.tasks.jobs  # noqa: F401  (registers the tasks)

    return app


def _install_worker_metrics(sender: Any = None, **_: Any) -> None:
    """On `worker_init` (a worker starting, never a client of the app): count its tasks and serve its figures."""
    from referral_service.metrics import worker as worker_metrics

    worker_metrics.install(sender.app)
