"""gunicorn's hooks for metrics from several web processes (config/gunicorn.conf.py imports them):

    from referral_service.metrics.gunicorn_hooks import child_exit, on_starting  # noqa: F401

With PROMETHEUS_MULTIPROC_DIR set, every web process writes its figures to files there and /metrics sums them.
The folder is emptied when gunicorn starts (the files of an earlier run would be added in), and a process that
exits is marked dead so its live gauges leave the sum (its counters and histograms stay in it, as they should).
Without the variable both hooks do nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from referral_service.metrics import multiprocess_dir


def on_starting(server: Any) -> None:
    """Start every run with an empty folder of figures (created when missing)."""
    folder = multiprocess_dir()
    if folder is None:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A web process is gone: its live gauges no longer count."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
