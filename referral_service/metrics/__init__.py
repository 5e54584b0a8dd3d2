"""Prometheus metrics: the web's request timings and its /metrics page (web.py), the figures read from the database
at scrape time (collector.py), the worker's own task and sweep metrics on a port of its own (worker.py), and the
hooks that keep the figures of several gunicorn processes together (gunicorn_hooks.py).

Under gunicorn (or any server with several processes) PROMETHEUS_MULTIPROC_DIR names a folder the processes write
their figures to; /metrics then sums the files of every process. It must be set before the first import of
prometheus_client, so it comes from the environment, not from a REFERRAL_* setting.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


def process_metrics() -> Collector:
    """What this process (or, in multiprocess mode, every process of the server together) has counted."""
    folder = multiprocess_dir()
    if folder is None:
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=folder)
    return registry
