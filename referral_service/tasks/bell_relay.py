"""The worker relays the outbox when its bell rings (`outbox_bell.py`), not only on the scheduler's tick."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery, bootsteps

from referral_service.tasks.runtime import current

log = logging.getLogger(__name__)

#: How long a wait for the bell lasts before the thread looks whether the worker is stopping.
WAIT_SECONDS = 0.5
#: The pause before listening again after the listener failed (a database restart, say).
RETRY_SECONDS = 2.0


class RelayOnBell(bootsteps.StartStopStep):
    """A thread of the worker that runs the relay each time a unit of work rang the outbox bell."""

    label = "Relay on the outbox bell"

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        super().__init__(worker, **kwargs)

    def start(self, worker: Any) -> None:
        self.thread = threading.Thread(target=self._listen, name="relay-on-bell", daemon=True)
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=WAIT_SECONDS * 4)

    def _listen(self) -> None:
        from referral_service.tasks.jobs import relay_outbox

        deps = current()
        while not self.stopping.is_set():
            try:
                listener = deps.outbox_bell.listener(deps.database.engine)
            except Exception as exc:  # noqa: BLE001 - the tick relays meanwhile; try again
                log.warning("outbox bell: cannot listen", extra={"error_type": type(exc).__name__})
                self.stopping.wait(RETRY_SECONDS)
                continue
            try:
                while not self.stopping.is_set():
                    if listener.wait(WAIT_SECONDS):
                        relay_outbox()
            except Exception as exc:  # noqa: BLE001 - listen again; rows left pending go on the next ring or tick
                log.warning("outbox bell: relay on the bell failed", extra={"error_type": type(exc).__name__})
                self.stopping.wait(RETRY_SECONDS)
            finally:
                listener.close()


def install(app: Celery) -> None:
    app.steps["worker"].add(RelayOnBell)
