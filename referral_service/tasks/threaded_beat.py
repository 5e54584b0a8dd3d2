"""The scheduler as a thread of the worker, for the embedded default.

Celery's `worker --beat` runs the scheduler in a process of its own: a third Python process of 80 MB
beside `serve` and its worker, for a loop that only sends a task now and then. `--beat-thread` runs the
same scheduler (the same schedule and schedule file) in a thread of the worker instead (`serve`'s worker,
tasks/embedded_worker.py, asks for it with `beat_thread=True`, the option's keyword). Production keeps
`celery beat` as its own service (docker-compose.yml).
"""

from __future__ import annotations

from typing import Any

import click
from celery import Celery, bootsteps
from celery.beat import EmbeddedService

OPTION = "--beat-thread"


class ThreadedBeat(bootsteps.StartStopStep):
    """Runs the beat scheduler in a thread when the worker is started with `--beat-thread`."""

    label = "Beat (thread)"
    conditional = True

    def __init__(self, worker: Any, beat_thread: bool = False, **kwargs: Any) -> None:
        self.enabled = beat_thread
        super().__init__(worker, **kwargs)

    def create(self, worker: Any) -> Any:
        return EmbeddedService(worker.app, schedule_filename=worker.schedule_filename,
                               scheduler_cls=worker.scheduler, thread=True)


def install(app: Celery) -> None:
    """Offer `--beat-thread` on the worker's command line."""
    app.user_options["worker"].add(click.Option([OPTION], is_flag=True, default=False,
                                                help="Run the beat scheduler in a thread of this worker."))
    app.steps["worker"].add(ThreadedBeat)
